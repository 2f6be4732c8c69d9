package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"

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
	cfg := service.Config{Hasher: hasher, Location: loc, Logger: commandLog(ctx), ImportMaxBytes: importMax,
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

// commandLogKey carries, in a command's context, the logger of what the
// service logs while a command runs.
type commandLogKey struct{}

// withCommandLog makes the services a command opens log their warnings
// and errors to w (the command's stderr).
func withCommandLog(ctx context.Context, w io.Writer) context.Context {
	return context.WithValue(ctx, commandLogKey{}, slog.New(&personHandler{w: w, mu: &sync.Mutex{}}))
}

// commandLog is the logger withCommandLog put in ctx, or one that discards.
func commandLog(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(commandLogKey{}).(*slog.Logger); ok {
		return l
	}
	return discardLogger()
}

// personHandler writes records of level Warn and above as one line a person
// reads, on stderr beside the command's own message: an "Internal error"
// of the service then comes with its cause ("meibo: error: import job
// failed: database or disk is full (job 3)"). Information is left out, so
// that the output of a command that went well stays its own.
type personHandler struct {
	w      io.Writer
	mu     *sync.Mutex
	attrs  []slog.Attr
	prefix string // of the keys, from WithGroup
}

func (h *personHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *personHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString("meibo: ")
	if r.Level >= slog.LevelError {
		b.WriteString("error: ")
	} else {
		b.WriteString("warning: ")
	}
	b.WriteString(r.Message)
	var errText string
	var rest []string
	add := func(prefix string, a slog.Attr) {
		a.Value = a.Value.Resolve()
		switch {
		case a.Equal(slog.Attr{}):
		case prefix+a.Key == "err":
			errText = a.Value.String()
		default:
			rest = append(rest, prefix+a.Key+" "+a.Value.String())
		}
	}
	for _, a := range h.attrs {
		add("", a) // keys prefixed by WithAttrs
	}
	r.Attrs(func(a slog.Attr) bool { add(h.prefix, a); return true })
	if errText != "" {
		b.WriteString(": " + errText)
	}
	if len(rest) > 0 {
		b.WriteString(" (" + strings.Join(rest, ", ") + ")")
	}
	b.WriteString("\n")
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

func (h *personHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = slices.Clip(h.attrs)
	for _, a := range as {
		a.Key = h.prefix + a.Key
		c.attrs = append(c.attrs, a)
	}
	return &c
}

func (h *personHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.prefix = h.prefix + name + "."
	return &c
}
