package main

import (
	"fmt"
	"time"

	"github.com/meibo/meibo"
)

func when(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Local().Format(time.DateTime)
}

var deviceNoun = &noun{name: "device", verbs: []verb{
	{name: "list", args: "--group ID [--q KEYWORD] [--revoked] [--limit N] [--after DEVICE-ID] [--json | --csv]", summary: "list the devices of a group",
		list: true, setup: func(fs *flagSet) func(*verbRun) error {
			group := groupFlag(fs)
			q := fs.String("q", "", "keyword: name, serial, model or user")
			revoked := fs.Bool("revoked", false, "include revoked devices")
			limit := fs.Int("limit", 50, "devices per page")
			after := fs.Int64("after", 0, "list devices after this one (its ID)")
			return func(x *verbRun) error {
				if *group == "" {
					return usagef("--group is required")
				}
				f := meibo.DeviceFilter{GroupID: *group, Keyword: *q, IncludeRevoked: *revoked, Limit: *limit + 1}
				if *after != 0 {
					d, err := x.c.svc.Device(x.c.ctx, *after)
					if err != nil {
						return err
					}
					f.AfterName, f.AfterID = d.Name, d.ID
				}
				ds, err := x.c.svc.Devices(x.c.ctx, f)
				if err != nil {
					return err
				}
				more := len(ds) > *limit
				if more {
					ds = ds[:*limit]
				}
				t := newTable("ID", "NAME", "USER", "PLATFORM", "MODEL", "SERIAL", "LOCKED", "LAST CHECK-IN", "STATE")
				for _, d := range ds {
					state := "enrolled"
					if d.RevokedAt != nil {
						state = "revoked"
					}
					t.add(d.ID, d.Name, orDash(d.UserName), d.Platform, d.Model, d.Serial, d.Locked, when(d.LastCheckInAt), state)
				}
				if err := x.emit(t, ds); err != nil {
					return err
				}
				if len(ds) > 0 {
					x.more(more, fmt.Sprint(ds[len(ds)-1].ID))
				}
				return nil
			}
		}},
	{name: "show", args: "ID [--json]", summary: "show a device and its recent commands", setup: func(fs *flagSet) func(*verbRun) error {
		asJSON := fs.Bool("json", false, "print JSON")
		return func(x *verbRun) error {
			id, err := x.id()
			if err != nil {
				return err
			}
			d, err := x.c.svc.Device(x.c.ctx, id)
			if err != nil {
				return err
			}
			cmds, err := x.c.svc.DeviceCommands(x.c.ctx, id, 0)
			if err != nil {
				return err
			}
			if *asJSON {
				return printJSON(x.env.stdout, struct {
					*meibo.Device
					Commands []*meibo.Command `json:"commands"`
				}{d, cmds})
			}
			t := &table{}
			t.add("ID", d.ID)
			t.add("group", d.GroupID)
			t.add("name", d.Name)
			t.add("user", orDash(d.UserName))
			t.add("platform", d.Platform+" "+d.OSVersion)
			t.add("model", d.Model)
			t.add("serial", d.Serial)
			t.add("locked", d.Locked)
			t.add("last check-in", when(d.LastCheckInAt))
			t.add("revoked", when(d.RevokedAt))
			if err := t.writeBare(x.env.stdout); err != nil {
				return err
			}
			if len(cmds) > 0 {
				fmt.Fprintln(x.env.stdout)
				ct := newTable("COMMAND", "ACTION", "STATUS", "BY", "AT")
				for _, c := range cmds {
					ct.add(c.ID, c.Action, c.Status, c.RequestedBy, c.CreatedAt.Local().Format(time.DateTime))
				}
				return ct.write(x.env.stdout)
			}
			return nil
		}
	}},
	{name: "command", args: "ID lock|ring|locate|message|wipe [--message TEXT]", summary: "send a remote command (emergency procedure, authority 36)",
		setup: func(fs *flagSet) func(*verbRun) error {
			message := fs.String("message", "", "the text of a message command")
			return func(x *verbRun) error {
				if len(x.pos) != 2 {
					return usagef("device command needs ID and ACTION")
				}
				action := meibo.Action(x.pos[1])
				x.pos = x.pos[:1]
				id, err := x.id()
				if err != nil {
					return err
				}
				c, err := x.c.svc.SendAdminCommand(x.c.ctx, id, action, *message)
				if err != nil {
					return err
				}
				fmt.Fprintf(x.env.stdout, "queued command %d (%s) for device %d\n", c.ID, c.Action, id)
				return nil
			}
		}},
	{name: "revoke", args: "ID", summary: "revoke a device: its secret stops working", setup: func(fs *flagSet) func(*verbRun) error {
		return func(x *verbRun) error {
			id, err := x.id()
			if err != nil {
				return err
			}
			if err := x.c.svc.RevokeDevice(x.c.ctx, id); err != nil {
				return err
			}
			fmt.Fprintf(x.env.stdout, "revoked device %d\n", id)
			return nil
		}
	}},
}}

var enrolmentNoun = &noun{name: "enrolment-token", verbs: []verb{
	{name: "create", args: "--group ID [--user NAME] [--ttl 24h]", summary: "make a single-use enrolment token (shown once)",
		setup: func(fs *flagSet) func(*verbRun) error {
			group := groupFlag(fs)
			user := fs.String("user", "", "the user the device will belong to")
			ttl := fs.Duration("ttl", 24*time.Hour, "how long the token works")
			return func(x *verbRun) error {
				if *group == "" || len(x.pos) != 0 {
					return usagef("enrolment-token create needs --group and no arguments")
				}
				secret, tok, err := x.c.svc.CreateEnrolmentToken(x.c.ctx, *group, *user, *ttl)
				if err != nil {
					return err
				}
				fmt.Fprintln(x.env.stdout, secret)
				fmt.Fprintf(x.env.stderr, "enrolment token %d for group %s, valid until %s, once; it is shown only this once\n", tok.ID, tok.GroupID,
					tok.ExpiresAt.Local().Format(time.DateTime))
				return nil
			}
		}},
	{name: "list", args: "--group ID [--json | --csv]", summary: "list a group's enrolment tokens", list: true, setup: func(fs *flagSet) func(*verbRun) error {
		group := groupFlag(fs)
		return func(x *verbRun) error {
			if *group == "" {
				return usagef("--group is required")
			}
			toks, err := x.c.svc.EnrolmentTokens(x.c.ctx, *group)
			if err != nil {
				return err
			}
			t := newTable("ID", "USER", "BY", "CREATED", "EXPIRES", "USED")
			for _, k := range toks {
				t.add(k.ID, k.UserName, k.CreatedBy, k.CreatedAt.Local().Format(time.DateTime), k.ExpiresAt.Local().Format(time.DateTime), when(k.UsedAt))
			}
			return x.emit(t, toks)
		}
	}},
	{name: "delete", args: "--group ID TOKEN-ID", summary: "delete an enrolment token", setup: func(fs *flagSet) func(*verbRun) error {
		group := groupFlag(fs)
		return func(x *verbRun) error {
			id, err := x.id()
			if err != nil {
				return err
			}
			if *group == "" {
				return usagef("--group is required")
			}
			if err := x.c.svc.DeleteEnrolmentToken(x.c.ctx, *group, id); err != nil {
				return err
			}
			fmt.Fprintf(x.env.stdout, "deleted enrolment token %d\n", id)
			return nil
		}
	}},
}}
