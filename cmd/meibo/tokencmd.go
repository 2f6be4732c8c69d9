package main

import (
	"fmt"
	"time"
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
				secret, k, err := x.c.svc.CreateToken(x.c.ctx, *admin, *name, *ttl)
				if err != nil {
					return err
				}
				fmt.Fprintln(x.env.stdout, secret)
				fmt.Fprintf(x.env.stderr, "token for %s, valid until %s; it is shown only this once\n", *admin, k.ExpiresAt.Local().Format(time.DateTime))
				return nil
			}
		}},
}}
