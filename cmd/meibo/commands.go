package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

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
	cfg := service.Config{Hasher: hasher, Location: loc, Logger: discardLogger(), ImportMaxBytes: importMax,
		Worker: service.WorkerName()}
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
	_, _, newer, err := db.MigrationState(ctx)
	if err != nil {
		return err
	}
	if err := refuseNewer(dsn, newer); err != nil {
		return err
	}
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
