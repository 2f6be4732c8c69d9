package main

import (
	"fmt"
	"time"

	"github.com/meibo/meibo"
)

var groupNoun = &noun{name: "group", verbs: []verb{
	{name: "list", args: "[--limit N] [--after ID] [--json | --csv]", summary: "list the groups", list: true,
		setup: func(fs *flagSet) func(*verbRun) error {
			limit := fs.Int("limit", 0, "groups per page (0: all)")
			after := fs.String("after", "", "list groups after this ID")
			return func(x *verbRun) error {
				groups, err := x.c.svc.Groups(x.c.ctx)
				if err != nil {
					return err
				}
				groups, more := page(groups, func(g *meibo.Group) string { return g.ID }, *after, *limit)
				t := newTable("ID", "NAME", "CREATED")
				for _, g := range groups {
					t.add(g.ID, g.Name, g.CreatedAt.Local().Format(time.DateTime))
				}
				if err := x.emit(t, groups); err != nil {
					return err
				}
				if len(groups) > 0 {
					x.more(more, groups[len(groups)-1].ID)
				}
				return nil
			}
		}},
	{name: "create", args: "ID [--name NAME] [--json]", summary: "create a group (with its default profile)",
		setup: func(fs *flagSet) func(*verbRun) error {
			name := fs.String("name", "", "display name (default: the ID)")
			asJSON := fs.Bool("json", false, "print JSON")
			return func(x *verbRun) error {
				if err := x.need(1, "one ID"); err != nil {
					return err
				}
				g, err := x.c.svc.CreateGroup(x.c.ctx, meibo.Group{ID: x.pos[0], Name: *name})
				if err != nil {
					return err
				}
				if *asJSON {
					return printJSON(x.env.stdout, g)
				}
				fmt.Fprintf(x.env.stdout, "created group %s (%s) with profile %q\n", g.ID, g.Name, meibo.DefaultProfileName)
				return nil
			}
		}},
	{name: "rename", args: "ID NAME", summary: "change a group's display name", setup: func(fs *flagSet) func(*verbRun) error {
		return func(x *verbRun) error {
			if err := x.need(2, "ID and NAME"); err != nil {
				return err
			}
			g, err := x.c.svc.UpdateGroup(x.c.ctx, x.pos[0], x.pos[1])
			if err != nil {
				return err
			}
			fmt.Fprintf(x.env.stdout, "group %s is now named %s\n", g.ID, g.Name)
			return nil
		}
	}},
	{name: "delete", args: "ID", summary: "delete a group with no users or devices", setup: func(fs *flagSet) func(*verbRun) error {
		return func(x *verbRun) error {
			if err := x.need(1, "one ID"); err != nil {
				return err
			}
			if err := x.c.svc.DeleteGroup(x.c.ctx, x.pos[0]); err != nil {
				return err
			}
			fmt.Fprintf(x.env.stdout, "deleted group %s\n", x.pos[0])
			return nil
		}
	}},
}}
