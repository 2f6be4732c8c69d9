package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/api"
	"github.com/meibo/meibo/argon2id"
	"github.com/meibo/meibo/backup"
	"github.com/meibo/meibo/console"
	"github.com/meibo/meibo/metrics"
	"github.com/meibo/meibo/portal"
	"github.com/meibo/meibo/request"
	"github.com/meibo/meibo/scim"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store"
	"github.com/meibo/meibo/store/sqlite"
	"github.com/meibo/meibo/store/sqlstore"
	"github.com/meibo/meibo/web"
)

// Config is everything `meibo serve` is configured with.
type Config struct {
	Addr              string
	DB                string
	AdminPassword     string
	Argon2            argon2id.Params
	testHasher        *argon2id.Hasher // set by tests: hashes instead of one made with Argon2
	TokenTTL          time.Duration
	ImportMaxBytes    int64
	ImportLimits      importLimits // rows, messages, imports at once (zero: the service's defaults, no row limit)
	TimeZone          string
	LogLevel          string
	LogFormat         string
	ShutdownTimeout   time.Duration
	Migrate           string // auto: a new database only; always; never
	Mail              mailConfig
	HTTP              httpConfig
	Metrics           metricsConfig
	SignIn            signInConfig
	Clock             func() time.Time
	Logger            *slog.Logger // overrides LogLevel/LogFormat (tests)
	BootstrapPassword io.Writer    // where a generated admin password is printed once

	// AllowUnsafeDurability starts on a database whose settings could lose
	// committed changes in a crash, with a warning, instead of refusing.
	AllowUnsafeDurability bool
}

// Main is a running meibo server; the binary and the end-to-end tests both
// start it (on port 0 in tests).
type Main struct {
	Config  Config
	DB      *sqlstore.DB
	Service *service.Service

	log     *slog.Logger
	srv     *http.Server
	ln      net.Listener
	certs   *certFiles // nil without TLS
	ready   atomic.Bool
	stop    context.CancelFunc
	workers sync.WaitGroup
	served  chan error

	metrics    *metrics.Registry // nil with --no-metrics
	metricsSrv *http.Server      // on --metrics-addr
	metricsLn  net.Listener
}

// NewMain returns a server with cfg, not yet started.
func NewMain(cfg Config) *Main { return &Main{Config: cfg} }

