package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/csvio"
)

// An import job applies its file whole or not at all:
//
//  1. validate: the file is read once, streaming, and every row is checked
//     against the current data (in read transactions, batch by batch);
//     errors and warnings go to the job as they are found. A file with any
//     error stops here, before a single password is hashed.
//  2. hash: the passwords of a valid file are hashed on every core, outside
//     any transaction.
//  3. apply: in one write transaction the file is read again, every row is
//     checked again (the data may have changed since step 1) and written in
//     batches; the job's SUCCESS is written in the same transaction. Any
//     error rolls everything back and fails the job.
//
// A dry run stops after step 1.

// ImportRequest describes an uploaded file.
type ImportRequest struct {
	Format          string `json:"format"`
	GroupID         string `json:"group"`
	Encoding        string `json:"encoding"`
	UpdateExisting  bool   `json:"updateExisting"`
	SendInvitations bool   `json:"sendInvitations"`
	DryRun          bool   `json:"dryRun"`
	FileName        string `json:"fileName"`
	// AllowWeakHashes takes password hashes of weak formats (salted SHA).
	AllowWeakHashes bool `json:"allowWeakHashes"`
	// Confirms is the dry run this job imports for real (ConfirmImport).
	Confirms int64 `json:"-"`
}

// Messages of import jobs.
func init() {
	meibo.RegisterMessages(map[string][2]string{
		"import.format": {"Unknown format %q: use personal, users, admins or devices.", "不明な形式「%s」です。personal、users、admins、devices のいずれかを指定してください。"},
		"import.restored": {"The import was running when the backup this installation was restored from was taken; nothing of it was written. Upload the file again.",
			"このインストールの復元に使ったバックアップの取得時に、インポートは実行中でした。何も書き込まれていません。ファイルをもう一度アップロードしてください。"},
		"import.interrupted":   {"The import was interrupted (the server stopped while it ran); nothing of it was written. Upload the file again.", "インポートが中断されました(実行中にサーバーが停止しました)。何も書き込まれていません。ファイルをもう一度アップロードしてください。"},
		"import.changed":       {"The data changed while the file was being imported; nothing was written. Import the file again.", "インポート中にデータが変更されたため、何も書き込まれませんでした。もう一度インポートしてください。"},
		"import.no_group":      {"The %s format needs a group.", "%s 形式にはグループの指定が必要です。"},
		"import.self":          {"You cannot delete your own account.", "自分自身を削除することはできません。"},
		"import.new_exists":    {"The administrator %s exists already; to change it, set the processing flag to U.", "管理者 %s は既に存在します。変更するには処理フラグを U にしてください。"},
		"import.missing":       {"There is no administrator %s to modify or delete; to add it, leave the processing flag blank.", "変更・削除する管理者 %s が存在しません。追加するには処理フラグを空白にしてください。"},
		"import.user.exists":   {"The user %s exists already; turn on \"update existing users\" to change it.", "ユーザー %s は既に存在します。変更するには「既存のユーザーを更新する」をオンにしてください。"},
		"import.department":    {"%s is a department administrator without groups: assign its groups in the console.", "%s は部門管理者ですがグループがありません。コンソールでグループを割り当ててください。"},
		"import.admins.status": {"Column 41 (Record status) is not read, so %s was neither disabled nor enabled by this file: do it on the administrator's page in the console.", "列41(Record status)は読み込まれないため、このファイルでは %s は無効にも有効にもなりません。コンソールの管理者の画面で設定してください。"},
		"import.summary":       {"%s created, %s updated, %s deleted, %s unchanged.", "作成 %s件、更新 %s件、削除 %s件、変更なし %s件。"},
		"import.claimed":       {"Import job %d is not waiting to run (another worker took it, or it ran already).", "インポートジョブ %d は実行待ちではありません(他のワーカーが実行したか、実行済みです)。"},
		"import.file.dropped":  {"The uploaded file was not kept: it could not be read as a file of this format, so any passwords in it could not be removed from the copy. Keep the file yourself if you need it.", "アップロードされたファイルは保存されませんでした。この形式のファイルとして読み取れなかったため、含まれているかもしれないパスワードを控えから取り除けなかったからです。必要であれば、ファイルはお手元で保管してください。"},
		"import.file.changed":  {"The file %s changed while it was read; nothing was imported. Import it again once nothing writes to it.", "ファイル %s は読み込み中に変更されました。何もインポートされていません。書き込みが終わってから再度インポートしてください。"},
		"import.file.gone":     {"The file of this import was not kept (see its messages).", "このインポートのファイルは保存されていません(メッセージを参照してください)。"},
		"import.failed":        {"The file was refused: %d errors; nothing was written.", "ファイルは受け付けられませんでした。エラー %d件、何も書き込まれていません。"},
	})
}

