package console

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/web"
)

// The import history on a page of its own, with filters: format, group,
// status, who submitted and the days submitted (in the configured zone).
func init() {
	web.AddLabels(map[string][2]string{
		"imp.history.title":  {"Import history", "インポート履歴"},
		"imp.history.all":    {"The whole history, with filters", "すべての履歴(絞り込み可)"},
		"imp.history.back":   {"Back to the import page", "インポートのページに戻る"},
		"imp.filter":         {"Filter the history", "履歴の絞り込み"},
		"imp.filter.any":     {"Any", "すべて"},
		"imp.filter.from":    {"Submitted from", "登録日(から)"},
		"imp.filter.to":      {"Submitted until", "登録日(まで)"},
		"imp.filter.zone":    {"Days and times are in the time zone %s.", "日付と時刻のタイムゾーンは %s です。"},
		"imp.filter.submit":  {"Filter", "絞り込む"},
		"imp.filter.clear":   {"Clear", "クリア"},
		"imp.filter.badDate": {"Enter dates as YYYY-MM-DD.", "日付は YYYY-MM-DD の形式で入力してください。"},
	})
}

// importHistoryFilter is the history's filter as typed (and kept in the
// address).
type importHistoryFilter struct {
	Format, Group, Status, By, From, To string
}

type importHistoryData struct {
	Filter      importHistoryFilter
	FilterError string
	Formats     []string
	Statuses    []meibo.ImportStatus
	Groups      []*meibo.Group
	Zone        string
	Jobs        []*jobView
	Active      bool
	Before      string
	Next        string
}

// Query is the address of a page of the history with the filter kept;
// before is the page's start (blank: the newest).
func (d *importHistoryData) Query(before string) string {
	v := url.Values{}
	for k, val := range map[string]string{"format": d.Filter.Format, "group": d.Filter.Group, "status": d.Filter.Status,
		"by": d.Filter.By, "from": d.Filter.From, "to": d.Filter.To, "before": before} {
		if val != "" {
			v.Set(k, val)
		}
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

func (c *Console) handleImportHistory(q *req) {
	if !mayImport(q.actor) && !can(q.actor, meibo.AuthLogViewer, meibo.AuthLogAttachments) {
		c.fail(q, meibo.Forbidden("forbidden.auth", meibo.AuthImport))
		return
	}
	qv := q.r.URL.Query()
	d := &importHistoryData{Filter: importHistoryFilter{Format: qv.Get("format"), Group: qv.Get("group"), Status: qv.Get("status"),
		By: qv.Get("by"), From: qv.Get("from"), To: qv.Get("to")},
		Formats:  []string{meibo.FormatUsers, meibo.FormatPersonal, meibo.FormatAdmins, meibo.FormatDevices},
		Statuses: []meibo.ImportStatus{meibo.ImportQueued, meibo.ImportRunning, meibo.ImportSuccess, meibo.ImportFailed},
		Zone:     zoneName(c.loc)}
	if groups, err := c.svc.Groups(q.ctx); err == nil {
		d.Groups = groups
	}
	f := meibo.ImportFilter{Limit: importHistoryPage + 1, Format: d.Filter.Format, GroupID: d.Filter.Group,
		Status: meibo.ImportStatus(d.Filter.Status), CreatedBy: d.Filter.By}
	if t, ok := c.day(d.Filter.From); ok {
		f.From = t
	} else {
		d.FilterError = web.T(q.lang, "imp.filter.badDate")
	}
	if t, ok := c.day(d.Filter.To); ok && !t.IsZero() {
		f.To = t.AddDate(0, 0, 1) // the whole day
	} else if !ok {
		d.FilterError = web.T(q.lang, "imp.filter.badDate")
	}
	if id, err := strconv.ParseInt(qv.Get("before"), 10, 64); err == nil && id > 0 {
		f.BeforeID, d.Before = id, qv.Get("before")
	}
	jobs, err := c.svc.ImportJobs(q.ctx, f)
	if err != nil {
		c.fail(q, err)
		return
	}
	if len(jobs) > importHistoryPage {
		jobs = jobs[:importHistoryPage]
		d.Next = strconv.FormatInt(jobs[len(jobs)-1].ID, 10)
	}
	for _, j := range jobs {
		v := c.jobView(q.lang, j)
		d.Active = d.Active || v.Active
		d.Jobs = append(d.Jobs, v)
	}
	c.page(q, http.StatusOK, "import_history", "imp.history.title", d, "")
}

// day reads a date typed as YYYY-MM-DD as the start of that day in the
// configured zone; blank is the zero time. ok is false for anything else.
func (c *Console) day(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, true
	}
	t, err := time.ParseInLocation("2006-01-02", s, c.loc)
	return t, err == nil
}
