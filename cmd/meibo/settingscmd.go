package main

import (
	"fmt"

	"github.com/meibo/meibo"
)

func printSettings(x *verbRun, st meibo.Settings) error {
	m := st.Map()
	for _, k := range meibo.SettingKeys {
		fmt.Fprintf(x.env.stdout, "%s=%s\n", k, m[k])
	}
	return nil
}

var settingsNoun = &noun{name: "settings", verbs: []verb{
	{name: "list", args: "", summary: "print the settings as KEY=VALUE", setup: func(fs *flagSet) func(*verbRun) error {
		return func(x *verbRun) error {
			st, err := x.c.svc.Settings(x.c.ctx)
			if err != nil {
				return err
			}
			return printSettings(x, st)
		}
	}},
	{name: "set", args: "KEY VALUE\n\nKeys: licence_limit (0 = no limit), admin_csv_encoding (utf-8 or cp932), mail_language (en or ja)",
		summary: "change a setting", setup: func(fs *flagSet) func(*verbRun) error {
			return func(x *verbRun) error {
				if err := x.need(2, "KEY and VALUE"); err != nil {
					return err
				}
				st, err := x.c.svc.UpdateSettings(x.c.ctx, map[string]string{x.pos[0]: x.pos[1]})
				if err != nil {
					return err
				}
				return printSettings(x, st)
			}
		}},
}}