// SubmitImport records an uploaded file as a QUEUED job for the worker.
// Starting an import needs Management Console with "import CSV file"; users
// and personal files need the group in scope; devices files need
// "register/update/delete device" (33) and the group in scope;
// administrator files need the authority to manage administrators.
func (s *Service) SubmitImport(ctx context.Context, req ImportRequest, data []byte) (*meibo.ImportJob, error) {
	sum := sha256.Sum256(data)
	return s.submit(ctx, req, int64(len(data)), hex.EncodeToString(sum[:]), false, func(ctx context.Context, tx meibo.Tx, job *meibo.ImportJob) error {
		return tx.CreateImportJob(ctx, job, data)
	})
}

// submit checks a request for a file of size bytes whose SHA-256 is sum and
// records it as a QUEUED job, create writing the job and its file. With
// here, the job is claimed by this process in the same transaction, to be
// run by the caller: no worker (of this process or a server beside it) can
// take it first.
func (s *Service) submit(ctx context.Context, req ImportRequest, size int64, sum string, here bool, create func(context.Context, meibo.Tx, *meibo.ImportJob) error) (*meibo.ImportJob, error) {
	a, err := require(ctx, meibo.AuthConsole, meibo.AuthImport)
	if err != nil {
		return nil, err
	}
	enc, err := csvio.ParseEncoding(defaultString(req.Encoding, "auto"))
	if err != nil {
		return nil, err
	}
	switch req.Format {
	case meibo.FormatPersonal, meibo.FormatUsers:
		if _, err := requireUsers(ctx); err != nil {
			return nil, err
		}
		if req.GroupID == "" {
			return nil, meibo.FieldError("group", "import.no_group", req.Format)
		}
	case meibo.FormatDevices:
		if _, err := requireDevices(ctx); err != nil {
			return nil, err
		}
		if req.GroupID == "" {
			return nil, meibo.FieldError("group", "import.no_group", req.Format)
		}
	case meibo.FormatAdmins:
		if _, err := requireManager(ctx); err != nil {
			return nil, err
		}
		req.GroupID = ""
	default:
		return nil, meibo.FieldError("format", "import.format", req.Format)
	}
	if req.SendInvitations && req.Format == meibo.FormatUsers && s.cfg.PublicURL == "" {
		return nil, meibo.FieldError("sendInvitations", "invitation.no_url")
	}
	if size > s.cfg.ImportMaxBytes {
		return nil, meibo.Errorf(meibo.CodeTooLarge, "too_large", FormatBytes(s.cfg.ImportMaxBytes))
	}
	job := &meibo.ImportJob{Format: req.Format, Encoding: string(enc), UpdateExisting: req.UpdateExisting && req.Format == meibo.FormatUsers,
		SendInvitations: req.SendInvitations && req.Format == meibo.FormatUsers, DryRun: req.DryRun, FileName: req.FileName, Size: size,
		SHA256: sum, CreatedBy: jobCreator(a), Status: meibo.ImportQueued}
	job.AllowWeakHashes, job.Confirms = req.AllowWeakHashes, req.Confirms
	err = s.store.Update(ctx, func(tx meibo.Tx) error {
		if job.Format != meibo.FormatAdmins {
			g, err := s.group(ctx, tx, a, req.GroupID)
			if err != nil {
				return err
			}
			job.GroupID = g.ID
		}
		if err := s.checkActiveImports(ctx, tx, job); err != nil {
			return err
		}
		if err := create(ctx, tx, job); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, "import.submit", importCategory(job), "import", idString(job.ID), job.GroupID,
			map[string]any{"format": job.Format, "fileName": job.FileName, "size": job.Size, "sha256": job.SHA256, "dryRun": job.DryRun}); err != nil {
			return err
		}
		if !here {
			return nil
		}
		claimed, err := tx.ClaimImportJobID(ctx, job.ID, s.cfg.Worker)
		if err == nil && claimed == nil {
			err = meibo.Conflict("import.claimed", job.ID)
		}
		job = claimed
		return err
	})
	if err != nil {
		return nil, err
	}
	if !here {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	return job, nil
}

