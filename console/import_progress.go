package console

import (
	"fmt"
	"strings"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/web"
)

// How far a job has come, in words: rows done of the (estimated) total,
// the time elapsed and an estimate of the time left; and the banner of a
// job's page, which follows its outcome.

// progressText writes "1,200 of 5,000 rows · 0:12 elapsed · about 0:30 left"
// for a running job; blank otherwise.
func (c *Console) progressText(lang meibo.Lang, j *meibo.ImportJob, now time.Time) string {
	if j.Status != meibo.ImportRunning {
		return ""
	}
	var parts []string
	if j.TotalRows > 0 {
		parts = append(parts, web.T(lang, "imp.progress.rows", groupDigits(j.Rows), groupDigits(max(j.TotalRows, j.Rows))))
	} else {
		parts = append(parts, web.T(lang, "imp.progress.rows.any", groupDigits(j.Rows)))
	}
	if j.StartedAt != nil {
		elapsed := max(0, now.Sub(*j.StartedAt))
		parts = append(parts, web.T(lang, "imp.progress.elapsed", clock(elapsed)))
		if p := j.Progress; p >= 0.02 && p < 1 {
			left := time.Duration(float64(elapsed) * (1 - p) / p)
			parts = append(parts, web.T(lang, "imp.progress.eta", clock(left)))
		}
	}
	return strings.Join(parts, " · ")
}

// clock writes a duration as m:ss or h:mm:ss.
func clock(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// importNotice is the banner of a job's page: "uploaded, runs in the
// background" only while the job waits or runs; once it has ended, its
// outcome.
func (c *Console) importNotice(q *req, v *jobView) string {
	done := q.r.URL.Query().Get("done")
	if done != "imp.submitted" && done != "imp.confirmed" {
		return notice(q)
	}
	if v.Active {
		return notice(q)
	}
	return "" // the outcome banner of the page says how it ended
}

// outcome is the banner of a finished job: its kind (ok, error) and text.
// A bulk action's job speaks of the action (bulk.outcome.*), not of a file.
func outcome(lang meibo.Lang, v *jobView) (kind, text string) {
	prefix := "imp.outcome."
	if v.Bulk() {
		prefix = "bulk.outcome."
	}
	switch {
	case v.Status == meibo.ImportSuccess && v.DryRun:
		return "ok", web.T(lang, prefix+"dryrun", v.Summary)
	case v.Status == meibo.ImportSuccess:
		return "ok", web.T(lang, prefix+"success", v.Summary)
	case v.Status == meibo.ImportFailed:
		return "error", web.T(lang, prefix+"failed", v.Summary)
	}
	return "", ""
}

// whenSec writes a time to the second in the configured zone, with the
// zone's abbreviation.
func (c *Console) whenSec(t any) string {
	var v time.Time
	switch x := t.(type) {
	case time.Time:
		v = x
	case *time.Time:
		if x != nil {
			v = *x
		}
	}
	if v.IsZero() {
		return "—"
	}
	return v.In(c.loc).Format("2006-01-02 15:04:05 MST")
}
