package metrics_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"go.yaml.in/yaml/v3"

	"github.com/meibo/meibo/metrics"
	"github.com/meibo/meibo/store/storetest"
)

// exported returns the names of every series meibo exports (histograms
// with their _bucket, _sum and _count), from a registry that has seen one
// event of each kind.
func exported(t *testing.T) map[string]bool {
	t.Helper()
	db := storetest.Open(t, "sqlite", nil)
	read, write := db.ReadDB(), db.WriteDB()
	r := metrics.New(metrics.Sources{ReadPool: read, WritePool: write,
		MailBacklog: func(context.Context) (int, time.Time, error) { return 1, time.Now().Add(-time.Minute), nil },
		ImportBacklog: func(context.Context) (int, int, time.Time, error) {
			return 1, 1, time.Now().Add(-time.Minute), nil
		},
		SearchIndexBacklog: func(context.Context, int) (int, error) { return 2, nil },
		DevicesOnline:      func() int { return 3 },
	})
	r.SignIn("api", "success")
	r.SecondFactor("console", "totp", "refused")
	r.ImportFinished("users", "success", 10, time.Second)
	r.ExportFinished("users", "success", 10, time.Second)
	r.MailAttempt("sent")
	r.CommandDelivered("ring", time.Second)
	r.CommandFinished("ring", "done")
	r.ObserveTx("write", time.Millisecond, nil)
	r.ObserveTx("read", time.Millisecond, errors.New("x"))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /x/{id}", func(http.ResponseWriter, *http.Request) {})
	r.Middleware(metrics.Route(mux)).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/x/1", nil))

	fams, err := r.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range fams {
		names[f.GetName()] = true
		if f.GetType() == dto.MetricType_HISTOGRAM || f.GetType() == dto.MetricType_SUMMARY {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				names[f.GetName()+s] = true
			}
		}
	}
	return names
}

// promqlWords are the functions, aggregations and keywords of PromQL the
// examples use: every other word of an expression is a metric name.
var promqlWords = map[string]bool{"sum": true, "max": true, "min": true, "avg": true, "count": true, "rate": true, "irate": true,
	"increase": true, "histogram_quantile": true, "by": true, "without": true, "and": true, "or": true, "unless": true,
	"on": true, "ignoring": true, "bool": true, "offset": true, "topk": true, "bottomk": true, "abs": true, "clamp_min": true}

var (
	quoted   = regexp.MustCompile(`"(\\.|[^"\\])*"`)
	matchers = regexp.MustCompile(`\{[^}]*\}`)
	ranges   = regexp.MustCompile(`\[[^\]]*\]`)
	grouping = regexp.MustCompile(`\b(by|without|on|ignoring)\s*\([^)]*\)`)
	words    = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*`)
)

// metricNames returns the metric names an expression refers to.
func metricNames(expr string) []string {
	e := matchers.ReplaceAllString(quoted.ReplaceAllString(expr, `""`), " ")
	e = grouping.ReplaceAllString(ranges.ReplaceAllString(e, " "), " ")
	var out []string
	for _, w := range words.FindAllString(e, -1) {
		if !promqlWords[w] {
			out = append(out, w)
		}
	}
	return out
}

func TestMetricNames(t *testing.T) {
	got := metricNames(`sum by (le, route) (rate(meibo_x_bucket{job=~"$job",status=~"5.."}[$__rate_interval])) / sum(rate(meibo_y_total[5m])) > 0.02`)
	if !slices.Equal(got, []string{"meibo_x_bucket", "meibo_y_total"}) {
		t.Errorf("metricNames = %q", got)
	}
}

// TestAlertRules: docs/alerts.yml is a Prometheus rule file whose
// expressions name only metrics meibo exports, with the alerts the README
// promises (an import stuck RUNNING, mail waiting, server errors, refused
// second factors).
func TestAlertRules(t *testing.T) {
	names := exported(t)
	b, err := os.ReadFile("../docs/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&file); err != nil {
		t.Fatalf("docs/alerts.yml: %v", err)
	}
	var alerts []string
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			alerts = append(alerts, r.Alert)
			if r.Alert == "" || r.Expr == "" || r.Annotations["summary"] == "" {
				t.Errorf("rule %+v lacks a name, an expression or a summary", r)
			}
			if r.For != "" {
				if _, err := time.ParseDuration(r.For); err != nil {
					t.Errorf("%s: for %q: %v", r.Alert, r.For, err)
				}
			}
			checkExpr(t, names, "docs/alerts.yml "+r.Alert, r.Expr)
		}
	}
	for _, want := range []string{"MeiboImportStuck", "MeiboMailBacklog", "MeiboHTTPErrorRate", "MeiboSecondFactorsRefused"} {
		if !slices.Contains(alerts, want) {
			t.Errorf("docs/alerts.yml has no %s", want)
		}
	}
}

// TestDashboard: docs/grafana-dashboard.json is a dashboard whose queries
// name only metrics meibo exports, and that shows each area.
func TestDashboard(t *testing.T) {
	names := exported(t)
	b, err := os.ReadFile("../docs/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title  string `json:"title"`
		Panels []struct {
			Title   string `json:"title"`
			Type    string `json:"type"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("docs/grafana-dashboard.json: %v", err)
	}
	used := map[string]bool{}
	for _, p := range dash.Panels {
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, q := range p.Targets {
			checkExpr(t, names, "docs/grafana-dashboard.json "+p.Title, q.Expr)
			for _, n := range metricNames(q.Expr) {
				used[n] = true
			}
		}
	}
	for _, want := range []string{"meibo_http_requests_total", "meibo_signins_total", "meibo_second_factor_total", "meibo_import_jobs_total", "meibo_import_last_rows_per_second",
		"meibo_mail_pending", "meibo_mail_attempts_total", "meibo_search_index_waiting_users", "meibo_devices_online", "meibo_command_delivery_seconds_bucket",
		"meibo_db_transaction_duration_seconds_bucket", "go_sql_in_use_connections", "go_goroutines"} {
		if !used[want] {
			t.Errorf("the dashboard does not show %s", want)
		}
	}
}

func checkExpr(t *testing.T, names map[string]bool, where, expr string) {
	t.Helper()
	refs := metricNames(expr)
	if len(refs) == 0 {
		t.Errorf("%s: no metric in %q", where, expr)
	}
	for _, n := range refs {
		if !names[n] {
			t.Errorf("%s: %s is not a metric meibo exports (%q)", where, n, expr)
		}
	}
}

// TestMetricsInREADME: every metric of meibo's own (meibo_*) has its row in
// the README's table of metrics, and the table names no other.
func TestMetricsInREADME(t *testing.T) {
	names := exported(t)
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var table []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "| `meibo_") {
			table = append(table, line)
		}
	}
	documented := map[string]bool{}
	for _, row := range table {
		first := strings.SplitN(row, "|", 3)[1]
		for _, m := range regexp.MustCompile("`(meibo_[a-z_]+)").FindAllStringSubmatch(first, -1) {
			documented[m[1]] = true
			if !names[m[1]] {
				t.Errorf("README's table of metrics names %s, which meibo does not export", m[1])
			}
		}
	}
	for n := range names {
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_sum"), "_count")
		if strings.HasPrefix(n, "meibo_") && names[base] && !documented[base] {
			t.Errorf("%s is not in README's table of metrics", base)
		}
	}
}
