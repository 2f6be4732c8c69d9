package service

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/csvio"
)

// batchRows is how many records are checked (and written) together: each
// batch costs a few round trips to the database (a lookup of its names, a
// copy, an insert), the fewer the faster on PostgreSQL.
const batchRows = 2000

// jobRun is one run of an import job.
type jobRun struct {
	s     *Service
	ctx   context.Context // carries the job's creator as actor
	job   *meibo.ImportJob
	file  jobFile // read once per pass
	prog  *Progress
	start time.Time

	pending []meibo.ImportMessage // messages not yet written to the job
	// sawPassword is set when a row read so far holds a password (the
	// kept file must then be redacted).
	sawPassword bool
	errors      int
	warnings    int
	keptErrors  int                  // errors kept of the rows (see problem)
	keptWarns   int                  // warnings kept of the rows (see problem)
	changes     []meibo.ImportChange // what the apply changed (see recordChange)
	hashes      map[int]string       // row → password hash, from the hash phase
	// outcome, when set, is the failed job's message in place of the
	// count of its errors (a job stopped, not refused).
	outcome meibo.Msg
}

// importer is one format's checks and writes.
type importer interface {
	// begin loads what the checks need (profiles, administrators…) in tx.
	begin(ctx context.Context, tx meibo.Tx, apply bool) error
	// batch checks records against the data in tx and, when apply is set,
	// writes them. It reports problems through r.problem.
	batch(ctx context.Context, tx meibo.Tx, recs []*csvio.Record, apply bool) error
	// end runs the checks that need the whole file (licence, last manager).
	end(ctx context.Context, tx meibo.Tx, apply bool) error
	// password returns the password of a record that needs hashing, if any.
	password(rec *csvio.Record) string
	// counts returns created, updated, deleted, unchanged.
	counts() (int, int, int, int)
	// reset clears the counts before another pass.
	reset()
}

// noopImporter is an importer that tells, after the validation, that its
// apply would write nothing but the job's end.
type noopImporter interface {
	noop() bool
}

// runClaimed runs a job this process has claimed and returns its final state.
// data is the job's file when the caller has it at hand, else nil (it is then
// loaded from the job). A job stopped by the end of ctx (a server shutting
// down) stays RUNNING, for the next start to mark interrupted.
func (s *Service) runClaimed(ctx context.Context, job *meibo.ImportJob, file jobFile, onProgress func(*Progress)) *meibo.ImportJob {
	return s.runJob(ctx, job, file, onProgress, false)
}

// runHere is runClaimed for a job its caller submitted to run in the
// foreground (the command line's `meibo import`): stopped by the end of
// ctx (Ctrl-C, SIGTERM), the job is failed at once as cancelled, since no
// server may run to settle it, and until one did it would count among
// the imports of its group and of its submitter. Nothing of it was written.
func (s *Service) runHere(ctx context.Context, job *meibo.ImportJob, file jobFile, onProgress func(*Progress)) *meibo.ImportJob {
	return s.runJob(ctx, job, file, onProgress, true)
}

func init() {
	meibo.RegisterMessages(map[string][2]string{
		"import.cancelled": {"The import was stopped before it ended (meibo import was interrupted, by Ctrl-C or a signal); nothing of it was written. Run it again to import the file.",
			"インポートは終了前に停止されました(meibo import が Ctrl-C またはシグナルで中断されました)。何も書き込まれていません。ファイルをインポートするには、もう一度実行してください。"},
	})
}

// Stopped reports whether a failed job ended because it was stopped
// (cancelled, or interrupted by the end of its process, or running when a
// backup was taken) rather than because its file was refused.
func Stopped(j *meibo.ImportJob) bool {
	if j.Status != meibo.ImportFailed {
		return false
	}
	for _, key := range []string{"import.cancelled", "import.interrupted", "import.restored"} {
		if j.Message == meibo.M(key).In(meibo.English) {
			return true
		}
	}
	return false
}

