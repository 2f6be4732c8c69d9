package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/csvio"
	"github.com/meibo/meibo/internal/smtptest"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

const metricsToken = "scrape-secret-of-the-test"

// metricsClient talks to a running server's JSON API.
type metricsClient struct {
	t    *testing.T
	base string
}

func (c *metricsClient) do(method, path, ct string, body []byte, auth string) (int, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func (c *metricsClient) json(method, path string, in any, auth string, want int) map[string]any {
	c.t.Helper()
	var body []byte
	if in != nil {
		body, _ = json.Marshal(in)
	}
	st, out := c.do(method, path, "application/json", body, auth)
	if st != want {
		c.t.Fatalf("%s %s: %d %s (want %d)", method, path, st, out, want)
	}
	var v map[string]any
	json.Unmarshal([]byte(out), &v) //nolint:errcheck // bodies of 204 are empty
	return v
}

// scrape reads /metrics with the token and parses it with the Prometheus
// text parser.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	req, _ := http.NewRequest("GET", url+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+metricsToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("GET /metrics: %d", res.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// signIns is the count of sign-ins on surface with outcome that the
// server at url reports.
func signIns(t *testing.T, url, surface, outcome string) float64 {
	t.Helper()
	v, _ := value(scrape(t, url), "meibo_signins_total", "surface", surface, "outcome", outcome)
	return v
}

// secondFactors is the count of second-factor checks on surface of factor
// with outcome that the server at url reports.
func secondFactors(t *testing.T, url, surface, factor, outcome string) float64 {
	t.Helper()
	v, _ := value(scrape(t, url), "meibo_second_factor_total", "surface", surface, "factor", factor, "outcome", outcome)
	return v
}

// value is the value of the series of name with exactly the labels given
// (a counter's or gauge's value, a histogram's count), and whether it is there.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		if len(m.Label) != len(labels)/2 {
			continue
		}
		for i := 0; i < len(labels); i += 2 {
			found := false
			for _, l := range m.Label {
				if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

// The values each label of meibo's metrics may take: fixed words, route
// patterns, status codes. Anything else (an ID, a name, an address) fails.
var allowedLabels = map[string]*regexp.Regexp{
	"route":   regexp.MustCompile(`^(unmatched|/[A-Za-z0-9/_.{}-]*\*?)$`),
	"method":  regexp.MustCompile(`^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|other)$`),
	"status":  regexp.MustCompile(`^[1-5][0-9][0-9]$`),
	"surface": regexp.MustCompile(`^(console|api|portal)$`),
	"factor":  regexp.MustCompile(`^(totp|recovery|passkey)$`),
	"outcome": regexp.MustCompile(`^(success|refused|throttled|error|failed|sent|retry|done|cancelled|commit|rollback)$`),
	"format":  regexp.MustCompile(`^(users|admins|devices|personal|bulk:[a-z]+\.[a-z]+)$`),
	"action":  regexp.MustCompile(`^(lock|ring|locate|message|wipe)$`),
	"kind":    regexp.MustCompile(`^(read|write)$`),
	"db_name": regexp.MustCompile(`^(read|write)$`),
	"le":      regexp.MustCompile(`^([0-9.e+-]+|\+Inf)$`),
	"version": regexp.MustCompile(`^go[0-9.a-z-]+$`),        // go_info
	"cause":   regexp.MustCompile(`^(encoding|gathering)$`), // promhttp's own errors
}

// TestMetrics runs a script through the real server — sign-ins on every
// surface, an import, a mail, a device command — and reads /metrics: the
// text parses, every series expected is there with its count, and no label
// carries an ID, a name or an address.
func TestMetrics(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		smtp := smtptest.Start(t, smtptest.Options{StartTLS: true})
		m, _ := startTransport(t, engine, func(c *Config) {
			c.Metrics.Token = metricsToken
			c.Mail = mailConfig{PublicURL: "https://meibo.example.org", SMTP: smtp.Mailer("meibo <noreply@meibo.example.org>")}
		})
		base := m.URL()
		c := &metricsClient{t: t, base: base}

		// Without the token, or with a wrong one, no metrics.
		for _, auth := range []string{"", "wrong"} {
			if st, _ := c.do("GET", "/metrics", "", nil, auth); st != http.StatusUnauthorized {
				t.Errorf("GET /metrics with token %q: %d", auth, st)
			}
		}

		// Sign-ins: the API (one success, two refusals), the console and
		// the portal through the service as their pages call it.
		login := c.json("POST", "/api/v1/login", map[string]string{"loginId": "admin", "password": transportPassword}, "", 200)
		tok := login["token"].(string)
		ctx := context.Background()
		if _, _, err := m.Service.SignIn(ctx, "admin", transportPassword, "192.0.2.7", "test", meibo.English); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			c.json("POST", "/api/v1/login", map[string]string{"loginId": "admin", "password": "Wrong-pass-phrase-1"}, "", 401)
		}

		// Second factors: an administrator with an authenticator app signs
		// in to the console (one more console sign-in, at the password) and
		// gives a wrong code, then the right one; on the API, a wrong code
		// and a wrong recovery code (two refused API sign-ins), then a
		// recovery code (an API sign-in).
		const keeperPassword = "Lantern-quiet-pw3"
		if _, err := m.Service.CreateAdmin(meibo.WithActor(ctx, meibo.System("test")), service.AdminInput{LoginID: "keeper", Name: "Keeper",
			Password: keeperPassword, Authorities: meibo.NewAuthorities(meibo.AuthConsole)}); err != nil {
			t.Fatal(err)
		}
		setupSession, _, err := m.Service.SignIn(ctx, "keeper", keeperPassword, "192.0.2.9", "test", meibo.English)
		if err != nil {
			t.Fatal(err)
		}
		act, _, err := m.Service.FactorActor(ctx, setupSession, "")
		if err != nil {
			t.Fatal(err)
		}
		setup, err := m.Service.BeginTOTP(meibo.WithActor(ctx, act))
		if err != nil {
			t.Fatal(err)
		}
		recovery, err := m.Service.ConfirmTOTP(meibo.WithActor(ctx, act), totpCodeNow(t, setup.Secret))
		if err != nil || len(recovery) == 0 {
			t.Fatalf("confirm the authenticator: %v, %d recovery codes", err, len(recovery))
		}
		second, sess, err := m.Service.SignIn(ctx, "keeper", keeperPassword, "192.0.2.9", "test", meibo.English)
		if err != nil || sess.Stage != meibo.StageSecond {
			t.Fatalf("sign-in with an authenticator: %v, %+v", err, sess)
		}
		if err := m.Service.SecondFactor(ctx, second, totpCode(t, setup.Secret, time.Now().Add(time.Hour)), "192.0.2.9"); meibo.ErrorCode(err) != meibo.CodeUnauthorized {
			t.Fatalf("a wrong code in the console: %v", err)
		}
		// The next step's code: the confirmation used this one.
		if err := m.Service.SecondFactor(ctx, second, totpCode(t, setup.Secret, time.Now().Add(30*time.Second)), "192.0.2.9"); err != nil {
			t.Fatalf("the right code in the console: %v", err)
		}
		for _, code := range []string{totpCode(t, setup.Secret, time.Now().Add(time.Hour)), "wrong-recovery-code"} {
			c.json("POST", "/api/v1/login", map[string]string{"loginId": "keeper", "password": keeperPassword, "code": code}, "", 401)
		}
		c.json("POST", "/api/v1/login", map[string]string{"loginId": "keeper", "password": keeperPassword, "code": recovery[0]}, "", 200)

		// A user with an invitation: one mail, sent.
		c.json("POST", "/api/v1/groups", map[string]string{"id": "G1", "name": "Sales"}, tok, 201)
		c.json("POST", "/api/v1/groups/G1/users", map[string]any{"name": "taro", "email": "taro@example.org", "sendInvitation": true}, tok, 201)
		smtp.Wait(t, 1, 10*time.Second)
		// Wrong passwords on the portal until the throttle holds them back.
		portalRefused := 0
		for {
			_, _, err := m.Service.PortalSignIn(ctx, "G1", "taro", "Not-his-password-1", "192.0.2.8", "test", meibo.English)
			if meibo.ErrorCode(err) == meibo.CodeRateLimited {
				break
			}
			if meibo.ErrorCode(err) != meibo.CodeUnauthorized || portalRefused == 20 {
				t.Fatalf("portal sign-in with a wrong password: %v", err)
			}
			portalRefused++
		}

		// An import of two users.
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		w.WriteField("format", "users")
		w.WriteField("group", "G1")
		fw, _ := w.CreateFormFile("file", "users.csv")
		io.WriteString(fw, "name,password,email\r\nhanako,Lantern-orbit-51,\r\njiro,Amber-canyon-17,\r\n")
		w.Close()
		st, body := c.do("POST", "/api/v1/imports", w.FormDataContentType(), b.Bytes(), tok)
		if st != http.StatusAccepted {
			t.Fatalf("import: %d %s", st, body)
		}
		var job struct {
			ID int64 `json:"id"`
		}
		json.Unmarshal([]byte(body), &job)
		waitFor(t, "the import to finish", func() bool {
			j := c.json("GET", fmt.Sprintf("/api/v1/imports/%d", job.ID), nil, tok, 200)
			return j["status"] == "SUCCESS" || j["status"] == "FAILED"
		})

		// An export of the group's three users.
		if st, body := c.do("GET", "/api/v1/exports/users?group=G1", "", nil, tok); st != 200 || strings.Count(body, "\n") != 4 {
			t.Fatalf("export: %d %q", st, body)
		}

		// One refused (an administrator without 32): not a failure.
		noExport := meibo.WithActor(context.Background(), &meibo.Actor{Kind: meibo.ActorAdmin, ID: 999, Name: "viewer",
			Authorities: meibo.NewAuthorities(meibo.AuthConsole)})
		if _, err := m.Service.ExportUsers(noExport, "G1", io.Discard, csvio.UTF8, false); meibo.ErrorCode(err) != meibo.CodeForbidden {
			t.Fatalf("an export without 32: %v", err)
		}

		// A device: enrolled, sent a ring, checks in, reports it done.
		et := c.json("POST", "/api/v1/groups/G1/enrolment-tokens", map[string]string{"user": "taro"}, tok, 201)
		enrolled := c.json("POST", "/device/v1/enrol", map[string]string{"token": et["token"].(string), "name": "taro-phone", "platform": "android"}, "", 201)
		secret, deviceID := enrolled["secret"].(string), int64(enrolled["deviceId"].(float64))
		cmd := c.json("POST", fmt.Sprintf("/api/v1/devices/%d/commands", deviceID), map[string]string{"action": "ring"}, tok, 202)
		got := c.json("POST", "/device/v1/checkin", nil, secret, 200)
		if cmds, _ := got["commands"].([]any); len(cmds) != 1 {
			t.Fatalf("check-in: %v", got)
		}
		c.json("POST", fmt.Sprintf("/device/v1/commands/%d/result", int64(cmd["id"].(float64))), map[string]string{"status": "done"}, secret, 200)

		// The counts, once the mail worker has recorded its attempt and the
		// background indexer has taken the import's users.
		var fams map[string]*dto.MetricFamily
		waitFor(t, "the mail attempt to be counted and the import's users indexed", func() bool {
			fams = scrape(t, base)
			n, _ := value(fams, "meibo_mail_attempts_total", "outcome", "sent")
			waiting, _ := value(fams, "meibo_search_index_waiting_users")
			return n == 1 && waiting == 0
		})
		for _, want := range []struct {
			name   string
			labels []string
			value  float64
		}{
			{"meibo_http_requests_total", []string{"route", "/api/v1/login", "method", "POST", "status", "200"}, 2},
			{"meibo_http_requests_total", []string{"route", "/api/v1/login", "method", "POST", "status", "401"}, 4},
			{"meibo_http_requests_total", []string{"route", "/api/v1/imports", "method", "POST", "status", "202"}, 1},
			{"meibo_http_requests_total", []string{"route", "/api/v1/devices/{id}/commands", "method", "POST", "status", "202"}, 1},
			{"meibo_http_requests_total", []string{"route", "/metrics", "method", "GET", "status", "401"}, 2},
			{"meibo_http_request_duration_seconds", []string{"route", "/device/v1/checkin", "method", "POST"}, 1},
			{"meibo_signins_total", []string{"surface", "api", "outcome", "success"}, 2},
			{"meibo_signins_total", []string{"surface", "api", "outcome", "refused"}, 4},
			{"meibo_signins_total", []string{"surface", "console", "outcome", "success"}, 3},
			{"meibo_second_factor_total", []string{"surface", "console", "factor", "totp", "outcome", "refused"}, 1},
			{"meibo_second_factor_total", []string{"surface", "console", "factor", "totp", "outcome", "success"}, 1},
			{"meibo_second_factor_total", []string{"surface", "api", "factor", "totp", "outcome", "refused"}, 1},
			{"meibo_second_factor_total", []string{"surface", "api", "factor", "recovery", "outcome", "refused"}, 1},
			{"meibo_second_factor_total", []string{"surface", "api", "factor", "recovery", "outcome", "success"}, 1},
			{"meibo_second_factor_total", []string{"surface", "console", "factor", "passkey", "outcome", "refused"}, 0}, // there from the start
			{"meibo_signins_total", []string{"surface", "portal", "outcome", "refused"}, float64(portalRefused)},
			{"meibo_signins_total", []string{"surface", "portal", "outcome", "throttled"}, 1},
			{"meibo_import_jobs_total", []string{"format", "users", "outcome", "success"}, 1},
			{"meibo_import_rows_total", []string{"format", "users", "outcome", "success"}, 2},
			{"meibo_import_duration_seconds", []string{"format", "users", "outcome", "success"}, 1},
			{"meibo_export_jobs_total", []string{"format", "users", "outcome", "success"}, 1},
			{"meibo_export_jobs_total", []string{"format", "users", "outcome", "refused"}, 1},
			{"meibo_export_rows_total", []string{"format", "users"}, 3},
			{"meibo_import_jobs_running", nil, 0},
			{"meibo_import_oldest_running_age_seconds", nil, 0},
			{"meibo_mail_attempts_total", []string{"outcome", "sent"}, 1},
			{"meibo_mail_pending", nil, 0},
			{"meibo_mail_oldest_pending_age_seconds", nil, 0},
			{"meibo_search_index_waiting_users", nil, 0}, // the import's users, indexed
			{"meibo_backlog_scrape_error", nil, 0},
			{"meibo_devices_online", nil, 0},
			{"meibo_commands_delivered_total", []string{"action", "ring"}, 1},
			{"meibo_command_delivery_seconds", []string{"action", "ring"}, 1},
			{"meibo_commands_finished_total", []string{"action", "ring", "outcome", "done"}, 1},
		} {
			got, ok := value(fams, want.name, want.labels...)
			if !ok || got != want.value {
				t.Errorf("%s%v = %v (present %v), want %v", want.name, want.labels, got, ok, want.value)
			}
		}
		if n, ok := value(fams, "meibo_import_last_rows_per_second", "format", "users"); !ok || n <= 0 {
			t.Errorf("meibo_import_last_rows_per_second = %v, %v", n, ok)
		}
		if n, ok := value(fams, "meibo_db_transaction_duration_seconds", "kind", "write", "outcome", "commit"); !ok || n < 5 {
			t.Errorf("write transactions timed: %v", n)
		}
		for _, name := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "process_resident_memory_bytes", "go_sql_open_connections"} {
			if fams[name] == nil {
				t.Errorf("%s is missing", name)
			}
		}
		if _, ok := value(fams, "go_sql_max_open_connections", "db_name", "read"); !ok {
			t.Errorf("no statistics of the read pool")
		}

		// No label holds an ID, a name or an address.
		secrets := []string{"taro", "hanako", "keeper", "G1", "Sales", "admin", "127.0.0.1", "192.0.2", "example.org", secret}
		var names []string
		for name, f := range fams {
			names = append(names, name)
			for _, m := range f.Metric {
				for _, l := range m.Label {
					re := allowedLabels[l.GetName()]
					if re == nil {
						t.Errorf("%s has a label %q not in the allowed set", name, l.GetName())
						continue
					}
					if !re.MatchString(l.GetValue()) {
						t.Errorf("%s{%s=%q}: a value out of the allowed set", name, l.GetName(), l.GetValue())
					}
					if l.GetName() == "route" && regexp.MustCompile(`/[0-9]+(/|$)`).MatchString(l.GetValue()) {
						t.Errorf("%s{route=%q} holds an ID", name, l.GetValue())
					}
					for _, s := range secrets {
						if strings.Contains(l.GetValue(), s) {
							t.Errorf("%s{%s=%q} holds %q", name, l.GetName(), l.GetValue(), s)
						}
					}
				}
			}
		}
		slices.Sort(names)
		t.Logf("%d metric families", len(names))
	})
}

