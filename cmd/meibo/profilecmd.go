package main

import (
	"fmt"
	"strings"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

// parseActions reads a comma-separated list of remote actions.
func parseActions(s string) []meibo.Action {
	out := []meibo.Action{}
	for _, a := range strings.Split(s, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, meibo.Action(a))
		}
	}
	return out
}

func joinActions(as []meibo.Action) string {
	if len(as) == 0 {
		return "none"
	}
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = string(a)
	}
	return strings.Join(s, ",")
}

// findProfile finds the profile NAME of group.
func (x *verbRun) findProfile(group, name string) (*meibo.Profile, error) {
	if group == "" {
		return nil, usagef("--group is required")
	}
	ps, err := x.c.svc.Profiles(x.c.ctx, group)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		if p.Name == name {
			return p, nil
		}
	}
	return nil, meibo.NotFound("profile.not_found", name)
}

var profileNoun = &noun{name: "profile", verbs: []verb{
	{name: "list", args: "--group ID [--limit N] [--after NAME] [--json | --csv]", summary: "list the profiles of a group", list: true,
		setup: func(fs *flagSet) func(*verbRun) error {
			group := groupFlag(fs)
			limit := fs.Int("limit", 0, "profiles per page (0: all)")
			after := fs.String("after", "", "list profiles after this name")
			return func(x *verbRun) error {
				if *group == "" {
					return usagef("--group is required")
				}
				ps, err := x.c.svc.Profiles(x.c.ctx, *group)
				if err != nil {
					return err
				}
				ps, more := page(ps, func(p *meibo.Profile) string { return p.Name }, *after, *limit)
				t := newTable("NAME", "ACTIONS", "API", "DEFAULT")
				for _, p := range ps {
					t.add(p.Name, joinActions(p.Actions), p.APIAccess, p.Default)
				}
				if err := x.emit(t, ps); err != nil {
					return err
				}
				if len(ps) > 0 {
					x.more(more, ps[len(ps)-1].Name)
				}
				return nil
			}
		}},
	{name: "create", args: "--group ID NAME [--actions lock,ring,locate,message,wipe] [--api-access]", summary: "create a profile",
		setup: func(fs *flagSet) func(*verbRun) error {
			group := groupFlag(fs)
			actions := fs.String("actions", "lock,ring,locate,message,wipe", "remote actions the profile allows, comma-separated (\"\" for none)")
			apiAccess := fs.Bool("api-access", false, "API access may be granted to its users")
			return func(x *verbRun) error {
				if *group == "" || len(x.pos) != 1 {
					return usagef("profile create needs --group and one NAME")
				}
				p, err := x.c.svc.CreateProfile(x.c.ctx, *group, meibo.Profile{Name: x.pos[0], APIAccess: *apiAccess, Actions: parseActions(*actions)})
				if err != nil {
					return err
				}
				fmt.Fprintf(x.env.stdout, "created profile %q in group %s (actions: %s; API access: %v)\n", p.Name, p.GroupID, joinActions(p.Actions), p.APIAccess)
				return nil
			}
		}},
	{name: "edit", args: "--group ID NAME [--name NEW] [--actions A,B] [--api-access[=false]]", summary: "change a profile (only the flags given)",
		setup: func(fs *flagSet) func(*verbRun) error {
			group := groupFlag(fs)
			var name, actions optString
			fs.Var(&name, "name", "new name")
			fs.Var(&actions, "actions", "remote actions, comma-separated (\"\" for none)")
			var api optBool
			fs.Var(&api, "api-access", "API access may be granted to its users")
			return func(x *verbRun) error {
				if err := x.need(1, "one NAME"); err != nil {
					return err
				}
				p, err := x.findProfile(*group, x.pos[0])
				if err != nil {
					return err
				}
				up := service.ProfileUpdate{Name: name.v, APIAccess: api.v}
				if actions.v != nil {
					as := parseActions(*actions.v)
					up.Actions = &as
				}
				if p, err = x.c.svc.UpdateProfile(x.c.ctx, p.ID, up); err != nil {
					return err
				}
				fmt.Fprintf(x.env.stdout, "changed profile %q of group %s (actions: %s; API access: %v)\n", p.Name, p.GroupID, joinActions(p.Actions), p.APIAccess)
				return nil
			}
		}},
	{name: "delete", args: "--group ID NAME", summary: "delete a profile no user has", setup: func(fs *flagSet) func(*verbRun) error {
		group := groupFlag(fs)
		return func(x *verbRun) error {
			if err := x.need(1, "one NAME"); err != nil {
				return err
			}
			p, err := x.findProfile(*group, x.pos[0])
			if err != nil {
				return err
			}
			if err := x.c.svc.DeleteProfile(x.c.ctx, p.ID); err != nil {
				return err
			}
			fmt.Fprintf(x.env.stdout, "deleted profile %q of group %s\n", p.Name, p.GroupID)
			return nil
		}
	}},
}}
