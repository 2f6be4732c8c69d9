package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

func splitList(s string) []string {
	var out []string
	for _, g := range strings.Split(s, ",") {
		if g = strings.TrimSpace(g); g != "" {
			out = append(out, g)
		}
	}
	return out
}

func authorityNames(a meibo.Authorities) string {
	var names []string
	for _, au := range a.List() {
		names = append(names, au.Name())
	}
	return strings.Join(names, ",")
}

func adminState(a *meibo.Admin) string {
	switch {
	case a.Disabled:
		return "disabled"
	case !a.CanSignIn():
		return "no sign-in"
	}
	return "enabled"
}

var adminNoun = &noun{name: "admin", verbs: []verb{
	{name: "list", args: "[--limit N] [--after ID] [--json | --csv]", summary: "list the administrators", list: true,
		setup: func(fs *flagSet) func(*verbRun) error {
			limit := fs.Int("limit", 0, "administrators per page (0: all)")
			after := fs.String("after", "", "list administrators after this ID")
			return func(x *verbRun) error {
				admins, err := x.c.svc.Admins(x.c.ctx)
				if err != nil {
					return err
				}
				admins, more := page(admins, func(a *meibo.Admin) string { return a.LoginID }, *after, *limit)
				t := newTable("ID", "NAME", "E-MAIL", "AUTHORITIES", "GROUPS", "STATE")
				for _, a := range admins {
					t.add(a.LoginID, a.Name, a.Email, authorityNames(a.Authorities), strings.Join(a.Groups, ","), adminState(a))
				}
				if err := x.emit(t, admins); err != nil {
					return err
				}
				if len(admins) > 0 {
					x.more(more, admins[len(admins)-1].LoginID)
				}
				return nil
			}
		}},
	{name: "show", args: "ID [--json]", summary: "show an administrator", setup: func(fs *flagSet) func(*verbRun) error {
		asJSON := fs.Bool("json", false, "print JSON")
		return func(x *verbRun) error {
			if err := x.need(1, "one ID"); err != nil {
				return err
			}
			a, err := x.c.svc.AdminByLoginID(x.c.ctx, x.pos[0])
			if err != nil {
				return err
			}
			if *asJSON {
				return printJSON(x.env.stdout, a)
			}
			t := &table{}
			t.add("ID", a.LoginID)
			t.add("GUID", a.GUID)
			t.add("name", a.Name)
			t.add("e-mail", a.Email)
			t.add("notes", a.Notes)
			t.add("authorities", authorityNames(a.Authorities))
			t.add("groups", strings.Join(a.Groups, ","))
			t.add("state", adminState(a))
			if a.LastSignInAt != nil {
				t.add("last sign-in", a.LastSignInAt.Local().Format(time.DateTime))
			}
			return t.writeBare(x.env.stdout)
		}
	}},
	{name: "create", args: "ID [--password P | --password-file F] [--name N] [--email E] [--notes T] [--authorities console,import,...|6,31,...] [--groups G1,G2] [--disabled] [--json]",
		summary: "create an administrator", hashes: true, setup: func(fs *flagSet) func(*verbRun) error {
			password := fs.String("password", "", "password (blank: none, cannot sign in yet)")
			passwordFile := fs.String("password-file", "", "file holding the password")
			name := fs.String("name", "", "name")
			email := fs.String("email", "", "e-mail address")
			notes := fs.String("notes", "", "notes (at most 256 half-width columns)")
			auths := fs.String("authorities", "", "authorities by name or CSV column, comma-separated")
			groups := fs.String("groups", "", "department groups, comma-separated")
			disabled := fs.Bool("disabled", false, "cannot sign in")
			asJSON := fs.Bool("json", false, "print JSON")
			return func(x *verbRun) error {
				if err := x.need(1, "one ID"); err != nil {
					return err
				}
				a, err := parseAuthorities(*auths)
				if err != nil {
					return err
				}
				pw, err := secret(*password, *passwordFile)
				if err != nil {
					return err
				}
				ad, err := x.c.svc.CreateAdmin(x.c.ctx, service.AdminInput{LoginID: x.pos[0], Password: pw, Name: *name, Email: *email, Notes: *notes,
					Authorities: a, Groups: splitList(*groups), Disabled: *disabled})
				if err != nil {
					return err
				}
				if *asJSON {
					return printJSON(x.env.stdout, ad)
				}
				fmt.Fprintf(x.env.stdout, "created administrator %s (GUID %s)\n", ad.LoginID, ad.GUID)
				return nil
			}
		}},
	{name: "edit", args: "ID [--name N] [--email E] [--notes T] [--password P | --password-file F] [--authorities A,B] [--groups G1,G2] [--disabled[=false]]",
		summary: "change an administrator (only the flags given)", hashes: true, setup: func(fs *flagSet) func(*verbRun) error {
			var name, email, notes, auths, groups optString
			fs.Var(&name, "name", "name")
			fs.Var(&email, "email", "e-mail address")
			fs.Var(&notes, "notes", "notes")
			fs.Var(&auths, "authorities", "authorities by name or CSV column, comma-separated (replaces them all)")
			fs.Var(&groups, "groups", "department groups, comma-separated")
			password := fs.String("password", "", "new password")
			passwordFile := fs.String("password-file", "", "file holding the new password")
			var disabled optBool
			fs.Var(&disabled, "disabled", "cannot sign in")
			return func(x *verbRun) error {
				if err := x.need(1, "one ID"); err != nil {
					return err
				}
				ad, err := x.c.svc.AdminByLoginID(x.c.ctx, x.pos[0])
				if err != nil {
					return err
				}
				up := meibo.AdminUpdate{Name: name.v, Email: email.v, Notes: notes.v, Disabled: disabled.v}
				if auths.v != nil {
					a, err := parseAuthorities(*auths.v)
					if err != nil {
						return err
					}
					up.Authorities = &a
				}
				if groups.v != nil {
					gs := splitList(*groups.v)
					up.Groups = &gs
				}
				pw, err := secret(*password, *passwordFile)
				if err != nil {
					return err
				}
				if pw != "" {
					up.Password = &pw
				}
				if ad, err = x.c.svc.UpdateAdmin(x.c.ctx, ad.ID, up); err != nil {
					return err
				}
				fmt.Fprintf(x.env.stdout, "changed administrator %s\n", ad.LoginID)
				return nil
			}
		}},
	{name: "delete", args: "ID", summary: "delete an administrator", setup: func(fs *flagSet) func(*verbRun) error {
		return func(x *verbRun) error {
			if err := x.need(1, "one ID"); err != nil {
				return err
			}
			ad, err := x.c.svc.AdminByLoginID(x.c.ctx, x.pos[0])
			if err != nil {
				return err
			}
			if err := x.c.svc.DeleteAdmin(x.c.ctx, ad.ID); err != nil {
				return err
			}
			fmt.Fprintf(x.env.stdout, "deleted administrator %s\n", ad.LoginID)
			return nil
		}
	}},
	{name: "reset-mfa", args: "ID", summary: "reset an administrator's second factors and end their sessions (the emergency path)",
		setup: func(fs *flagSet) func(*verbRun) error {
			return func(x *verbRun) error { return runAdminFactors(x, "reset-mfa") }
		}},
	{name: "mfa-policy", args: "[all | none | COLUMNS]", summary: "show or set who must use a second factor (all, none, or authority columns such as 6,7)",
		setup: func(fs *flagSet) func(*verbRun) error {
			return func(x *verbRun) error { return runAdminFactors(x, "mfa-policy") }
		}},
}}