// Open starts the server: storage, migrations, built-in administrators,
// workers and the listener. It returns once requests are answered.
func (m *Main) Open(ctx context.Context) error {
	cfg := &m.Config
	m.log = cfg.Logger
	if m.log == nil {
		var err error
		if m.log, err = newLogger(os.Stderr, cfg.LogLevel, cfg.LogFormat); err != nil {
			return usagef("%v", err)
		}
	}
	loc, err := loadLocation(cfg.TimeZone)
	if err != nil {
		return usagef("%v", err)
	}
	hasher := cfg.testHasher
	if hasher == nil {
		if hasher, err = argon2id.New(cfg.Argon2); err != nil {
			return usagef("%v", err)
		}
	}
	cfg.HTTP.defaults()
	trusted, err := request.ParsePrefixes(cfg.HTTP.TrustedProxies)
	if err != nil {
		return usagef("--trusted-proxies: %v", err)
	}
	if (cfg.HTTP.TLSCert == "") != (cfg.HTTP.TLSKey == "") {
		return usagef("--tls-cert and --tls-key go together")
	}
	if cfg.HTTP.TLSCert != "" {
		if m.certs, err = newCertFiles(cfg.HTTP.TLSCert, cfg.HTTP.TLSKey, m.log); err != nil {
			return err
		}
	}
	if m.DB, err = openStore(ctx, cfg.DB, cfg.Migrate, store.Options{Clock: cfg.Clock}, m.log); err != nil {
		return err
	}
	if err := checkDurability(ctx, m.DB, cfg.AllowUnsafeDurability, m.log); err != nil {
		m.DB.Close()
		return err
	}
	// The server writes from its first moment (the built-in
	// administrators, sessions, jobs): a database that takes no writes is
	// refused here, with why, rather than at the first of them. (The
	// command line still reads one: a list of users from a standby.)
	if why, err := m.DB.ReadOnly(ctx); err != nil || why != "" {
		m.DB.Close()
		if err != nil {
			return err
		}
		return fmt.Errorf("the database %s takes no writes: %s", redactDSN(cfg.DB), why)
	}
	if !store.IsPostgres(cfg.DB) {
		if mode, open := sqlite.OpenToOthers(cfg.DB); open {
			m.log.Warn(fmt.Sprintf("other users of this machine may read the database file %s (mode %s): it holds password hashes and "+
				"the links of mail not yet sent; chmod 600 %s (and its -wal and -shm files)", cfg.DB, mode, cfg.DB), "db", cfg.DB, "mode", mode.String())
		}
	}
	// Listen early: the address (port 0 in tests) is known for the default
	// public URL, and a taken port fails before anything starts.
	if m.ln, err = net.Listen("tcp", cfg.Addr); err != nil {
		m.DB.Close()
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	opened := false
	defer func() {
		if !opened {
			m.ln.Close()
		}
	}()
	scfg := service.Config{Hasher: hasher, Logger: m.log, TokenTTL: cfg.TokenTTL,
		ImportMaxBytes: cfg.ImportMaxBytes, Location: loc, Worker: service.WorkerName(), Clock: cfg.Clock,
		SessionIdle: cfg.HTTP.SessionIdle, SessionMax: cfg.HTTP.SessionMax,
		AdminSessionIdle: cfg.HTTP.AdminSessionIdle, AdminSessionMax: cfg.HTTP.AdminSessionMax,
		Backuper: backup.Store{DB: m.DB, Version: version}}
	cfg.ImportLimits.apply(&scfg)
	// Set by the operator, not made up below: answers that name meibo's
	// own address (SCIM's locations) use it, else the request's host.
	publicURL := cfg.Mail.PublicURL
	if cfg.Mail.PublicURL == "" {
		cfg.Mail.PublicURL = defaultPublicURL(m.ln.Addr().String())
		if m.certs != nil {
			cfg.Mail.PublicURL = "https://" + strings.TrimPrefix(cfg.Mail.PublicURL, "http://")
		}
		m.log.Warn("links in mail point to "+cfg.Mail.PublicURL+": set --public-url to the address people reach meibo at", "public_url", cfg.Mail.PublicURL)
	}
	if m.certs == nil && !strings.HasPrefix(cfg.Mail.PublicURL, "https://") && !loopback(m.ln.Addr()) {
		m.log.Warn(fmt.Sprintf("meibo answers plain http on %s for other machines, and its public URL is %s: passwords and "+
			"session cookies cross the network unencrypted. Serve https (--tls-cert and --tls-key), or put it behind a proxy "+
			"that does and give --public-url https://…", m.ln.Addr(), cfg.Mail.PublicURL), "addr", m.ln.Addr().String())
	}
	if why := metricsExposed(cfg.Metrics, m.ln.Addr(), len(trusted) > 0); why != "" {
		m.log.Warn(fmt.Sprintf("/metrics is served on %s to %s, without a token: anyone who reaches it reads the sign-in counts, "+
			"route latencies and queue backlogs. Give scrapers a token with --metrics-token-file, serve the metrics on an address "+
			"of their own with --metrics-addr (e.g. 127.0.0.1:9090), or turn them off with --no-metrics", m.ln.Addr(), why),
			"addr", m.ln.Addr().String())
	}
	if err := cfg.Mail.apply(&scfg); err != nil {
		m.DB.Close()
		return err
	}
	resolver, err := request.NewResolver(trusted, cfg.Mail.PublicURL)
	if err != nil {
		m.DB.Close()
		return usagef("--public-url: %v", err)
	}
	if scfg.Sender == nil {
		m.log.Info("no SMTP server configured: mail stays in the outbox (meibo mail list, GET /api/v1/mail)")
	}
	if !cfg.Metrics.Disable {
		m.metrics = m.openMetrics()
		scfg.Metrics = m.metrics
	}
	ssoClient, factors, err := cfg.SignIn.client(cfg.Mail.PublicURL)
	if err != nil {
		m.DB.Close()
		return err
	}
	scfg.Factors = factors
	m.Service = service.New(m.DB, scfg)
	created, generated, err := m.Service.Bootstrap(ctx, cfg.AdminPassword)
	if meibo.ErrorCode(err) == meibo.CodeInvalid {
		// The password chosen for the first start is refused: say where
		// it came from.
		m.DB.Close()
		return usagef("the password of --admin-password (MEIBO_ADMIN_PASSWORD, --admin-password-file) is refused: %s", message(err, meibo.English))
	}
	if err != nil {
		m.DB.Close()
		return fmt.Errorf("create built-in administrators: %w", err)
	}
	if created {
		m.log.Info("created the built-in administrators", "admin", meibo.BuiltinAdmin, "backup", meibo.BuiltinBackup)
		if generated != "" {
			out := cfg.BootstrapPassword
			if out == nil {
				out = os.Stderr
			}
			fmt.Fprintf(out, "\n  meibo: created administrator %q with password: %s\n  It is shown only this once: sign in and change it (or set MEIBO_ADMIN_PASSWORD before the first start).\n\n", meibo.BuiltinAdmin, generated)
		}
	}
	if err := m.Service.RecoverImports(ctx); err != nil {
		m.DB.Close()
		return fmt.Errorf("recover import jobs: %w", err)
	}

	wctx, cancel := context.WithCancel(context.Background())
	m.stop = cancel
	m.workers.Add(6)
	go func() {
		defer m.workers.Done()
		m.Service.RunSearchIndexer(wctx)
	}()
	go func() {
		defer m.workers.Done()
		m.Service.RunBackupScheduler(wctx)
	}()
	go func() {
		defer m.workers.Done()
		m.Service.RunCommandListener(wctx)
	}()
	go func() {
		defer m.workers.Done()
		m.Service.RunImportWorker(wctx)
	}()
	go func() {
		defer m.workers.Done()
		m.Service.RunCleaner(wctx)
	}()
	go func() {
		defer m.workers.Done()
		m.Service.RunMailWorker(wctx)
	}()
	m.checkSSO(wctx, ssoClient)

	apiSrv := api.New(m.Service, api.Options{Logger: m.log, MaxUpload: cfg.ImportMaxBytes})
	public, err := web.NewPublic(m.Service, web.PublicOptions{Logger: m.log, Location: loc})
	if err != nil {
		cancel()
		m.workers.Wait()
		m.DB.Close()
		return err
	}
	con, err := console.New(m.Service, console.Options{Logger: m.log, Location: loc, Assets: public.Assets(),
		MaxUpload: cfg.ImportMaxBytes, SSO: ssoClient})
	if err != nil {
		cancel()
		m.workers.Wait()
		m.DB.Close()
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", apiSrv)
	mux.Handle("/device/", apiSrv)
	mux.Handle(scim.Prefix, scim.New(m.Service, scim.Options{Logger: m.log, MaxPayloadSize: cfg.HTTP.JSONMaxBytes, PublicURL: publicURL}))
	public.Register(mux)
	con.Register(mux)
	por, err := portal.New(m.Service, portal.Options{Logger: m.log, Location: loc, Assets: public.Assets()})
	if err != nil {
		cancel()
		m.workers.Wait()
		m.DB.Close()
		return err
	}
	por.Register(mux)
	mux.HandleFunc("GET /healthz", m.handleHealth)
	m.registerProbes(mux)
	var root http.Handler = mux
	if m.metrics != nil {
		root = metrics.Route(mux)
	}
	handler := cfg.HTTP.handler(m.log, resolver, public, root)
	if m.metrics != nil {
		handler = m.metrics.Middleware(handler)
	}
	if err := m.listenMetrics(); err != nil {
		cancel()
		m.workers.Wait()
		m.DB.Close()
		return err
	}
	m.srv = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // uploads of large import files
		WriteTimeout:      10 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(m.log.Handler(), slog.LevelWarn),
	}
	// Devices' long polls answer at once when the server shuts down.
	m.srv.RegisterOnShutdown(m.Service.EndLongPolls)
	m.served = make(chan error, 1)
	if m.certs != nil {
		m.srv.TLSConfig = m.certs.tlsConfig()
		go func() { m.served <- m.srv.ServeTLS(m.ln, "", "") }()
	} else {
		go func() { m.served <- m.srv.Serve(m.ln) }()
	}
	opened = true
	m.ready.Store(true)
	m.log.Info("meibo is ready", "addr", m.ln.Addr().String(), "db", redactDSN(cfg.DB), "engine", m.DB.Engine())
	return nil
}

// URL is the server's base URL.
func (m *Main) URL() string {
	addr := m.ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	scheme := "http://"
	if m.certs != nil {
		scheme = "https://"
	}
	return scheme + net.JoinHostPort(host, fmt.Sprint(addr.Port))
}

// handleHealth is the liveness probe: 200 for as long as the process
// answers, during the shutdown drain too (/readyz says whether to send it
// requests; a liveness failure gets the process killed).
func (m *Main) handleHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	io.WriteString(w, `{"status":"ok"}`+"\n")
}

