// Package metrics exports meibo's counts and timings to Prometheus: HTTP
// requests by route pattern, sign-ins and checks of second factors, imports
// and exports, the mail outbox, devices and their commands, database pools
// and transactions, and the Go runtime and process.
//
// It implements service.Metrics; the service itself knows nothing of
// Prometheus. Labels are fixed words only (route patterns, methods,
// statuses, surfaces, factors, outcomes, formats, actions): never an ID, a
// name or an address. It imports the service (for its interface) and
// nothing of storage: cmd/meibo hands it the pools and the functions it
// reads at scrape time.
package metrics

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/meibo/meibo/service"
)

// Sources are what the registry reads when it is scraped.
type Sources struct {
	// MailBacklog returns the pending messages and when the oldest was
	// written (zero when none).
	MailBacklog func(ctx context.Context) (pending int, oldest time.Time, err error)
	// ImportBacklog returns the queued and running jobs and when the
	// longest-running one started (zero when none).
	ImportBacklog func(ctx context.Context) (queued, running int, oldestStart time.Time, err error)
	// SearchIndexBacklog counts the users waiting for the keyword index
	// (an import or a restore leaves them; the indexer moves them in), up
	// to searchIndexCap.
	SearchIndexBacklog func(ctx context.Context, max int) (int, error)
	// DevicesOnline is how many devices' long polls wait on this server.
	DevicesOnline func() int
	// ReadPool and WritePool are the database's pools (WritePool nil or
	// the same as ReadPool when the engine has one).
	ReadPool, WritePool *sql.DB
	// Clock returns the current time (default time.Now), for ages.
	Clock  func() time.Time
	Logger *slog.Logger
}

// Registry holds meibo's metrics. It implements service.Metrics.
type Registry struct {
	reg *prometheus.Registry

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec

	signIns       *prometheus.CounterVec
	secondFactors *prometheus.CounterVec

	importJobs     *prometheus.CounterVec
	importRows     *prometheus.CounterVec
	importDuration *prometheus.HistogramVec
	importRate     *prometheus.GaugeVec
	exportJobs     *prometheus.CounterVec
	exportRows     *prometheus.CounterVec
	exportDuration *prometheus.HistogramVec

	mailAttempts *prometheus.CounterVec

	commandsDelivered *prometheus.CounterVec
	commandDelivery   *prometheus.HistogramVec
	commandsFinished  *prometheus.CounterVec

	txDuration *prometheus.HistogramVec
}

var _ service.Metrics = (*Registry)(nil)

// jobBuckets are durations of import and export jobs: a second to an hour.
var jobBuckets = []float64{0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600}

// New returns a registry with every metric, the Go runtime and process
// collectors, and the collectors that read src at scrape time.
func New(src Sources) *Registry {
	if src.Clock == nil {
		src.Clock = time.Now
	}
	if src.Logger == nil {
		src.Logger = slog.Default()
	}
	r := &Registry{reg: prometheus.NewRegistry()}
	f := func(c prometheus.Collector) { r.reg.MustRegister(c) }

	r.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "meibo_http_requests_total",
		Help: "HTTP requests answered, by route pattern, method and status."}, []string{"route", "method", "status"})
	r.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "meibo_http_request_duration_seconds",
		Help: "Time to answer HTTP requests, by route pattern and method (long polls included).", Buckets: prometheus.DefBuckets},
		[]string{"route", "method"})
	r.signIns = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "meibo_signins_total",
		Help: "Sign-in attempts by surface (console, api, portal) and outcome (success, refused, throttled, error)."}, []string{"surface", "outcome"})
	r.secondFactors = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "meibo_second_factor_total",
		Help: "Checks of administrators' second factors by surface (console, api), factor (totp, recovery, passkey) and outcome " +
			"(success, refused, throttled, error)."}, []string{"surface", "factor", "outcome"})

	r.importJobs = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "meibo_import_jobs_total",
		Help: "Import jobs finished by this server, by format and outcome (success, failed)."}, []string{"format", "outcome"})
	r.importRows = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "meibo_import_rows_total",
		Help: "Rows of the import jobs finished, by format and outcome."}, []string{"format", "outcome"})
	r.importDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "meibo_import_duration_seconds",
		Help: "How long import jobs ran, by format and outcome.", Buckets: jobBuckets}, []string{"format", "outcome"})
	r.importRate = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "meibo_import_last_rows_per_second",
		Help: "Rows per second of the last successful import job of each format."}, []string{"format"})
	r.exportJobs = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "meibo_export_jobs_total",
		Help: "Exports, by format and outcome (success; refused: authority, scope, no such group; failed while writing)."}, []string{"format", "outcome"})
	r.exportRows = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "meibo_export_rows_total",
		Help: "Rows written by exports, by format."}, []string{"format"})
	r.exportDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "meibo_export_duration_seconds",
		Help: "How long exports took, by format.", Buckets: jobBuckets}, []string{"format"})

	r.mailAttempts = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "meibo_mail_attempts_total",
		Help: "Mail delivery attempts by outcome: sent, retry (a temporary failure, tried again later), failed (given up)."}, []string{"outcome"})

	r.commandsDelivered = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "meibo_commands_delivered_total",
		Help: "Remote commands handed to their devices, by action."}, []string{"action"})
	r.commandDelivery = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "meibo_command_delivery_seconds",
		Help:    "Time from queuing a command to handing it to its device, by action.",
		Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600}}, []string{"action"})
	r.commandsFinished = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "meibo_commands_finished_total",
		Help: "Remote commands reported by their devices, by action and outcome (done, failed)."}, []string{"action", "outcome"})

	r.txDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "meibo_db_transaction_duration_seconds",
		Help:    "Database transactions from begin to commit or rollback, by kind (read, write) and outcome (commit, rollback).",
		Buckets: []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60}}, []string{"kind", "outcome"})

	for _, c := range []prometheus.Collector{r.httpRequests, r.httpDuration, r.signIns, r.secondFactors, r.importJobs, r.importRows, r.importDuration,
		r.importRate, r.exportJobs, r.exportRows, r.exportDuration, r.mailAttempts, r.commandsDelivered, r.commandDelivery,
		r.commandsFinished, r.txDuration} {
		f(c)
	}
	// The second factors each surface checks start at zero, so that the
	// first refusals show as an increase.
	for surface, factors := range map[string][]string{"console": {"totp", "recovery", "passkey"}, "api": {"totp", "recovery"}} {
		for _, factor := range factors {
			for _, outcome := range []string{"success", "refused", "throttled"} {
				r.secondFactors.WithLabelValues(surface, factor, outcome)
			}
		}
	}
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if src.ReadPool != nil {
		f(collectors.NewDBStatsCollector(src.ReadPool, "read"))
	}
	if src.WritePool != nil && src.WritePool != src.ReadPool {
		f(collectors.NewDBStatsCollector(src.WritePool, "write"))
	}
	if src.DevicesOnline != nil {
		f(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "meibo_devices_online",
			Help: "Devices whose long poll waits on this server."}, func() float64 { return float64(src.DevicesOnline()) }))
	}
	if src.MailBacklog != nil || src.ImportBacklog != nil || src.SearchIndexBacklog != nil {
		f(&backlog{src: src})
	}
	return r
}

