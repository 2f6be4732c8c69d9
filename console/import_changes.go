package console

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/web"
)

// A job's page lists what the job changed, a page at a time, and offers
// the whole list as a CSV file.
func init() {
	web.AddLabels(map[string][2]string{
		"imp.changes":          {"What this import changed", "このインポートによる変更"},
		"imp.changes.none":     {"Nothing was changed.", "変更はありません。"},
		"imp.changes.download": {"Download the changes as CSV", "変更をCSVでダウンロード"},
		"imp.changes.row":      {"Row", "行"},
		"imp.changes.kind":     {"Kind", "種類"},
		"imp.changes.action":   {"Action", "操作"},
		"imp.changes.name":     {"User or administrator", "ユーザーまたは管理者"},
		"imp.changes.what":     {"What changed", "変更内容"},
		"imp.changes.user":     {"User", "ユーザー"},
		"imp.changes.admin":    {"Administrator", "管理者"},
		"imp.changes.created":  {"Created", "作成"},
		"imp.changes.updated":  {"Updated", "更新"},
		"imp.changes.deleted":  {"Deleted", "削除"},
		"imp.changes.next":     {"Next changes →", "次の変更 →"},
		"imp.changes.first":    {"First changes", "最初の変更"},
		"imp.changes.shown":    {"Changes %s–%s.", "変更 %s〜%s 件目。"},

		"imp.change.email":       {"email", "メールアドレス"},
		"imp.change.profile":     {"profile", "プロファイル"},
		"imp.change.admin":       {"admin", "管理者"},
		"imp.change.apiAccess":   {"apiAccess", "APIアクセス"},
		"imp.change.disabled":    {"disabled", "無効"},
		"imp.change.password":    {"password", "パスワード"},
		"imp.change.name":        {"name", "名前"},
		"imp.change.notes":       {"notes", "メモ"},
		"imp.change.authorities": {"authorities", "権限"},
		"imp.change.changed":     {"changed", "変更"},
		"imp.change.yes":         {"yes", "はい"},
		"imp.change.no":          {"no", "いいえ"},
	})
}

// changeText writes what changed ("email: a → b; password: changed", as
// the service records it and the API returns it) in lang: the fields'
// names, and the words changed, yes and no; the values themselves (an
// address, a profile's name) stay as they are. A part it does not know
// stays as it is.
func changeText(lang meibo.Lang, s string) string {
	if lang != meibo.Japanese || s == "" {
		return s
	}
	word := func(w string) string {
		switch w {
		case "changed", "yes", "no":
			return web.T(lang, "imp.change."+w)
		}
		return w
	}
	parts := strings.Split(s, "; ")
	for i, p := range parts {
		field, rest, ok := strings.Cut(p, ": ")
		key := "imp.change." + field
		if !ok || web.T(lang, key) == key {
			continue
		}
		switch field {
		case "admin", "apiAccess", "disabled", "password":
			if before, after, ok := strings.Cut(rest, " → "); ok {
				rest = word(before) + " → " + word(after)
			} else {
				rest = word(rest)
			}
		}
		parts[i] = web.T(lang, key) + ":" + rest
	}
	return strings.Join(parts, "; ")
}

// importChangesShown is how many changes a job's page lists at a time.
const importChangesShown = 100

type jobChangesData struct {
	Changes []meibo.ImportChange
	From    int    // the number of the first listed
	To      int    // and of the last
	Next    string // ?changes= of the next page
	Paged   bool   // not the first page
	Note    string // only the first changes were listed
	Shown   string
}

// importChanges loads the page of changes the address asks for (after the
// change numbered ?changes=) of a finished real run.
func (c *Console) importChanges(q *req, d *importJobData) error {
	j := d.Job.ImportJob
	// A bulk action's changes are its kept list (the download of the
	// job's file), not the imports' list: the section would say "Nothing
	// was changed" under counts of thousands.
	if j.DryRun || j.Status != meibo.ImportSuccess || j.Format == meibo.FormatDevices || service.IsBulkFormat(j.Format) {
		return nil
	}
	after, _ := strconv.Atoi(q.r.URL.Query().Get("changes"))
	after = max(0, after)
	list, err := c.svc.ImportChanges(q.ctx, j.ID, after, importChangesShown+1)
	if err != nil {
		return err
	}
	v := &jobChangesData{Paged: after > 0}
	if len(list) > importChangesShown {
		list = list[:importChangesShown]
		v.Next = strconv.Itoa(list[len(list)-1].Seq)
	}
	for i := range list {
		list[i].Changes = changeText(q.lang, list[i].Changes)
	}
	v.Changes = list
	if len(list) > 0 {
		v.From, v.To = list[0].Seq, list[len(list)-1].Seq
		v.Shown = web.T(q.lang, "imp.changes.shown", groupDigits(v.From), groupDigits(v.To))
	}
	if v.Next == "" {
		if note := service.ImportChangesNote(j, v.To); note.Key != "" {
			v.Note = note.In(q.lang)
		}
	}
	d.Changes = v
	return nil
}

// handleImportChanges sends what a job changed as a CSV file.
func (c *Console) handleImportChanges(q *req) {
	id, err := jobID(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	c.spoolAttachment(q, fmt.Sprintf("import-%d-changes.csv", id), "text/csv; charset=utf-8", func(w io.Writer) error {
		return c.svc.WriteImportChanges(q.ctx, id, w)
	}, func(err error) { c.fail(q, err) })
}