func (s *Service) runJob(ctx context.Context, job *meibo.ImportJob, file jobFile, onProgress func(*Progress), foreground bool) *meibo.ImportJob {
	kind := meibo.ActorAdmin
	if strings.Contains(job.CreatedBy, ":") { // see jobCreator
		kind = meibo.ActorSystem
	}
	if file == nil {
		file = storedFile{s: s, id: job.ID}
	}
	r := &jobRun{s: s, job: job, start: time.Now(), file: file,
		ctx:  meibo.WithActor(ctx, &meibo.Actor{Kind: kind, Name: job.CreatedBy}),
		prog: &Progress{JobID: job.ID, Size: job.Size}}
	if IsBulkFormat(job.Format) {
		r.prog.Size = bulkScale
	}
	r.prog.setPhase(PhaseValidate)
	s.mu.Lock()
	s.progress[job.ID] = r.prog
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.progress, job.ID)
		s.mu.Unlock()
	}()

	stop := r.watch(onProgress)
	err := r.run()
	stop()
	switch {
	case err == nil:
	case ctx.Err() != nil && !foreground:
		// Shutting down: the job stays RUNNING and the next start
		// marks it interrupted; nothing of it was written.
		s.log.Warn("import stopped by shutdown", "job", job.ID)
		return job
	case ctx.Err() != nil:
		s.log.Warn("import cancelled", "job", job.ID)
		r.outcome = meibo.M("import.cancelled")
		r.fail(r.outcome)
	default:
		s.log.Error("import job failed", "job", job.ID, "err", err)
		r.fail(meibo.M("internal"))
	}
	s.metrics().ImportFinished(job.Format, lower(string(job.Status)), job.Rows, time.Since(r.start))
	if onProgress != nil {
		onProgress(r.prog)
	}
	return job
}

// watch reports progress to onProgress often and to the job record every few
// seconds: the heartbeat that tells other processes this job is alive. It runs
// until the job ends; a heartbeat only touches a job that is still RUNNING in
// this worker's hands, so it never undoes the outcome.
func (r *jobRun) watch(onProgress func(*Progress)) (stop func()) {
	done := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		fast := time.NewTicker(100 * time.Millisecond)
		defer fast.Stop()
		last := time.Now()
		for {
			select {
			case <-done:
				return
			case <-fast.C:
				if onProgress != nil {
					onProgress(r.prog)
				}
				if time.Since(last) >= 3*time.Second {
					last = time.Now()
					r.heartbeat()
				}
			}
		}
	}()
	return func() {
		once.Do(func() { close(done) })
		wg.Wait()
	}
}

// heartbeat writes the job's progress and the time of this sign of life.
func (r *jobRun) heartbeat() {
	err := r.s.store.Update(r.ctx, func(tx meibo.Tx) error {
		_, err := tx.TouchImportJob(r.ctx, r.job.ID, r.job.Worker, int(r.prog.Rows.Load()), r.prog.Fraction())
		return err
	})
	if err != nil && r.ctx.Err() == nil {
		r.s.log.Warn("import heartbeat", "job", r.job.ID, "err", err)
	}
}

// problem records an error or warning of the job. Every one is counted;
// of the problems of rows only the first ones are kept, at most
// Config.ImportMaxMessages in all, of which warnings take at most half:
// the rest is the errors', so that an error (which fails the job, and
// which the administrator must find) is never crowded out by warnings
// that came before it, however many. Problems of the whole file (row 0),
// which end the reading, are always kept.
func (r *jobRun) problem(p csvio.Problem) {
	if p.Warning {
		r.warnings++
	} else {
		r.errors++
	}
	if p.Row != 0 {
		limit := r.s.maxMessages()
		switch {
		case r.keptErrors+r.keptWarns >= limit:
			return
		case p.Warning && r.keptWarns >= limit/2:
			return
		case p.Warning:
			r.keptWarns++
		default:
			r.keptErrors++
		}
	}
	r.pending = append(r.pending, p.ImportMessage())
}

