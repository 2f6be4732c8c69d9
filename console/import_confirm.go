package console

import (
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/web"
)

// "Import now" after a dry run: a new job with the dry run's options and
// its kept file (chosen again when it held passwords, which are not kept).
func init() {
	web.AddLabels(map[string][2]string{
		"imp.confirm.title":     {"Import it now", "このままインポート"},
		"imp.confirm.hint":      {"Runs the same file with the same options as this dry run, as a new job. The data is checked again: what changed since the dry run counts.", "このドライランと同じファイル・同じオプションで、新しいジョブとしてインポートします。データはもう一度チェックされます(ドライラン以降の変更も反映されます)。"},
		"imp.confirm.file":      {"The file held passwords, which are not kept after a dry run: choose the same file again.", "ファイルにパスワードが含まれていたため、ドライラン後には保存されていません。同じファイルをもう一度選択してください。"},
		"imp.confirm.submit":    {"Import now", "今すぐインポート"},
		"imp.confirmed.from":    {"Imported from the dry run", "元のドライラン"},
		"imp.imported.as":       {"This dry run has been imported:", "このドライランはインポート済みです:"},
		"bulk.applied.from":     {"Applied from the preview", "元のプレビュー"},
		"bulk.applied.as":       {"This preview has been applied:", "このプレビューは実行済みです:"},
		"done.imp.confirmed":    {"The import of the dry run's file has started.", "ドライランのファイルのインポートを開始しました。"},
		"bulk.apply.title":      {"Apply it now", "このまま実行"},
		"bulk.apply.hint":       {"Runs the same action on the same selection as this preview, as a new job. The data is checked again: what changed since the preview counts.", "このプレビューと同じ操作を同じ対象に、新しいジョブとして実行します。データはもう一度チェックされます(プレビュー以降の変更も反映されます)。"},
		"bulk.apply.submit":     {"Apply now", "今すぐ実行"},
		"done.bulk.confirmed":   {"The action of the preview has started.", "プレビューの操作を開始しました。"},
		"bulk.outcome.success":  {"The action succeeded: %s", "操作が完了しました。%s"},
		"bulk.outcome.dryrun":   {"The preview found no errors: %s Nothing was changed.", "プレビューでエラーは見つかりませんでした。%s 何も変更されていません。"},
		"bulk.outcome.failed":   {"The action failed: %s", "操作に失敗しました。%s"},
		"bulk.dryrun.done":      {"This was a preview: nothing was changed. The counts say what the action would do.", "プレビューです。何も変更されていません。件数は操作を実行した場合の結果です。"},
		"imp.outcome.success":   {"The import succeeded: %s", "インポートが完了しました。%s"},
		"imp.outcome.dryrun":    {"The dry run found no errors: %s Nothing was written.", "ドライランでエラーは見つかりませんでした。%s 何も書き込まれていません。"},
		"imp.outcome.failed":    {"The import failed: %s", "インポートに失敗しました。%s"},
		"imp.outcome.running":   {"The file was uploaded; the import runs in the background.", "ファイルをアップロードしました。インポートはバックグラウンドで実行されます。"},
		"imp.progress.rows":     {"%s of %s rows", "%s / %s 行"},
		"imp.progress.rows.any": {"%s rows", "%s 行"},
		"imp.progress.elapsed":  {"%s elapsed", "経過 %s"},
		"imp.progress.eta":      {"about %s left", "残り約 %s"},
		"imp.n.errors":          {"%d errors", "エラー %d件"},
		"imp.n.errors.one":      {"1 error", "エラー 1件"},
		"imp.n.warnings":        {"%d warnings", "警告 %d件"},
		"imp.n.warnings.one":    {"1 warning", "警告 1件"},
		"imp.n.bytes.one":       {"1 byte", "1 バイト"},
		"imp.messages.counted":  {"%s and %s, by row (the header is row 1).", "%s、%s(行番号はヘッダーを1行目として数えます)。"},
		"imp.messages.more.one": {"1 more is not listed here; the CSV file holds all of them.", "ほかに 1件あります。すべてCSVファイルに含まれています。"},
	})
}

