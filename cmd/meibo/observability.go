package main

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/meibo/meibo/metrics"
)

// metricsConfig is where and how /metrics is served, and how shutdown
// tells load balancers first.
type metricsConfig struct {
	// Addr serves /metrics (and /readyz, /healthz) on an address of its
	// own instead of the main one, e.g. 127.0.0.1:9090.
	Addr string
	// Token, when set, is the bearer token a scraper must send.
	Token string
	// Disable serves no /metrics at all.
	Disable bool
	// ShutdownDrain is how long /readyz answers 503 before the listeners
	// close at shutdown, so that load balancers stop sending requests.
	ShutdownDrain time.Duration
}

func metricsFlags(fs *flagSet, c *metricsConfig, tokenFile *string) {
	fs.StringVar(&c.Addr, "metrics-addr", "", "serve /metrics (with /healthz and /readyz) on this address instead of --addr, e.g. 127.0.0.1:9090")
	fs.StringVar(tokenFile, "metrics-token-file", "", "file holding a bearer token that scrapers of /metrics must send")
	fs.BoolVar(&c.Disable, "no-metrics", false, "serve no /metrics")
	fs.DurationVar(&c.ShutdownDrain, "shutdown-drain", 2*time.Second, "how long /readyz answers 503 at shutdown before the listeners close")
}

// openMetrics builds the registry on the store and the service's sources.
// The service is wired to it afterwards through service.Config.Metrics.
func (m *Main) openMetrics() *metrics.Registry {
	read, write := m.DB.ReadDB(), m.DB.WriteDB()
	reg := metrics.New(metrics.Sources{ReadPool: read, WritePool: write, Clock: m.Config.Clock, Logger: m.log,
		MailBacklog: func(ctx context.Context) (int, time.Time, error) {
			return m.Service.MailBacklog(ctx)
		},
		ImportBacklog: func(ctx context.Context) (int, int, time.Time, error) {
			return m.Service.ImportBacklog(ctx)
		},
		SearchIndexBacklog: func(ctx context.Context, max int) (int, error) {
			return m.Service.PendingSearchIndex(ctx, max)
		},
		DevicesOnline: func() int { return m.Service.Waiting() },
	})
	m.DB.ObserveTx(reg.ObserveTx)
	return reg
}

// metricsHandler serves the registry, behind the bearer token if one is set.
func (m *Main) metricsHandler() http.Handler {
	h := m.metrics.Handler()
	token := m.Config.Metrics.Token
	if token == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="meibo metrics"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// registerProbes adds /readyz, and /metrics unless it has an address of
// its own, to mux (/healthz is registered with the rest of the routes).
func (m *Main) registerProbes(mux *http.ServeMux) {
	mux.HandleFunc("GET /readyz", m.handleReady)
	if m.metrics != nil && m.Config.Metrics.Addr == "" {
		mux.Handle("GET /metrics", m.metricsHandler())
	}
}

// listenMetrics serves /metrics, /healthz and /readyz on --metrics-addr.
func (m *Main) listenMetrics() error {
	if m.metrics == nil || m.Config.Metrics.Addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", m.Config.Metrics.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (--metrics-addr): %w", m.Config.Metrics.Addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.metricsHandler())
	mux.HandleFunc("GET /healthz", m.handleHealth)
	mux.HandleFunc("GET /readyz", m.handleReady)
	m.metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: time.Minute,
		ErrorLog: slog.NewLogLogger(m.log.Handler(), slog.LevelWarn)}
	m.metricsLn = ln
	go m.metricsSrv.Serve(ln) //nolint:errcheck // ends with Close
	m.log.Info("metrics served", "addr", ln.Addr().String())
	return nil
}

// MetricsURL is the base URL of --metrics-addr ("" without one).
func (m *Main) MetricsURL() string {
	if m.metricsLn == nil {
		return ""
	}
	return "http://" + m.metricsLn.Addr().String()
}

// handleReady answers 200 when this server should be sent requests: it is
// not shutting down, its database answers a short query, and every
// migration is applied. Anything else is 503 with the reason.
func (m *Main) handleReady(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	answer := func(status int, state, detail string) {
		w.WriteHeader(status)
		body := map[string]string{"status": state}
		if detail != "" {
			body["detail"] = detail
		}
		json.NewEncoder(w).Encode(body) //nolint:errcheck // the client went away
	}
	if !m.ready.Load() {
		answer(http.StatusServiceUnavailable, "shutting down", "")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := m.DB.Ping(ctx); err != nil {
		m.log.Warn("readiness: the database does not answer", "err", err)
		answer(http.StatusServiceUnavailable, "database unreachable", "")
		return
	}
	pending, err := m.DB.PendingMigrations(ctx)
	if err != nil {
		m.log.Warn("readiness: migrations not readable", "err", err)
		answer(http.StatusServiceUnavailable, "database unreachable", "")
		return
	}
	if len(pending) > 0 {
		answer(http.StatusServiceUnavailable, "migrations pending", strings.Join(pending, ", "))
		return
	}
	answer(http.StatusOK, "ok", "")
}