func init() {
	meibo.RegisterMessages(map[string][2]string{
		"import.messages.kept": {"Listed: the first %s of %s errors and the first %s of %s warnings; the others were counted but not kept (the --import-max-messages flag, MEIBO_IMPORT_MAX_MESSAGES, sets how many are kept, warnings at most half of them).",
			"エラー %[2]s件のうち最初の%[1]s件、警告 %[4]s件のうち最初の%[3]s件を表示しています。残りは件数のみ記録しています(保存する件数は --import-max-messages フラグ、MEIBO_IMPORT_MAX_MESSAGES で設定します。警告はそのうち半分までです)。"},
		"import.messages.kept.errors": {"Listed: the first %s of %s errors; the others were counted but not kept (the --import-max-messages flag, MEIBO_IMPORT_MAX_MESSAGES, sets how many are kept).",
			"エラー %[2]s件のうち最初の%[1]s件を表示しています。残りは件数のみ記録しています(保存する件数は --import-max-messages フラグ、MEIBO_IMPORT_MAX_MESSAGES で設定します)。"},
		"import.messages.kept.warnings": {"Listed: the first %s of %s warnings; the others were counted but not kept (the --import-max-messages flag, MEIBO_IMPORT_MAX_MESSAGES, sets how many are kept, warnings at most half of them).",
			"警告 %[2]s件のうち最初の%[1]s件を表示しています。残りは件数のみ記録しています(保存する件数は --import-max-messages フラグ、MEIBO_IMPORT_MAX_MESSAGES で設定します。警告はそのうち半分までです)。"},
	})
}

// keptNote says, for a job that kept fewer messages than it counted, how
// many errors of how many and how many warnings of how many msgs (the
// job's kept messages) list; a zero Msg when they list them all.
func keptNote(j *meibo.ImportJob, msgs []meibo.ImportMessage) meibo.Msg {
	errs, warns := 0, 0
	for _, m := range msgs {
		if m.Warning {
			warns++
		} else {
			errs++
		}
	}
	switch {
	case errs >= j.ErrorCount && warns >= j.WarningCount:
		return meibo.Msg{}
	case j.WarningCount == 0:
		return meibo.M("import.messages.kept.errors", formatCount(min(errs, j.ErrorCount)), formatCount(j.ErrorCount))
	case j.ErrorCount == 0:
		return meibo.M("import.messages.kept.warnings", formatCount(min(warns, j.WarningCount)), formatCount(j.WarningCount))
	}
	return meibo.M("import.messages.kept", formatCount(min(errs, j.ErrorCount)), formatCount(j.ErrorCount),
		formatCount(min(warns, j.WarningCount)), formatCount(j.WarningCount))
}

// flush writes pending messages (in their own transaction).
func (r *jobRun) flush(ctx context.Context) error {
	if len(r.pending) == 0 {
		return nil
	}
	err := r.s.store.Update(ctx, func(tx meibo.Tx) error { return tx.AddImportMessages(ctx, r.job.ID, r.pending) })
	if err != nil {
		return err
	}
	r.pending = r.pending[:0]
	return nil
}

func (r *jobRun) importer() importer {
	switch r.job.Format {
	case meibo.FormatUsers:
		return &usersImporter{r: r, group: r.job.GroupID, update: r.job.UpdateExisting}
	case meibo.FormatPersonal:
		return &personalImporter{r: r, group: r.job.GroupID}
	case meibo.FormatAdmins:
		return &adminsImporter{r: r}
	case meibo.FormatDevices:
		return &devicesImporter{r: r, group: r.job.GroupID}
	}
	return nil
}

