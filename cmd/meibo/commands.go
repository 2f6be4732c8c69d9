package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/argon2id"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store"
	"github.com/meibo/meibo/store/sqlstore"
)

// cliService opens the database and a service acting as the command line.
type cliService struct {
	db  *sqlstore.DB
	svc *service.Service
	ctx context.Context
}

// configurer changes the service's configuration (mail, import limits).
type configurer interface{ apply(*service.Config) error }

func openCLI(ctx context.Context, dsn string, params argon2id.Params, tz string, importMax int64, mail ...configurer) (*cliService, error) {
	hasher, err := argon2id.New(params)
	if err != nil {
		return nil, usagef("%v", err)
	}
	loc, err := loadLocation(tz)
	if err != nil {
		return nil, usagef("%v", err)
	}
	db, err := openStore(ctx, dsn, "auto", store.Options{Bulk: true}, nil)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	cfg := service.Config{Hasher: hasher, Location: loc, Logger: discardLogger(), ImportMaxBytes: importMax,
		Worker: fmt.Sprintf("%s:%d", host, os.Getpid())}
	for _, mc := range mail {
		if err := mc.apply(&cfg); err != nil {
			db.Close()
			return nil, err
		}
	}
	svc := service.New(db, cfg)
	return &cliService{db: db, svc: svc, ctx: meibo.WithActor(ctx, cliActor())}, nil
}

func (c *cliService) Close() { c.db.Close() }

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func runMigrate(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "migrate", "migrate [--db DSN]")
	var dsn string
	dbFlag(fs, &dsn)
	if _, err := fs.parse(args); err != nil {
		return err
	}
	db, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	names, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		fmt.Fprintln(env.stdout, "the database is up to date")
		return nil
	}
	for _, n := range names {
		fmt.Fprintln(env.stdout, "applied", n)
	}
	return nil
}

func runGroup(ctx context.Context, env *cliEnv, args []string) error {
	if len(args) == 0 {
		return usagef("group create ID [--name NAME] | group list")
	}
	fs := newFlags(env, "group", "group create ID [--name NAME] | group list [--json]")
	var dsn string
	dbFlag(fs, &dsn)
	name := fs.String("name", "", "display name (default: the ID)")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := fs.parse(args[1:])
	if err != nil {
		return err
	}
	c, err := openCLI(ctx, dsn, argon2id.Default, "", 0)
	if err != nil {
		return err
	}
	defer c.Close()
	switch args[0] {
	case "create":
		if len(pos) != 1 {
			return usagef("group create needs one ID")
		}
		g, err := c.svc.CreateGroup(c.ctx, meibo.Group{ID: pos[0], Name: *name})
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(env.stdout, g)
		}
		fmt.Fprintf(env.stdout, "created group %s (%s) with profile %q\n", g.ID, g.Name, meibo.DefaultProfileName)
		return nil
	case "list":
		groups, err := c.svc.Groups(c.ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(env.stdout, groups)
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tCREATED")
		for _, g := range groups {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", g.ID, g.Name, g.CreatedAt.Local().Format(time.DateTime))
		}
		return tw.Flush()
	}
	return usagef("unknown group command %q", args[0])
}

func runProfile(ctx context.Context, env *cliEnv, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return usagef("profile create --group ID NAME [--actions ...] [--api-access]")
	}
	fs := newFlags(env, "profile", "profile create --group ID NAME [--actions lock,ring,locate,message,wipe] [--api-access]")
	var dsn string
	dbFlag(fs, &dsn)
	group := fs.String("group", "", "group ID (required)")
	actions := fs.String("actions", "lock,ring,locate,message,wipe", "remote actions the profile allows, comma-separated (\"\" for none)")
	apiAccess := fs.Bool("api-access", false, "API access may be granted to its users")
	pos, err := fs.parse(args[1:])
	if err != nil {
		return err
	}
	if *group == "" || len(pos) != 1 {
		return usagef("profile create needs --group and one NAME")
	}
	p := meibo.Profile{Name: pos[0], APIAccess: *apiAccess, Actions: []meibo.Action{}}
	for _, a := range strings.Split(*actions, ",") {
		if a = strings.TrimSpace(a); a != "" {
			p.Actions = append(p.Actions, meibo.Action(a))
		}
	}
	c, err := openCLI(ctx, dsn, argon2id.Default, "", 0)
	if err != nil {
		return err
	}
	defer c.Close()
	created, err := c.svc.CreateProfile(c.ctx, *group, p)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "created profile %q in group %s (actions: %s; API access: %v)\n", created.Name, created.GroupID, joinActions(created.Actions), created.APIAccess)
	return nil
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

