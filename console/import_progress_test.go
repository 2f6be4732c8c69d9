package console

import (
	"testing"
	"time"

	"github.com/meibo/meibo"
)

// TestImportProgressText: a running job says rows done of the estimated
// total, the time elapsed and the time left; counts take the right form.
func TestImportProgressText(t *testing.T) {
	c := &Console{loc: time.UTC}
	start := time.Date(2026, 12, 5, 15, 30, 0, 0, time.UTC)
	j := &meibo.ImportJob{Status: meibo.ImportRunning, Rows: 1200, TotalRows: 4800, Progress: 0.25, StartedAt: &start}
	got := c.progressText(meibo.English, j, start.Add(10*time.Second))
	if want := "1,200 of 4,800 rows · 0:10 elapsed · about 0:30 left"; got != want {
		t.Errorf("English: %q, want %q", got, want)
	}
	if got := c.progressText(meibo.Japanese, j, start.Add(10*time.Second)); got != "1,200 / 4,800 行 · 経過 0:10 · 残り約 0:30" {
		t.Errorf("Japanese: %q", got)
	}
	j.TotalRows, j.Progress = 0, 0
	if got := c.progressText(meibo.English, j, start.Add(2*time.Hour)); got != "1,200 rows · 2:00:00 elapsed" {
		t.Errorf("without a total: %q", got)
	}
	j.Status = meibo.ImportSuccess
	if got := c.progressText(meibo.English, j, start); got != "" {
		t.Errorf("a finished job: %q", got)
	}
	for _, tc := range []struct {
		lang meibo.Lang
		key  string
		n    int
		want string
	}{
		{meibo.English, "imp.n.errors", 1, "1 error"},
		{meibo.English, "imp.n.errors", 2, "2 errors"},
		{meibo.English, "imp.n.warnings", 0, "0 warnings"},
		{meibo.Japanese, "imp.n.errors", 1, "エラー 1件"},
		{meibo.Japanese, "imp.n.errors", 3, "エラー 3件"},
	} {
		if got := countNoun(tc.lang, tc.key, tc.n); got != tc.want {
			t.Errorf("countNoun(%s, %s, %d) = %q, want %q", tc.lang, tc.key, tc.n, got, tc.want)
		}
	}
	if got := c.whenSec(start); got != "2026-12-05 15:30:00 UTC" {
		t.Errorf("whenSec: %q", got)
	}
}