// run validates, hashes and applies; a refused file ends as FAILED with its
// problems (and a nil error); an error means the job could not be run.
func (r *jobRun) run() error {
	ctx := r.ctx
	if IsBulkFormat(r.job.Format) {
		return r.runBulk()
	}
	imp := r.importer()
	if imp == nil {
		r.problem(csvio.Problem{Msg: meibo.M("import.format", r.job.Format)})
		return r.finishFailed(ctx)
	}

	// 0. A file over the row limit fails with that one message.
	if over, err := r.overRows(); err != nil {
		return err
	} else if over {
		r.problem(csvio.Problem{Msg: meibo.M("import.limit.rows", formatCount(r.s.cfg.ImportMaxRows))})
		return r.finishFailed(ctx)
	}

	// 1. Validate.
	var toHash []hashItem
	err := r.pass(ctx, imp, nil, false, func(rec *csvio.Record) {
		if pw := imp.password(rec); pw != "" {
			toHash = append(toHash, hashItem{row: rec.Row, password: pw})
		}
	})
	if err != nil {
		return err
	}
	if r.errors > 0 {
		return r.finishFailed(ctx)
	}
	if r.job.Rows == 0 {
		// A header (or title line) alone: nothing to do, which is not an
		// error, but said, so that an empty export is not taken for one
		// that imported.
		r.problem(csvio.Problem{Row: 0, Msg: meibo.M("import.no_rows"), Warning: true})
	}
	if r.job.DryRun {
		return r.finishSuccess(ctx, nil, imp)
	}
	// A file that changes nothing (a full export imported again, every
	// row as the data holds it): the validation read every row from one
	// snapshot and found nothing to write, so the job ends there, rather
	// than read the file again in a write transaction that holds the
	// users' lock for nothing.
	if n, ok := imp.(noopImporter); ok && n.noop() {
		return r.finishSuccess(ctx, nil, imp)
	}

	// 2. Hash.
	r.prog.setPhase(PhaseHash)
	r.prog.ToHash.Store(int64(len(toHash)))
	if r.hashes, err = r.s.hashAll(ctx, toHash, &r.prog.Hashed); err != nil {
		return err
	}
	toHash = nil

	// 3. Apply, in one transaction.
	if err := r.flush(ctx); err != nil {
		return err
	}
	r.prog.setPhase(PhaseApply)
	// The validation counted the changes the apply lists: room for them
	// at once, instead of a list copied as it grows (a tenth of the
	// apply's own work for 100,000 new users).
	created, updated, deleted, _ := imp.counts()
	r.changes = make([]meibo.ImportChange, 0, min(created+updated+deleted, r.s.maxChanges()))
	imp.reset()
	applied := false
	err = r.s.store.Update(ctx, func(tx meibo.Tx) error {
		if err := tx.Unhurried(ctx); err != nil {
			return err
		}
		if err := tx.DeferSearchIndex(ctx); err != nil {
			return err
		}
		if err := r.pass(ctx, imp, tx, true, nil); err != nil {
			return err
		}
		if r.errors > 0 {
			return errRefused
		}
		applied = true
		return r.finishSuccess(ctx, tx, imp)
	})
	switch {
	case errors.Is(err, errRefused):
		r.problem(csvio.Problem{Msg: meibo.M("import.changed")})
		return r.finishFailed(ctx)
	case errors.Is(err, errTakenOver):
		r.s.log.Warn("import job was taken for dead while it ran, or is gone (a restore replaced the data); its changes were rolled back", "job", r.job.ID)
		return nil
	case err != nil:
		return err
	case !applied:
		return errors.New("import: apply did not run")
	}
	if r.job.SendInvitations {
		r.s.nudgeMail()
	}
	r.s.nudgeIndex()
	return nil
}

var (
	errRefused   = errors.New("import refused")
	errTakenOver = errors.New("import job taken for dead by another process, or gone")
)