func runUser(ctx context.Context, env *cliEnv, args []string) error {
	if len(args) == 0 {
		return usagef("user add --group ID NAME [...] | user list --group ID [...]")
	}
	fs := newFlags(env, "user", "user add --group ID NAME [--email E] [--password P | --password-file F] [--profile P] [--admin] [--api-access] [--disabled]\n       meibo user list --group ID [--q KEYWORD] [--limit N] [--after NAME] [--json]")
	var dsn string
	dbFlag(fs, &dsn)
	params := argon2id.Default
	argonFlags(fs, &params)
	group := fs.String("group", "", "group ID (required)")
	email := fs.String("email", "", "e-mail address")
	password := fs.String("password", "", "password (blank: none, the user cannot sign in yet)")
	passwordFile := fs.String("password-file", "", "file holding the password")
	profile := fs.String("profile", "", "profile name (default: the group's default profile)")
	admin := fs.Bool("admin", false, "may see and control every device of the group in the portal")
	apiAccess := fs.Bool("api-access", false, "may create personal API tokens")
	disabled := fs.Bool("disabled", false, "cannot sign in (still counts for the licence)")
	invite := fs.Bool("send-invitation", false, "mail the user a link to choose a password (needs --email and --public-url)")
	var mc mailConfig
	mailFlags(fs, &mc)
	q := fs.String("q", "", "keyword: name, e-mail or profile name")
	limit := fs.Int("limit", 50, "users per page")
	after := fs.String("after", "", "list users after this name")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := fs.parse(args[1:])
	if err != nil {
		return err
	}
	if *group == "" {
		return usagef("--group is required")
	}
	switch args[0] {
	case "add":
		if len(pos) != 1 {
			return usagef("user add needs one NAME")
		}
		pw, err := secret(*password, *passwordFile)
		if err != nil {
			return err
		}
		c, err := openCLI(ctx, dsn, params, "", 0, &mc)
		if err != nil {
			return err
		}
		defer c.Close()
		u, err := c.svc.CreateUser(c.ctx, *group, service.UserInput{Name: pos[0], Email: *email, Password: pw, Profile: *profile,
			Admin: *admin, APIAccess: *apiAccess, Disabled: *disabled, SendInvitation: *invite})
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(env.stdout, u)
		}
		fmt.Fprintf(env.stdout, "added user %s to group %s (profile %q)\n", u.Name, u.GroupID, u.ProfileName)
		if *invite {
			fmt.Fprintf(env.stdout, "an invitation to %s is in the outbox (meibo mail list)\n", u.Email)
		}
		return nil
	case "list":
		c, err := openCLI(ctx, dsn, params, "", 0)
		if err != nil {
			return err
		}
		defer c.Close()
		page, err := c.svc.FindUsers(c.ctx, meibo.UserFilter{GroupID: *group, Keyword: *q, Limit: *limit, After: *after})
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(env.stdout, page)
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tEMAIL\tPROFILE\tADMIN\tAPI\tDISABLED\tPASSWORD")
		for _, u := range page.Users {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%v\t%v\t%s\n", u.Name, u.Email, u.ProfileName, u.Admin, u.APIAccess, u.Disabled, yesNo(u.HasPassword()))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if page.HasNext && len(page.Users) > 0 {
			fmt.Fprintf(env.stdout, "(more: --after %s)\n", strconv.Quote(page.Users[len(page.Users)-1].Name))
		}
		return nil
	}
	return usagef("unknown user command %q", args[0])
}

func yesNo(b bool) string {
	if b {
		return "set"
	}
	return "none"
}

// parseAuthorities reads a comma-separated list of authority names or CSV
// column numbers.
func parseAuthorities(s string) (meibo.Authorities, error) {
	var out meibo.Authorities
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if n, err := strconv.Atoi(part); err == nil {
			a := meibo.Authority(n)
			if n < 0 || n > 63 || !a.Valid() {
				return 0, usagef("unknown authority column %d", n)
			}
			out = out.With(a)
			continue
		}
		a, ok := meibo.AuthorityByName(part)
		if !ok {
			var names []string
			for _, a := range meibo.AllAuthorities {
				names = append(names, fmt.Sprintf("%s(%d)", a.Name(), a))
			}
			return 0, usagef("unknown authority %q; known: %s", part, strings.Join(names, ", "))
		}
		out = out.With(a)
	}
	return out, nil
}