// waitFor polls cond for up to ten seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestMetricsAddr: with --metrics-addr the metrics are served there (with
// /healthz and /readyz) and not on the main address; without a token they
// are open; --no-metrics serves none.
func TestMetricsAddr(t *testing.T) {
	m, _ := startTransport(t, "sqlite", func(c *Config) { c.Metrics.Addr = "127.0.0.1:0" })
	if st, _ := (&metricsClient{t: t, base: m.URL()}).do("GET", "/metrics", "", nil, ""); st != http.StatusNotFound {
		t.Errorf("GET /metrics on the main address: %d", st)
	}
	side := &metricsClient{t: t, base: m.MetricsURL()}
	for _, p := range []string{"/metrics", "/healthz", "/readyz"} {
		if st, body := side.do("GET", p, "", nil, ""); st != http.StatusOK {
			t.Errorf("GET %s on --metrics-addr: %d %s", p, st, body)
		}
	}
	off, _ := startTransport(t, "sqlite", func(c *Config) { c.Metrics.Disable = true })
	if st, _ := (&metricsClient{t: t, base: off.URL()}).do("GET", "/metrics", "", nil, ""); st != http.StatusNotFound {
		t.Errorf("GET /metrics with --no-metrics: %d", st)
	}
}

// TestReadyz: /readyz answers 200 on a healthy server, 503 when the
// database does not answer or a migration is not applied, and 503 as soon
// as shutdown begins, while
// /healthz tells only that the process lives (200 during the drain too).
func TestReadyz(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, engine string) {
		m, _ := startTransport(t, engine, func(c *Config) { c.Metrics.ShutdownDrain = 1500 * time.Millisecond })
		c := &metricsClient{t: t, base: m.URL()}
		if st, body := c.do("GET", "/readyz", "", nil, ""); st != http.StatusOK || !strings.Contains(body, `"ok"`) {
			t.Fatalf("GET /readyz: %d %s", st, body)
		}

		// Shutting down: 503 at once, while the listener still answers.
		closed := make(chan error, 1)
		go func() { closed <- m.Close() }()
		waitFor(t, "/readyz to answer 503", func() bool {
			st, body := c.do("GET", "/readyz", "", nil, "")
			return st == http.StatusServiceUnavailable && strings.Contains(body, "shutting down")
		})
		// The process still lives: the liveness probe stays 200, or an
		// orchestrator would kill a server draining its requests.
		if st, body := c.do("GET", "/healthz", "", nil, ""); st != http.StatusOK || !strings.Contains(body, `"ok"`) {
			t.Errorf("GET /healthz while shutting down: %d %s", st, body)
		}
		if err := <-closed; err != nil {
			t.Fatal(err)
		}

		// A migration not applied (a newer binary's, say): 503 naming it.
		m3, _ := startTransport(t, engine, nil)
		c3 := &metricsClient{t: t, base: m3.URL()}
		var last string
		if err := m3.DB.WriteDB().QueryRow(`SELECT MAX(name) FROM schema_migrations`).Scan(&last); err != nil {
			t.Fatal(err)
		}
		if _, err := m3.DB.WriteDB().Exec(`DELETE FROM schema_migrations WHERE name = '` + last + `'`); err != nil {
			t.Fatal(err)
		}
		if st, body := c3.do("GET", "/readyz", "", nil, ""); st != http.StatusServiceUnavailable || !strings.Contains(body, "migrations pending") || !strings.Contains(body, last) {
			t.Errorf("GET /readyz with %s not applied: %d %s", last, st, body)
		}

		// The database gone: 503 naming it.
		m2, _ := startTransport(t, engine, nil)
		c2 := &metricsClient{t: t, base: m2.URL()}
		read, _ := m2.DB.ReadDB(), m2.DB.WriteDB()
		read.Close()
		st, body := c2.do("GET", "/readyz", "", nil, "")
		if st != http.StatusServiceUnavailable || !strings.Contains(body, "database unreachable") {
			t.Errorf("GET /readyz without a database: %d %s", st, body)
		}
		if st, _ := c2.do("GET", "/healthz", "", nil, ""); st != http.StatusOK {
			t.Errorf("GET /healthz without a database: %d", st)
		}
	})
}