// Handler serves the metrics in the Prometheus exposition format.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{Registry: r.reg})
}

// Gatherer is the registry, for tests and custom exposition.
func (r *Registry) Gatherer() prometheus.Gatherer { return r.reg }

// SignIn implements service.Metrics.
func (r *Registry) SignIn(surface, outcome string) {
	r.signIns.WithLabelValues(surface, outcome).Inc()
}

// SecondFactor implements service.Metrics.
func (r *Registry) SecondFactor(surface, factor, outcome string) {
	r.secondFactors.WithLabelValues(surface, factor, outcome).Inc()
}

// ImportFinished implements service.Metrics.
func (r *Registry) ImportFinished(format, outcome string, rows int, took time.Duration) {
	r.importJobs.WithLabelValues(format, outcome).Inc()
	r.importRows.WithLabelValues(format, outcome).Add(float64(rows))
	r.importDuration.WithLabelValues(format, outcome).Observe(took.Seconds())
	if outcome == "success" && took > 0 {
		r.importRate.WithLabelValues(format).Set(float64(rows) / took.Seconds())
	}
}

// ExportFinished implements service.Metrics.
func (r *Registry) ExportFinished(format, outcome string, rows int, took time.Duration) {
	r.exportJobs.WithLabelValues(format, outcome).Inc()
	r.exportRows.WithLabelValues(format).Add(float64(rows))
	r.exportDuration.WithLabelValues(format).Observe(took.Seconds())
}

// MailAttempt implements service.Metrics.
func (r *Registry) MailAttempt(outcome string) { r.mailAttempts.WithLabelValues(outcome).Inc() }

// CommandDelivered implements service.Metrics.
func (r *Registry) CommandDelivered(action string, waited time.Duration) {
	r.commandsDelivered.WithLabelValues(action).Inc()
	r.commandDelivery.WithLabelValues(action).Observe(waited.Seconds())
}

// CommandFinished implements service.Metrics.
func (r *Registry) CommandFinished(action, outcome string) {
	r.commandsFinished.WithLabelValues(action, outcome).Inc()
}

// ObserveTx times a database transaction (for sqlstore.DB.ObserveTx).
func (r *Registry) ObserveTx(kind string, took time.Duration, err error) {
	outcome := "commit"
	if err != nil {
		outcome = "rollback"
	}
	r.txDuration.WithLabelValues(kind, outcome).Observe(took.Seconds())
}

// methods are the HTTP methods counted by name; any other is "other".
var methods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true}

type routeKey struct{}

// route is where the innermost handler leaves the pattern that matched.
type route struct{ pattern string }