func runAdmin(ctx context.Context, env *cliEnv, args []string) error {
	if len(args) == 0 {
		return usagef("admin create ID [...] | admin list")
	}
	fs := newFlags(env, "admin", "admin create ID [--password P | --password-file F] [--name N] [--email E] [--notes T] [--authorities console,import,...|6,31,...] [--groups G1,G2] [--disabled]\n       meibo admin list [--json]\n       meibo admin reset-mfa ID\n       meibo admin mfa-policy [all | none | COLUMNS]")
	var dsn string
	dbFlag(fs, &dsn)
	params := argon2id.Default
	argonFlags(fs, &params)
	password := fs.String("password", "", "password (blank: none, cannot sign in yet)")
	passwordFile := fs.String("password-file", "", "file holding the password")
	name := fs.String("name", "", "name")
	email := fs.String("email", "", "e-mail address")
	notes := fs.String("notes", "", "notes (at most 256 half-width columns)")
	auths := fs.String("authorities", "", "authorities by name or CSV column, comma-separated")
	groups := fs.String("groups", "", "department groups, comma-separated")
	disabled := fs.Bool("disabled", false, "cannot sign in")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := fs.parse(args[1:])
	if err != nil {
		return err
	}
	switch args[0] {
	case "create":
		if len(pos) != 1 {
			return usagef("admin create needs one ID")
		}
		a, err := parseAuthorities(*auths)
		if err != nil {
			return err
		}
		pw, err := secret(*password, *passwordFile)
		if err != nil {
			return err
		}
		var gs []string
		for _, g := range strings.Split(*groups, ",") {
			if g = strings.TrimSpace(g); g != "" {
				gs = append(gs, g)
			}
		}
		c, err := openCLI(ctx, dsn, params, "", 0)
		if err != nil {
			return err
		}
		defer c.Close()
		ad, err := c.svc.CreateAdmin(c.ctx, service.AdminInput{LoginID: pos[0], Password: pw, Name: *name, Email: *email, Notes: *notes,
			Authorities: a, Groups: gs, Disabled: *disabled})
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(env.stdout, ad)
		}
		fmt.Fprintf(env.stdout, "created administrator %s (%s)\n", ad.LoginID, ad.GUID)
		return nil
	case "reset-mfa", "mfa-policy":
		return runAdminFactors(ctx, env, args[0], pos, dsn)
	case "list":
		c, err := openCLI(ctx, dsn, params, "", 0)
		if err != nil {
			return err
		}
		defer c.Close()
		admins, err := c.svc.Admins(c.ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(env.stdout, admins)
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tE-MAIL\tAUTHORITIES\tGROUPS\tSTATE")
		for _, a := range admins {
			var names []string
			for _, au := range a.Authorities.List() {
				names = append(names, au.Name())
			}
			state := "enabled"
			switch {
			case a.Disabled:
				state = "disabled"
			case !a.CanSignIn():
				state = "no sign-in"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", a.LoginID, a.Name, a.Email, strings.Join(names, ","), strings.Join(a.Groups, ","), state)
		}
		return tw.Flush()
	}
	return usagef("unknown admin command %q", args[0])
}

func runToken(ctx context.Context, env *cliEnv, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return usagef("token create --admin ID [--ttl 2160h] [--name NAME]")
	}
	fs := newFlags(env, "token", "token create --admin ID [--ttl 2160h] [--name NAME]")
	var dsn string
	dbFlag(fs, &dsn)
	admin := fs.String("admin", "", "administrator ID (required)")
	ttl := fs.Duration("ttl", 90*24*time.Hour, "lifetime of the token")
	name := fs.String("name", "cli", "a name to recognise the token by")
	pos, err := fs.parse(args[1:])
	if err != nil {
		return err
	}
	if *admin == "" || len(pos) > 0 {
		return usagef("token create needs --admin ID and no arguments")
	}
	c, err := openCLI(ctx, dsn, argon2id.Default, "", 0)
	if err != nil {
		return err
	}
	defer c.Close()
	secret, k, err := c.svc.CreateToken(c.ctx, *admin, *name, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, secret)
	fmt.Fprintf(env.stderr, "token for %s, valid until %s; it is shown only this once\n", *admin, k.ExpiresAt.Local().Format(time.DateTime))
	return nil
}

func runSettings(ctx context.Context, env *cliEnv, args []string) error {
	if len(args) == 0 {
		return usagef("settings list | settings set KEY VALUE")
	}
	fs := newFlags(env, "settings", "settings list | settings set KEY VALUE\n\nKeys: licence_limit (0 = no limit), admin_csv_encoding (utf-8 or cp932), mail_language (en or ja)")
	var dsn string
	dbFlag(fs, &dsn)
	pos, err := fs.parse(args[1:])
	if err != nil {
		return err
	}
	c, err := openCLI(ctx, dsn, argon2id.Default, "", 0)
	if err != nil {
		return err
	}
	defer c.Close()
	var st meibo.Settings
	switch args[0] {
	case "list":
		if st, err = c.svc.Settings(c.ctx); err != nil {
			return err
		}
	case "set":
		if len(pos) != 2 {
			return usagef("settings set needs KEY and VALUE")
		}
		if st, err = c.svc.UpdateSettings(c.ctx, map[string]string{pos[0]: pos[1]}); err != nil {
			return err
		}
	default:
		return usagef("unknown settings command %q", args[0])
	}
	m := st.Map()
	for _, k := range meibo.SettingKeys {
		fmt.Fprintf(env.stdout, "%s=%s\n", k, m[k])
	}
	return nil
}