// Close stops taking requests, lets running ones finish, stops the workers
// and closes the database.
func (m *Main) Close() error {
	m.ready.Store(false)
	if d := m.Config.Metrics.ShutdownDrain; d > 0 && m.srv != nil {
		// /readyz answers 503 now: give load balancers a moment to see it.
		time.Sleep(d)
	}
	timeout := m.Config.ShutdownTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var errs []error
	if m.srv != nil {
		if err := m.srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shut down http: %w", err))
		}
	}
	if m.stop != nil {
		m.stop()
	}
	m.workers.Wait()
	if m.Service != nil {
		m.Service.WaitAudits() // refused requests still being recorded
	}
	if m.metricsSrv != nil {
		m.metricsSrv.Close()
	}
	if m.DB != nil {
		if err := m.DB.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func runServe(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "serve", "serve [flags]")
	cfg := Config{Argon2: argon2id.Default}
	fs.StringVar(&cfg.Addr, "addr", "localhost:8080", "address to listen on (\":8080\" for every interface)")
	dbFlag(fs, &cfg.DB)
	fs.StringVar(&cfg.AdminPassword, "admin-password", "", "password of the built-in admin at first start (else a random one is printed once)")
	adminPasswordFile := fs.String("admin-password-file", "", "file holding --admin-password")
	argonFlags(fs, &cfg.Argon2)
	fs.DurationVar(&cfg.TokenTTL, "token-ttl", 12*time.Hour, "lifetime of API tokens from POST /api/v1/login")
	fs.Int64Var(&cfg.ImportMaxBytes, "import-max-bytes", 64<<20, "largest import file in bytes")
	importLimitFlags(fs, &cfg.ImportLimits, service.DefaultImportMaxRows)
	fs.StringVar(&cfg.TimeZone, "time-zone", "Local", "time zone for times in files (IANA name, e.g. Asia/Tokyo)")
	fs.StringVar(&cfg.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&cfg.LogFormat, "log-format", "text", "text or json")
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", 30*time.Second, "how long to let running requests finish on SIGINT/SIGTERM")
	fs.StringVar(&cfg.Migrate, "migrate", "auto", "auto: migrate a new database, refuse an outdated one; always; never")
	mailFlags(fs, &cfg.Mail)
	httpFlags(fs, &cfg.HTTP)
	metricsTokenFile := ""
	metricsFlags(fs, &cfg.Metrics, &metricsTokenFile)
	signInFlags(fs, &cfg.SignIn)
	fs.BoolVar(&cfg.AllowUnsafeDurability, "allow-unsafe-durability", false, "start even when the database could lose committed changes in a crash (SQLite pragmas, PostgreSQL fsync/synchronous_commit), with a warning")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	if err := cfg.ImportLimits.check(); err != nil {
		return err
	}
	if cfg.AdminPassword, err = secret(cfg.AdminPassword, *adminPasswordFile); err != nil {
		return err
	}
	if cfg.Metrics.Token, err = secret("", metricsTokenFile); err != nil {
		return fmt.Errorf("--metrics-token-file: %w", err)
	}
	m := NewMain(cfg)
	if err := m.Open(ctx); err != nil {
		if ctx.Err() != nil {
			// Asked to stop while starting: a stop, not a failure.
			m.log.Info("stopped while starting")
			return nil
		}
		return err
	}
	select {
	case <-ctx.Done():
		m.log.Info("shutting down")
	case err := <-m.served:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Close()
			return fmt.Errorf("serve: %w", err)
		}
	}
	if err := m.Close(); err != nil {
		return err
	}
	m.log.Info("stopped")
	return nil
}