// jobCreator is how a job records who submitted it, so that the job later
// runs as the same kind of actor. Administrator IDs cannot hold a colon; a
// system actor is recorded with one ("cli:alice", or "system:" before a name
// without one), so that an administrator named "cli" or "meibo" is never
// taken for the command line.
func jobCreator(a *meibo.Actor) string {
	if a.Kind == meibo.ActorSystem && !strings.Contains(a.Name, ":") {
		return "system:" + a.Name
	}
	return a.Name
}

func importCategory(j *meibo.ImportJob) string {
	if IsBulkFormat(j.Format) {
		return bulkCategory(BulkAction(j.Format))
	}
	switch j.Format {
	case meibo.FormatAdmins:
		return meibo.CategoryConfig
	case meibo.FormatDevices:
		return meibo.CategoryDevice
	}
	return meibo.CategoryUser
}

func defaultString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// FormatBytes writes a size for a person: "64 MiB", "16 KiB", "1000 bytes".
func FormatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// canSeeImport reports whether actor a may see job j: imports of users
// need Management Console with import (31) or Log Viewer with attached
// information (21), and the group in scope; imports of administrators need
// the authority to manage administrators.
func canSeeImport(a *meibo.Actor, j *meibo.ImportJob) bool {
	if a.Kind == meibo.ActorSystem {
		return true
	}
	if IsBulkFormat(j.Format) {
		return canSeeBulk(a, j)
	}
	if !(a.Has(meibo.AuthConsole) && a.Has(meibo.AuthImport)) && !(a.Has(meibo.AuthLogViewer) && a.Has(meibo.AuthLogAttachments)) {
		return false
	}
	if j.Format == meibo.FormatAdmins {
		return a.Authorities.ManagesAdmins()
	}
	return a.InScope(j.GroupID)
}