// pass reads the whole file once. Without tx, each batch is checked in a read
// transaction of its own; with tx (apply), everything happens in it. each,
// when set, sees every record that has no errors after the checks.
func (r *jobRun) pass(ctx context.Context, imp importer, tx meibo.Tx, apply bool, each func(*csvio.Record)) error {
	f, err := r.file.open(ctx)
	if err != nil {
		return err
	}
	defer f.Close()
	rd, err := r.s.openJobFile(f, r.job)
	if err != nil {
		if meibo.ErrorCode(err) == meibo.CodeInternal {
			return err
		}
		for _, p := range csvio.Problems(err) {
			r.problem(p)
		}
		return nil
	}
	if apply {
		// The validation read this file and found no name twice (else
		// nothing is applied): the second reading need not look again.
		rd.SkipDuplicates()
	}
	// The encoding is known for sure once the whole file is read: a file
	// read as a stream (kept in the database's chunks) stays "utf-8" for
	// as long as it has been ASCII, and its first Shift_JIS byte may come
	// on its last row. The validation's reading records it.
	defer func() {
		if !apply || r.job.DetectedEncoding == "" {
			r.job.DetectedEncoding = string(rd.Detected())
		}
	}()
	if !apply {
		for _, p := range rd.Warnings() {
			r.problem(p)
		}
	}
	if tx == nil {
		// Validation reads one snapshot of the data in one read transaction,
		// as long as the file takes to read (the duplicate check of a file
		// of millions of names merges its runs on disk meanwhile).
		return r.s.store.View(ctx, func(tx meibo.Tx) error {
			if err := tx.Unhurried(ctx); err != nil {
				return err
			}
			return r.readAll(ctx, imp, tx, rd, apply, each)
		})
	}
	return r.readAll(ctx, imp, tx, rd, apply, each)
}

// readAll checks (and, when apply is set, writes) every record of rd in tx.
func (r *jobRun) readAll(ctx context.Context, imp importer, tx meibo.Tx, rd *csvio.Reader, apply bool, each func(*csvio.Record)) error {
	within := func(fn func(meibo.Tx) error) error { return fn(tx) }
	if err := within(func(tx meibo.Tx) error { return imp.begin(ctx, tx, apply) }); err != nil {
		return err
	}
	r.prog.Rows.Store(0)
	rows := 0
	batch := make([]*csvio.Record, 0, batchRows)
	runBatch := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := within(func(tx meibo.Tx) error { return imp.batch(ctx, tx, batch, apply) }); err != nil {
			return err
		}
		if each != nil {
			for _, rec := range batch {
				if !rec.HasErrors() {
					each(rec)
				}
			}
		}
		rows += len(batch)
		batch = batch[:0]
		r.prog.Rows.Store(int64(rows))
		r.prog.Bytes.Store(rd.Offset())
		if !apply && len(r.pending) >= 1000 {
			return r.flush(ctx)
		}
		return ctx.Err()
	}
	ahead := readAhead(rd)
	defer ahead.stop()
	for {
		rec, err := ahead.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if meibo.ErrorCode(err) == meibo.CodeInternal {
				return err
			}
			for _, p := range csvio.Problems(err) {
				r.problem(p)
			}
			break
		}
		if !r.sawPassword && (imp.password(rec) != "" || hashOf(rec) != "") {
			r.sawPassword = true
		}
		for _, p := range rec.Problems {
			if apply && p.Warning {
				continue
			}
			r.problem(p)
		}
		batch = append(batch, rec)
		if len(batch) == batchRows {
			if err := runBatch(); err != nil {
				return err
			}
		}
	}
	if err := runBatch(); err != nil {
		return err
	}
	r.job.Rows = rows
	r.prog.Bytes.Store(r.job.Size)
	return within(func(tx meibo.Tx) error { return imp.end(ctx, tx, apply) })
}

// aheadRows is how many records the reader decodes and checks ahead of the
// batch being checked or written: a batch of them.
const aheadRows = batchRows