// countNoun writes a count with its noun: "1 error", "2 errors" (key and
// key.one); Japanese counts with a counter and has one form.
func countNoun(lang meibo.Lang, key string, n int) string {
	if n == 1 {
		return web.TN(lang, key, 1) // key.one: "1 error", no argument
	}
	return web.T(lang, key, n)
}

// importConfirmData is the "Import now" form of a dry run's page ("Apply
// now" for a bulk action's preview).
type importConfirmData struct {
	Bulk      bool
	NeedsFile bool
	Error     string
}

func (c *Console) importConfirmRoutes(a func(string, handler)) {
	a("POST "+Prefix+"/imports/{id}/confirm", c.handleImportConfirm)
	a("GET "+Prefix+"/imports/history", c.handleImportHistory)
	a("GET "+Prefix+"/imports/{id}/changes.csv", c.handleImportChanges)
}

// importConfirm returns the form for a job that is a successful dry run the
// administrator may import, else nil.
// A bulk action's preview is applied by whoever may run the action (the
// service says).
func (c *Console) importConfirm(q *req, j *meibo.ImportJob) *importConfirmData {
	bulk := service.IsBulkFormat(j.Format)
	if !j.DryRun || j.Status != meibo.ImportSuccess || !bulk && !mayImport(q.actor) {
		return nil
	}
	ok, err := c.svc.CanConfirmImport(q.ctx, j.ID)
	if err != nil {
		c.log.Error("import confirmation", "job", j.ID, "err", err)
		return nil
	}
	if !ok.Possible {
		return nil
	}
	return &importConfirmData{Bulk: bulk, NeedsFile: ok.NeedsFile}
}

// handleImportConfirm imports a dry run's file for real, as a new job.
func (c *Console) handleImportConfirm(q *req) {
	id, err := jobID(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	var data []byte
	if q.r.MultipartForm != nil {
		if files := q.r.MultipartForm.File["file"]; len(files) > 0 && files[0].Size > 0 {
			if files[0].Size > c.max {
				err = meibo.Errorf(meibo.CodeTooLarge, "too_large", service.FormatBytes(c.max))
			} else if f, oerr := files[0].Open(); oerr != nil {
				err = fmt.Errorf("open the upload: %w", oerr)
			} else {
				data, err = io.ReadAll(io.LimitReader(f, c.max+1))
				f.Close()
			}
		}
	}
	var job *meibo.ImportJob
	if err == nil {
		job, err = c.svc.ConfirmImport(q.ctx, id, data)
	}
	if err == nil {
		done := "imp.confirmed"
		if service.IsBulkFormat(job.Format) {
			done = "bulk.confirmed"
		}
		c.redirect(q, Prefix+"/imports/"+strconv.FormatInt(job.ID, 10), done)
		return
	}
	e := meibo.AsError(err)
	switch e.Code {
	case meibo.CodeInvalid, meibo.CodeConflict, meibo.CodeTooLarge, meibo.CodeRateLimited:
	default:
		c.fail(q, err)
		return
	}
	d, derr := c.importJobPage(q, id)
	if derr != nil {
		c.fail(q, derr)
		return
	}
	status := http.StatusUnprocessableEntity
	if e.Code == meibo.CodeConflict || e.Code == meibo.CodeRateLimited {
		status = http.StatusConflict
	}
	if e.Code == meibo.CodeTooLarge {
		status = http.StatusRequestEntityTooLarge
	}
	if d.Confirm == nil {
		// Not to be confirmed any more (another administrator did, from
		// a page open at the same time): the page says why, at its top.
		c.form(q, status, "import_job", jobTitle(d), d, err)
		return
	}
	d.Confirm.Error = e.Msg.In(q.lang)
	if m, ok := e.Fields["file"]; ok {
		d.Confirm.Error = m.In(q.lang)
	}
	c.page(q, status, "import_job", jobTitle(d), d, "")
}