func dbFlag(fs *flagSet, dst *string) {
	fs.StringVar(dst, "db", "meibo.db", "SQLite file path, or a postgres:// URL")
}

func argonFlags(fs *flagSet, p *argon2id.Params) {
	fs.Func("argon2-memory", "argon2id memory in KiB (default 19456)", func(s string) error { return parseUint32(s, &p.Memory) })
	fs.Func("argon2-time", "argon2id passes (default 2)", func(s string) error { return parseUint32(s, &p.Time) })
	fs.Func("argon2-threads", "argon2id lanes (default 1)", func(s string) error {
		var v uint32
		if err := parseUint32(s, &v); err != nil || v > 255 {
			return fmt.Errorf("a number from 1 to 255")
		}
		p.Threads = uint8(v)
		return nil
	})
}

func parseUint32(s string, dst *uint32) error {
	var v uint32
	if _, err := fmt.Sscanf(s, "%d", &v); err != nil {
		return fmt.Errorf("a whole number: %w", err)
	}
	*dst = v
	return nil
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format must be text or json, not %q", format)
}

func loadLocation(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return time.Local, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("--time-zone %q: %w", name, err)
	}
	return loc, nil
}

// redactDSN hides a password in a postgres:// URL for logs.
func redactDSN(dsn string) string {
	if !store.IsPostgres(dsn) {
		return dsn
	}
	if at := strings.LastIndex(dsn, "@"); at > 0 {
		if scheme := strings.Index(dsn, "://"); scheme > 0 {
			if colon := strings.Index(dsn[scheme+3:at], ":"); colon >= 0 {
				return dsn[:scheme+3+colon] + ":****" + dsn[at:]
			}
		}
	}
	return dsn
}