// reader decodes and checks a file's records on a goroutine of its own, a
// chunk of aheadRows ahead of the batch in hand, so that the next batch is
// read while the database works on this one (a file of 100,000 unchanged
// users: 165,000-176,000 rows/s on SQLite without it, 181,000-190,000 with
// it). The records come in order, and the reader's error (io.EOF at the
// end) after the last of them.
type reader struct {
	chunks chan readChunk
	quit   chan struct{}
	done   chan struct{}
	cur    readChunk
}

type readChunk struct {
	recs []*csvio.Record
	err  error
}

// readAhead starts reading rd ahead. The caller must call stop, after
// which rd is no longer read.
func readAhead(rd *csvio.Reader) *reader {
	a := &reader{chunks: make(chan readChunk, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(a.done)
		for {
			c := readChunk{recs: make([]*csvio.Record, 0, aheadRows)}
			for len(c.recs) < aheadRows && c.err == nil {
				var rec *csvio.Record
				if rec, c.err = rd.Next(); c.err == nil {
					c.recs = append(c.recs, rec)
				}
			}
			select {
			case a.chunks <- c:
			case <-a.quit:
				return
			}
			if c.err != nil {
				return
			}
		}
	}()
	return a
}

// next returns the next record, or the reader's error after the last one.
func (a *reader) next() (*csvio.Record, error) {
	for len(a.cur.recs) == 0 {
		if a.cur.err != nil {
			return nil, a.cur.err
		}
		a.cur = <-a.chunks
	}
	rec := a.cur.recs[0]
	a.cur.recs = a.cur.recs[1:]
	return rec, nil
}

// stop ends the reading and waits until the reader is left alone.
func (a *reader) stop() {
	close(a.quit)
	<-a.done
}

// finishFailed ends the job as FAILED with its problems; nothing was written.
// When another process has meanwhile taken the job for dead, it is left as
// that process marked it.
func (r *jobRun) finishFailed(ctx context.Context) error {
	err := r.s.store.Update(ctx, func(tx meibo.Tx) error {
		if err := r.stillOurs(ctx, tx); err != nil {
			return err
		}
		if len(r.pending) > 0 {
			if err := tx.AddImportMessages(ctx, r.job.ID, r.pending); err != nil {
				return err
			}
		}
		now := r.s.now()
		j := r.job
		j.Status, j.FinishedAt, j.HeartbeatAt, j.Progress = meibo.ImportFailed, &now, &now, 0
		j.Created, j.Updated, j.Deleted, j.Unchanged = 0, 0, 0, 0
		j.ErrorCount, j.WarningCount = r.errors, r.warnings
		j.Message = FailedMsg(r.errors).In(meibo.English)
		if r.outcome.Key != "" {
			j.Message = r.outcome.In(meibo.English)
		}
		if !IsBulkFormat(j.Format) {
			data, err := r.fileBytes(ctx, tx)
			if err != nil {
				return err
			}
			if err := r.s.redactFile(ctx, tx, j, data); err != nil {
				return err
			}
		}
		if ok, err := tx.FinishImportJob(ctx, j); err != nil {
			return err
		} else if !ok {
			return errTakenOver
		}
		return r.s.audit(ctx, tx, "import.failed", importCategory(j), "import", idString(j.ID), j.GroupID,
			map[string]any{"errors": r.errors, "format": j.Format, "dryRun": j.DryRun})
	})
	if errors.Is(err, errTakenOver) {
		r.s.log.Warn("import job was taken for dead while it ran, or is gone (a restore replaced the data)", "job", r.job.ID)
		return nil
	}
	return err
}

// stillOurs makes sure, first in the transaction that ends a job, that the
// job is still RUNNING in this worker's hands (and holds it so): one that
// another process failed meanwhile, or one that is gone (a restore replaced
// the data beneath the server), is errTakenOver, and nothing of it is
// written.
func (r *jobRun) stillOurs(ctx context.Context, tx meibo.Tx) error {
	ok, err := tx.TouchImportJob(ctx, r.job.ID, r.job.Worker, int(r.prog.Rows.Load()), r.prog.Fraction())
	if err != nil {
		return err
	}
	if !ok {
		return errTakenOver
	}
	return nil
}

// fail ends the job as FAILED with one job-level message (after an internal
// error, which was logged).
func (r *jobRun) fail(m meibo.Msg) {
	r.pending = append(r.pending[:0], meibo.NewImportMessage(0, "", m, false))
	r.errors++
	if err := r.finishFailed(context.WithoutCancel(r.ctx)); err != nil {
		r.s.log.Error("record failed import job", "job", r.job.ID, "err", err)
	}
}

// finishSuccess ends the job as SUCCESS; for a real run it is called inside
// the apply transaction, so the job's outcome commits with its changes.
func (r *jobRun) finishSuccess(ctx context.Context, tx meibo.Tx, imp importer) error {
	write := func(tx meibo.Tx) error {
		if err := r.stillOurs(ctx, tx); err != nil {
			return err
		}
		if len(r.pending) > 0 {
			if err := tx.AddImportMessages(ctx, r.job.ID, r.pending); err != nil {
				return err
			}
		}
		if len(r.changes) > 0 {
			if err := tx.AddImportChanges(ctx, r.job.ID, r.changes); err != nil {
				return err
			}
		}
		now := r.s.now() // not tx.Now(): that is when the apply began
		j := r.job
		j.Status, j.FinishedAt, j.HeartbeatAt, j.Progress = meibo.ImportSuccess, &now, &now, 1
		j.Created, j.Updated, j.Deleted, j.Unchanged = imp.counts()
		j.ErrorCount, j.WarningCount = r.errors, r.warnings
		j.Message = meibo.M("import.summary", formatCount(j.Created), formatCount(j.Updated), formatCount(j.Deleted), formatCount(j.Unchanged)).In(meibo.English)
		if err := r.redactIfNeeded(ctx, tx, j); err != nil {
			return err
		}
		if ok, err := tx.FinishImportJob(ctx, j); err != nil {
			return err
		} else if !ok {
			// Another process failed the job as interrupted: roll back.
			return errTakenOver
		}
		return r.s.audit(ctx, tx, "import.success", importCategory(j), "import", idString(j.ID), j.GroupID,
			map[string]any{"format": j.Format, "dryRun": j.DryRun, "fileName": j.FileName, "sha256": j.SHA256,
				"created": j.Created, "updated": j.Updated, "deleted": j.Deleted, "unchanged": j.Unchanged})
	}
	if tx != nil {
		return write(tx)
	}
	err := r.s.store.Update(ctx, write)
	if errors.Is(err, errTakenOver) {
		r.s.log.Warn("import job was taken for dead while it ran, or is gone (a restore replaced the data)", "job", r.job.ID)
		return nil
	}
	return err
}

// problemAt records an error about a record's column.
func (r *jobRun) problemAt(rec *csvio.Record, col string, m meibo.Msg) {
	p := csvio.Problem{Row: rec.Row, Column: col, Msg: m}
	rec.Problems = append(rec.Problems, p)
	r.problem(p)
}

// problemErr records the messages of a domain validation error under col.
func (r *jobRun) problemErr(rec *csvio.Record, col string, err error) error {
	e := meibo.AsError(err)
	if e.Code != meibo.CodeInvalid {
		return err
	}
	if len(e.Fields) == 0 {
		r.problemAt(rec, col, e.Msg)
		return nil
	}
	for _, m := range e.Fields {
		r.problemAt(rec, col, m)
	}
	return nil
}

// redactIfNeeded keeps the job's file without passwords. A successful job
// whose every row was read without a password keeps its file as uploaded
// without reading it again.
func (r *jobRun) redactIfNeeded(ctx context.Context, tx meibo.Tx, j *meibo.ImportJob) error {
	if !r.sawPassword && r.errors == 0 {
		return nil
	}
	data, err := r.fileBytes(ctx, tx)
	if err != nil {
		return err
	}
	return r.s.redactFile(ctx, tx, j, data)
}