// Middleware counts and times every request by the route pattern that
// served it. Wrap the whole handler with it, and the mux with Route, so
// that requests refused on the way (by size, origin) are counted too.
func (r *Registry) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		start := time.Now()
		rt := &route{}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, req.WithContext(context.WithValue(req.Context(), routeKey{}, rt)))
		method := req.Method
		if !methods[method] {
			method = "other"
		}
		pattern := Pattern(rt.pattern)
		r.httpRequests.WithLabelValues(pattern, method, strconv.Itoa(sw.status)).Inc()
		r.httpDuration.WithLabelValues(pattern, method).Observe(time.Since(start).Seconds())
	})
}

// Route records the pattern mux matched (net/http sets it on the request,
// also when the handler is a mux of its own) for Middleware.
func Route(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mux.ServeHTTP(w, req)
		if rt, ok := req.Context().Value(routeKey{}).(*route); ok {
			rt.pattern = req.Pattern
		}
	})
}

// Pattern is the route label of a mux pattern: the path of the pattern
// without its method (the method is a label of its own), or "unmatched"
// for a request no route took. Patterns hold wildcards such as {id},
// never the values of a request. A pattern of one path (/console/{$}) is
// that path (/console/); one of every path under it (/console/, which
// answers 404 to what no other route takes) ends in "*" (/console/*).
func Pattern(p string) string {
	if p == "" {
		return "unmatched"
	}
	if _, path, ok := strings.Cut(p, " "); ok {
		p = path
	}
	if exact, ok := strings.CutSuffix(p, "{$}"); ok {
		return exact
	}
	if strings.HasSuffix(p, "/") {
		return p + "*"
	}
	return p
}

type statusWriter struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.status, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wroteHeader = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer (flush,
// deadlines of long polls).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// searchIndexCap is the most waiting users a scrape counts: reading the
// waiting list costs 50 ms a million (PostgreSQL, and SQLite's own shell),
// and a scrape should stay short.
const searchIndexCap = 1_000_000

// backlog reads the mail outbox, the import queue and the keyword index's
// waiting list at scrape time.
type backlog struct{ src Sources }

var (
	mailPendingDesc   = prometheus.NewDesc("meibo_mail_pending", "Messages waiting in the outbox.", nil, nil)
	mailOldestDesc    = prometheus.NewDesc("meibo_mail_oldest_pending_age_seconds", "Age of the oldest message waiting in the outbox (0 when none).", nil, nil)
	importQueuedDesc  = prometheus.NewDesc("meibo_import_jobs_queued", "Import jobs waiting for a worker.", nil, nil)
	importRunningDesc = prometheus.NewDesc("meibo_import_jobs_running", "Import jobs RUNNING.", nil, nil)
	importOldestDesc  = prometheus.NewDesc("meibo_import_oldest_running_age_seconds", "How long the longest-running import job has been RUNNING (0 when none).", nil, nil)
	searchWaitingDesc = prometheus.NewDesc("meibo_search_index_waiting_users", "Users waiting for the keyword index after an import or a restore, counted up to 1,000,000.", nil, nil)
	scrapeErrorDesc   = prometheus.NewDesc("meibo_backlog_scrape_error", "1 when the database could not be read for the backlog figures at this scrape.", nil, nil)
)

func (b *backlog) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{mailPendingDesc, mailOldestDesc, importQueuedDesc, importRunningDesc, importOldestDesc, searchWaitingDesc, scrapeErrorDesc} {
		ch <- d
	}
}

func (b *backlog) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	now := b.src.Clock()
	age := func(t time.Time) float64 {
		if t.IsZero() || now.Before(t) {
			return 0
		}
		return now.Sub(t).Seconds()
	}
	failed := 0.0
	if b.src.MailBacklog != nil {
		if n, oldest, err := b.src.MailBacklog(ctx); err != nil {
			b.src.Logger.Warn("metrics: read the mail backlog", "err", err)
			failed = 1
		} else {
			ch <- prometheus.MustNewConstMetric(mailPendingDesc, prometheus.GaugeValue, float64(n))
			ch <- prometheus.MustNewConstMetric(mailOldestDesc, prometheus.GaugeValue, age(oldest))
		}
	}
	if b.src.ImportBacklog != nil {
		if q, r, oldest, err := b.src.ImportBacklog(ctx); err != nil {
			b.src.Logger.Warn("metrics: read the import backlog", "err", err)
			failed = 1
		} else {
			ch <- prometheus.MustNewConstMetric(importQueuedDesc, prometheus.GaugeValue, float64(q))
			ch <- prometheus.MustNewConstMetric(importRunningDesc, prometheus.GaugeValue, float64(r))
			ch <- prometheus.MustNewConstMetric(importOldestDesc, prometheus.GaugeValue, age(oldest))
		}
	}
	if b.src.SearchIndexBacklog != nil {
		if n, err := b.src.SearchIndexBacklog(ctx, searchIndexCap); err != nil {
			b.src.Logger.Warn("metrics: count the users waiting for the keyword index", "err", err)
			failed = 1
		} else {
			ch <- prometheus.MustNewConstMetric(searchWaitingDesc, prometheus.GaugeValue, float64(n))
		}
	}
	ch <- prometheus.MustNewConstMetric(scrapeErrorDesc, prometheus.GaugeValue, failed)
}