// loopback reports whether addr only takes connections from this machine.
func loopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// metricsExposed says who besides this machine reads /metrics on the main
// listener at addr without a token ("" when no one: the metrics are off,
// have an address or a token of their own, or the listener is loopback and
// no proxy forwards to it). Behind a proxy the loopback listener is
// reached from elsewhere: a proxy forwards /metrics like every other path.
func metricsExposed(c metricsConfig, addr net.Addr, proxied bool) string {
	switch {
	case c.Disable || c.Addr != "" || c.Token != "":
		return ""
	case !loopback(addr):
		return "other machines"
	case proxied:
		return "whoever reaches the proxies of --trusted-proxies"
	}
	return ""
}

// refuseNewer refuses a database that a newer meibo has migrated: this
// build's statements do not know its tables (an upgrade taken back by
// starting the older binary again, or a server left behind when the others
// of a shared database were upgraded).
func refuseNewer(dsn string, newer []string) error {
	if len(newer) > 0 {
		return fmt.Errorf("the database %s was migrated by a newer meibo (%s, unknown to this %s): run that version or a later one, "+
			"or restore a backup taken before the upgrade", redactDSN(dsn), strings.Join(newer, ", "), strings.SplitN(versionInfo(), "\n", 2)[0])
	}
	return nil
}

// openStore opens the database and checks its schema: a new database is
// migrated (unless mode is "never"); one with pending migrations is refused
// unless mode is "always", so that an upgrade of a shared database is a
// deliberate `meibo migrate`.
func openStore(ctx context.Context, dsn, mode string, opts store.Options, log *slog.Logger) (*sqlstore.DB, error) {
	if mode == "" {
		mode = "auto"
	}
	if mode != "auto" && mode != "always" && mode != "never" {
		return nil, usagef("--migrate must be auto, always or never, not %q", mode)
	}
	db, err := store.Open(ctx, dsn, opts)
	if err != nil {
		return nil, err
	}
	applied, pending, newer, err := db.MigrationState(ctx)
	if err == nil {
		err = refuseNewer(dsn, newer)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	if len(pending) > 0 {
		if mode == "always" || (mode == "auto" && len(applied) == 0) {
			names, err := db.Migrate(ctx)
			if err != nil {
				db.Close()
				return nil, err
			}
			if log != nil {
				log.Info("applied migrations", "migrations", strings.Join(names, ", "))
			}
		} else {
			db.Close()
			return nil, fmt.Errorf("the database %s needs migrations %s: run `meibo migrate --db ...` first", redactDSN(dsn), strings.Join(pending, ", "))
		}
	}
	return db, nil
}
