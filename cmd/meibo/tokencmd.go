package main

import (
	"fmt"
	"time"

	"github.com/meibo/meibo"
)

var tokenNoun = &noun{name: "token", verbs: []verb{
	{name: "create", args: "--admin ID [--ttl 2160h] [--name NAME]", summary: "make an API token for an administrator (shown once)",
		setup: func(fs *flagSet) func(*verbRun) error {
			admin := fs.String("admin", "", "administrator ID (required)")
			ttl := fs.Duration("ttl", 90*24*time.Hour, "lifetime of the token")
			name := fs.String("name", "cli", "a name to recognise the token by")
			return func(x *verbRun) error {
				if *admin == "" || len(x.pos) > 0 {
					return usagef("token create needs --admin ID and no arguments")
				}
				if *ttl <= 0 {
					return usagef("--ttl %v: give a lifetime of more than zero, such as 720h", *ttl)
				}
				secret, k, err := x.c.svc.CreateToken(x.c.ctx, *admin, *name, *ttl)
				if err != nil {
					return err
				}
				fmt.Fprintln(x.env.stdout, secret)
				fmt.Fprintf(x.env.stderr, "token for %s, valid until %s; it is shown only this once\n", *admin, k.ExpiresAt.Local().Format(time.DateTime))
				return nil
			}
		}},
	{name: "list", args: "[--admin ID] [--json | --csv]", summary: "list the API tokens of an administrator, or of every one (never their secrets)", list: true,
		setup: func(fs *flagSet) func(*verbRun) error {
			admin := fs.String("admin", "", "administrator ID (default: every administrator)")
			return func(x *verbRun) error {
				if len(x.pos) > 0 {
					return usagef("token list takes no arguments")
				}
				if *admin == "" {
					return listEveryToken(x)
				}
				ks, err := x.c.svc.APITokens(x.c.ctx, *admin)
				if err != nil {
					return err
				}
				t := newTable("REF", "NAME", "CREATED", "EXPIRES", "LAST USED")
				for _, k := range ks {
					t.add(k.Ref, k.Name, k.CreatedAt.Local().Format(time.DateTime), k.ExpiresAt.Local().Format(time.DateTime), when(k.LastUsedAt))
				}
				return x.emit(t, ks)
			}
		}},
	{name: "revoke", args: "--admin ID REF", summary: "revoke an API token (REF as token list shows it)", setup: func(fs *flagSet) func(*verbRun) error {
		admin := fs.String("admin", "", "administrator ID (required)")
		return func(x *verbRun) error {
			if *admin == "" || len(x.pos) != 1 {
				return usagef("token revoke needs --admin ID and one REF")
			}
			if err := x.c.svc.RevokeAPIToken(x.c.ctx, *admin, x.pos[0]); err != nil {
				return err
			}
			fmt.Fprintf(x.env.stdout, "revoked token %s of %s\n", x.pos[0], *admin)
			return nil
		}
	}},
}}

// listEveryToken lists the API tokens of every administrator, each with
// its administrator.
func listEveryToken(x *verbRun) error {
	admins, err := x.c.svc.Admins(x.c.ctx)
	if err != nil {
		return err
	}
	type adminToken struct {
		Admin string `json:"admin"`
		*meibo.APIToken
	}
	all := []adminToken{}
	t := newTable("ADMIN", "REF", "NAME", "CREATED", "EXPIRES", "LAST USED")
	for _, ad := range admins {
		ks, err := x.c.svc.APITokens(x.c.ctx, ad.LoginID)
		if err != nil {
			return err
		}
		for _, k := range ks {
			all = append(all, adminToken{Admin: ad.LoginID, APIToken: k})
			t.add(ad.LoginID, k.Ref, k.Name, k.CreatedAt.Local().Format(time.DateTime), k.ExpiresAt.Local().Format(time.DateTime), when(k.LastUsedAt))
		}
	}
	return x.emit(t, all)
}