// ImportJob returns one job with its live progress when this process runs it.
func (s *Service) ImportJob(ctx context.Context, id int64) (*meibo.ImportJob, error) {
	a, err := require(ctx)
	if err != nil {
		return nil, err
	}
	var j *meibo.ImportJob
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		if j, err = tx.ImportJob(ctx, id); err != nil || !j.DryRun {
			return err
		}
		j.ImportedAs, err = tx.ImportJobConfirmedBy(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !canSeeImport(a, j) {
		return nil, meibo.NotFound("not_found")
	}
	s.liveProgress(j)
	return j, nil
}

// liveProgress fills a running job's progress from this process's counters.
func (s *Service) liveProgress(j *meibo.ImportJob) {
	if j.Status != meibo.ImportRunning {
		return
	}
	s.mu.Lock()
	p := s.progress[j.ID]
	s.mu.Unlock()
	if p != nil {
		j.Rows = int(p.Rows.Load())
		j.Progress = p.Fraction()
		j.TotalRows = p.EstimatedRows()
	}
}

// ImportJobs lists the jobs the actor may see, newest first.
func (s *Service) ImportJobs(ctx context.Context, f meibo.ImportFilter) ([]*meibo.ImportJob, error) {
	a, err := require(ctx)
	if err != nil {
		return nil, err
	}
	if scope := a.Scope(); scope != nil {
		f.GroupIDs, f.NoGroup = scope, false
	}
	if a.Kind != meibo.ActorSystem && !a.Authorities.ManagesAdmins() {
		// Filter in the query, so that a page is full.
		f.NotFormat = meibo.FormatAdmins
	}
	var jobs []*meibo.ImportJob
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		jobs, err = tx.ImportJobs(ctx, f)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := jobs[:0]
	for _, j := range jobs {
		if canSeeImport(a, j) {
			s.liveProgress(j)
			out = append(out, j)
		}
	}
	return out, nil
}

// ImportMessages returns a job's errors and warnings (limit 0: all).
func (s *Service) ImportMessages(ctx context.Context, id int64, limit int) ([]meibo.ImportMessage, error) {
	if _, err := s.ImportJob(ctx, id); err != nil {
		return nil, err
	}
	var msgs []meibo.ImportMessage
	err := s.store.View(ctx, func(tx meibo.Tx) error {
		var err error
		msgs, err = tx.ImportMessages(ctx, id, limit)
		return err
	})
	return msgs, err
}

// ImportFile returns a job's uploaded file; it needs Log Viewer with "view/save
// attached information" (21).
func (s *Service) ImportFile(ctx context.Context, id int64) (*meibo.ImportJob, []byte, error) {
	a, err := require(ctx, meibo.AuthLogViewer, meibo.AuthLogAttachments)
	if err != nil {
		return nil, nil, err
	}
	var j *meibo.ImportJob
	var data []byte
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		if j, err = tx.ImportJob(ctx, id); err != nil {
			return err
		}
		if !canSeeImport(a, j) {
			return meibo.NotFound("not_found")
		}
		data, err = tx.ImportFile(ctx, id)
		if err == nil && len(data) == 0 && j.Size > 0 {
			return meibo.NotFound("import.file.gone")
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if err := s.store.Update(ctx, func(tx meibo.Tx) error {
		return s.audit(ctx, tx, "import.download", importCategory(j), "import", idString(id), j.GroupID, nil)
	}); err != nil {
		return nil, nil, err
	}
	return j, data, nil
}

// RecoverImports fails the jobs that were RUNNING in a process that is gone:
// in this machine's boot and pid namespace (pidsComparable), a worker whose
// process no longer exists; elsewhere, one that has not reported for two
// minutes. Nothing of such a job was written:
// its transaction never committed.
func (s *Service) RecoverImports(ctx context.Context) error {
	msg := meibo.M("import.interrupted")
	return s.store.Update(ctx, func(tx meibo.Tx) error {
		jobs, err := tx.ImportJobs(ctx, meibo.ImportFilter{Limit: 500, Status: meibo.ImportRunning})
		if err != nil {
			return err
		}
		for _, j := range jobs {
			if j.Status != meibo.ImportRunning || !pidsComparable(s.cfg.Worker, j.Worker) || workerAlive(j.Worker) {
				continue
			}
			if err := s.failInterrupted(ctx, tx, j, msg); err != nil {
				return err
			}
		}
		stale, err := tx.FailStaleImports(ctx, tx.Now().Add(-staleAfter), msg.In(meibo.English))
		if err != nil {
			return err
		}
		for _, j := range stale {
			if err := s.afterInterrupted(ctx, tx, j, msg); err != nil {
				return err
			}
		}
		return nil
	})
}

// settleRestoredImports fails, in data just restored, the jobs that were
// running when the backup was taken: no worker of this installation runs
// them, and nothing of them was written.
func (s *Service) settleRestoredImports(ctx context.Context, tx meibo.Tx) error {
	jobs, err := tx.ImportJobs(ctx, meibo.ImportFilter{Limit: 500, Status: meibo.ImportRunning})
	if err != nil {
		return err
	}
	for _, j := range jobs {
		if j.Status == meibo.ImportRunning {
			if err := s.failInterrupted(ctx, tx, j, meibo.M("import.restored")); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Service) failInterrupted(ctx context.Context, tx meibo.Tx, j *meibo.ImportJob, msg meibo.Msg) error {
	now := tx.Now()
	j.Status, j.FinishedAt, j.Message = meibo.ImportFailed, &now, msg.In(meibo.English)
	j.Created, j.Updated, j.Deleted, j.Unchanged, j.Progress = 0, 0, 0, 0, 0
	j.ErrorCount++
	// Only while it is still RUNNING in the dead worker's hands: a job that
	// finished meanwhile keeps its outcome.
	if ok, err := tx.FinishImportJob(ctx, j); err != nil || !ok {
		return err
	}
	return s.afterInterrupted(ctx, tx, j, msg)
}

// afterInterrupted keeps a failed job's file without its passwords and
// records why it failed.
func (s *Service) afterInterrupted(ctx context.Context, tx meibo.Tx, j *meibo.ImportJob, msg meibo.Msg) error {
	data, err := tx.ImportFile(ctx, j.ID)
	if err != nil {
		return err
	}
	if err := s.redactFile(ctx, tx, j, data); err != nil {
		return err
	}
	return tx.AddImportMessages(ctx, j.ID, []meibo.ImportMessage{meibo.NewImportMessage(0, "", msg, false)})
}

// FileDropped reports whether the messages of a job (its first ones: those
// of the whole file come first) say that its file was not kept.
func FileDropped(msgs []meibo.ImportMessage) bool {
	dropped := meibo.M("import.file.dropped").In(meibo.English)
	for _, m := range msgs {
		if m.Row == 0 && m.Text == dropped {
			return true
		}
	}
	return false
}

// redactFile replaces the kept file of a job that has run by a copy without
// its passwords (csvio.Redact). A file that cannot be rewritten is not kept
// at all, and the job says so. Passwords are thus at rest only while a job
// waits and runs.
func (s *Service) redactFile(ctx context.Context, tx meibo.Tx, j *meibo.ImportJob, data []byte) error {
	if len(data) == 0 || IsBulkFormat(j.Format) {
		return nil
	}
	enc, err := csvio.ParseEncoding(j.Encoding)
	if err != nil {
		return err
	}
	out, ok := csvio.Redact(data, j.Format, enc)
	if ok && len(out) > 0 && &out[0] == &data[0] {
		return nil // no passwords in it: keep it as uploaded
	}
	if !ok {
		out = nil
		j.WarningCount++
		if err := tx.AddImportMessages(ctx, j.ID, []meibo.ImportMessage{meibo.NewImportMessage(0, "", meibo.M("import.file.dropped"), true)}); err != nil {
			return err
		}
	}
	return tx.ReplaceImportFile(ctx, j.ID, out)
}

// staleAfter is how long a RUNNING job may go without a heartbeat before
// another process takes it for dead. Heartbeats come every few seconds while
// a file is read and hashed; the apply of a big file on SQLite holds the
// only write connection for a while, so this is generous.
const staleAfter = 2 * time.Minute

// WorkerName names this process in the jobs it claims:
// "host:pid:pidns.bootid", the pid namespace (the inode of /proc/self/ns/pid)
// and the kernel's boot id saying where the pid means this process. A
// server in a container sharing the host's name (Kubernetes hostNetwork,
// docker --uts=host) has pids of another namespace, and another machine of
// the same name another boot id: a pid is checked locally only when both
// match. Without /proc the name is "host:pid", as older versions wrote it.
func WorkerName() string {
	host, _ := os.Hostname()
	name := fmt.Sprintf("%s:%d", strings.ReplaceAll(host, ":", "_"), os.Getpid())
	ns, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return name
	}
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return name
	}
	ns = strings.TrimSuffix(strings.TrimPrefix(ns, "pid:["), "]")
	return name + ":" + ns + "." + strings.TrimSpace(string(boot))
}

// parseWorker splits a worker name into its host, pid and the pid's space
// (empty in the "host:pid" of older versions).
func parseWorker(w string) (host, pid, space string) {
	host, rest, _ := strings.Cut(w, ":")
	pid, space, _ = strings.Cut(rest, ":")
	return host, pid, space
}

// pidsComparable reports whether the pid in the worker name theirs can be
// checked by this process (named ours): same host, and the same pid
// namespace and boot. A name of an older version ("host:pid") says nothing
// of its namespace and is trusted on its host as before; a worker whose
// space differs from ours, or that names one when ours is unknown, is left
// to its heartbeat (staleAfter) as one of another host.
func pidsComparable(ours, theirs string) bool {
	oh, _, ospace := parseWorker(ours)
	th, _, ts := parseWorker(theirs)
	if oh != th {
		return false
	}
	return ts == "" || ts == ospace
}

// workerAlive reports whether the process named in worker is running on
// this machine (the caller checked pidsComparable).
func workerAlive(w string) bool {
	_, pidText, _ := parseWorker(w)
	pid, err := strconv.Atoi(pidText)
	if err != nil || pid <= 0 {
		return false
	}
	if pid == os.Getpid() {
		return true
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}

// RunImportWorker runs queued jobs until ctx ends: it claims the oldest
// QUEUED job (several servers on one database never claim the same one),
// runs it, and looks again; between jobs it waits for a new submission or a
// few seconds, and fails stale jobs of dead workers.
func (s *Service) RunImportWorker(ctx context.Context) {
	tick := time.NewTicker(3 * time.Second)
	defer tick.Stop()
	lastSweep := time.Now()
	for {
		for ctx.Err() == nil {
			var job *meibo.ImportJob
			err := s.store.Update(ctx, func(tx meibo.Tx) error {
				var err error
				job, err = tx.ClaimImportJob(ctx, s.cfg.Worker)
				return err
			})
			if err != nil {
				if ctx.Err() == nil {
					s.log.Error("claim import job", "err", err)
				}
				break
			}
			if job == nil {
				break
			}
			s.runClaimed(ctx, job, nil, nil)
		}
		if time.Since(lastSweep) > 30*time.Second {
			lastSweep = time.Now()
			if err := s.RecoverImports(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("recover import jobs", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-tick.C:
		}
	}
}

// RunImport claims a QUEUED job and runs it in this process (the command
// line's `meibo import`). onProgress, when set, is called about ten times a
// second while the job runs.
func (s *Service) RunImport(ctx context.Context, id int64, onProgress func(*Progress)) (*meibo.ImportJob, error) {
	var job *meibo.ImportJob
	err := s.store.Update(ctx, func(tx meibo.Tx) error {
		var err error
		job, err = tx.ClaimImportJobID(ctx, id, s.cfg.Worker)
		return err
	})
	if err != nil {
		return nil, err
	}
	if job == nil {
		return nil, meibo.Conflict("import.claimed", id)
	}
	return s.runClaimed(ctx, job, nil, onProgress), nil
}

// SubmitAndRun records a job and runs it here at once (the command line),
// reading the file from data rather than loading it back.
func (s *Service) SubmitAndRun(ctx context.Context, req ImportRequest, data []byte, onProgress func(*Progress)) (*meibo.ImportJob, error) {
	sum := sha256.Sum256(data)
	job, err := s.submit(ctx, req, int64(len(data)), hex.EncodeToString(sum[:]), true, func(ctx context.Context, tx meibo.Tx, job *meibo.ImportJob) error {
		return tx.CreateImportJob(ctx, job, data)
	})
	if err != nil {
		return nil, err
	}
	return s.runClaimed(ctx, job, bytesFile(data), onProgress), nil
}

// SubmitAndRunFile is SubmitAndRun for a file on disk of any size (the
// command line): it is read a chunk at a time, kept in the database in
// chunks, and every pass of the job reads those back a chunk at a time.
// The file must not change while it is read: its SHA-256 is taken first and
// checked again as it is stored. A run stopped by the end of ctx fails the
// job at once (runHere).
func (s *Service) SubmitAndRunFile(ctx context.Context, req ImportRequest, path string, onProgress func(*Progress)) (*meibo.ImportJob, error) {
	size, sum, err := hashFile(path)
	if err != nil {
		return nil, err
	}
	job, err := s.submit(ctx, req, size, sum, true, func(ctx context.Context, tx meibo.Tx, job *meibo.ImportJob) error {
		if err := tx.CreateImportJob(ctx, job, nil); err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		defer f.Close()
		h := sha256.New()
		buf := make([]byte, meibo.ImportFileChunk)
		var n int64
		for seq := 1; ; seq++ {
			k, err := io.ReadFull(f, buf)
			if k > 0 {
				h.Write(buf[:k])
				n += int64(k)
				if err := tx.AppendImportFile(ctx, job.ID, seq, buf[:k]); err != nil {
					return err
				}
			}
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				break
			}
			if err != nil {
				return fmt.Errorf("read %s: %w", path, err)
			}
		}
		if n != size || hex.EncodeToString(h.Sum(nil)) != sum {
			return meibo.Errorf(meibo.CodeConflict, "import.file.changed", path)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.runHere(ctx, job, nil, onProgress), nil
}

// hashFile returns the size and SHA-256 (hex) of the file at path.
func hashFile(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", fmt.Errorf("read %s: %w", path, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// ImportReport is the outcome of a job for scripts (`meibo import --json`).
type ImportReport struct {
	ID            int64           `json:"id"`
	Status        string          `json:"status"`
	DryRun        bool            `json:"dryRun"`
	Created       int             `json:"created"`
	Updated       int             `json:"updated"`
	Deleted       int             `json:"deleted"`
	Unchanged     int             `json:"unchanged"`
	Rows          int             `json:"rows"`
	Encoding      string          `json:"encoding"` // the file's, as read (auto: what was detected)
	RowsPerSecond float64         `json:"rowsPerSecond"`
	Errors        []ReportMessage `json:"errors"`
	Warnings      []ReportMessage `json:"warnings"`
	// Note says how many of how many messages are listed when the job
	// kept only its first ones.
	Note string `json:"note,omitempty"`
}

// ReportMessage is an error or warning in an ImportReport.
type ReportMessage struct {
	Row     int    `json:"row"`
	Column  string `json:"column"`
	Message string `json:"message"`
}

// Report builds a job's report with its messages in lang.
func (s *Service) Report(ctx context.Context, j *meibo.ImportJob, lang meibo.Lang) (*ImportReport, error) {
	msgs, err := s.ImportMessages(ctx, j.ID, 0)
	if err != nil {
		return nil, err
	}
	r := &ImportReport{ID: j.ID, Status: string(j.Status), DryRun: j.DryRun, Created: j.Created, Updated: j.Updated, Deleted: j.Deleted,
		Unchanged: j.Unchanged, Rows: j.Rows, Encoding: j.Encoding, Errors: []ReportMessage{}, Warnings: []ReportMessage{}}
	if j.DetectedEncoding != "" {
		r.Encoding = j.DetectedEncoding
	}
	if j.StartedAt != nil && j.FinishedAt != nil {
		if d := j.FinishedAt.Sub(*j.StartedAt).Seconds(); d > 0 {
			r.RowsPerSecond = float64(j.Rows) / d
		}
	}
	for _, m := range msgs {
		text := m.Text
		if lang == meibo.Japanese {
			text = m.TextJA
		}
		rm := ReportMessage{Row: m.Row, Column: m.Column, Message: text}
		if m.Warning {
			r.Warnings = append(r.Warnings, rm)
		} else {
			r.Errors = append(r.Errors, rm)
		}
	}
	if note := keptNote(j, msgs); note.Key != "" {
		r.Note = note.In(lang)
	}
	return r, nil
}

// importFile opens a job's file for one pass.
func (s *Service) openJobFile(f io.Reader, j *meibo.ImportJob) (*csvio.Reader, error) {
	enc, err := csvio.ParseEncoding(j.Encoding)
	if err != nil {
		return nil, err
	}
	return csvio.NewReader(f, j.Format, enc, s.cfg.ImportMaxBytes)
}
