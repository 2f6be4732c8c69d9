package metrics_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/meibo/meibo/metrics"
)

// gauge returns the value of a gauge without labels, and whether it was
// gathered.
func gauge(t *testing.T, r *metrics.Registry, name string) (float64, bool) {
	t.Helper()
	fams, err := r.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == name && f.GetType() == dto.MetricType_GAUGE && len(f.Metric) == 1 {
			return f.Metric[0].GetGauge().GetValue(), true
		}
	}
	return 0, false
}

// TestSearchIndexBacklog: the users waiting for the keyword index are
// counted at each scrape, up to a million; a count that fails leaves the
// gauge out and raises the scrape error.
func TestSearchIndexBacklog(t *testing.T) {
	var asked int
	waiting, fail := 1234, false
	r := metrics.New(metrics.Sources{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		SearchIndexBacklog: func(_ context.Context, max int) (int, error) {
			asked = max
			if fail {
				return 0, errors.New("database unreachable")
			}
			return waiting, nil
		},
	})
	if n, ok := gauge(t, r, "meibo_search_index_waiting_users"); !ok || n != 1234 {
		t.Errorf("meibo_search_index_waiting_users = %v (gathered %v), want 1234", n, ok)
	}
	if asked != 1_000_000 {
		t.Errorf("counted up to %d, want 1,000,000", asked)
	}
	if n, _ := gauge(t, r, "meibo_backlog_scrape_error"); n != 0 {
		t.Errorf("meibo_backlog_scrape_error = %v after a count", n)
	}
	fail = true
	if n, ok := gauge(t, r, "meibo_search_index_waiting_users"); ok {
		t.Errorf("meibo_search_index_waiting_users = %v after a failed count", n)
	}
	if n, _ := gauge(t, r, "meibo_backlog_scrape_error"); n != 1 {
		t.Errorf("meibo_backlog_scrape_error = %v after a failed count, want 1", n)
	}
}
