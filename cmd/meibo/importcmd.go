package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/argon2id"
	"github.com/meibo/meibo/csvio"
	"github.com/meibo/meibo/service"
)

func runImport(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "import", "import --format personal|users|admins|devices [--group ID] [--encoding auto|utf-8|cp932] [--update-existing] [--no-invite] [--dry-run] [--json] FILE")
	var dsn string
	dbFlag(fs, &dsn)
	params := argon2id.Default
	argonFlags(fs, &params)
	format := fs.String("format", "", "personal, users, admins or devices (required)")
	group := fs.String("group", "", "group ID (required for personal, users and devices)")
	encoding := fs.String("encoding", "auto", "auto, utf-8 or cp932 (Shift_JIS)")
	update := fs.Bool("update-existing", false, "users: update users that exist already instead of refusing them")
	dryRun := fs.Bool("dry-run", false, "validate only; write nothing")
	invite := fs.Bool("send-invitations", false, "users: invite each new user with an e-mail address and no password (the default where --public-url is set; without it, refused)")
	fs.BoolVar(invite, "invite", false, "same as --send-invitations")
	noInvite := fs.Bool("no-invite", false, "users: send no invitations")
	var mc mailConfig
	mailFlags(fs, &mc)
	asJSON := fs.Bool("json", false, "print one JSON object")
	maxBytes := fs.Int64("import-max-bytes", 0, "largest import file in bytes (0: no limit; the server's uploads keep theirs)")
	tz := fs.String("time-zone", "Local", "time zone for times in files")
	lang := fs.String("lang", "en", "language of messages: en or ja")
	weakHashes := fs.Bool("allow-weak-hashes", false, "take salted SHA ({SSHA}) password hashes in passwordHash (replaced at the next sign-in)")
	stats := fs.Bool("stats", false, "print time, rows/s and peak memory to standard error")
	var limits importLimits
	importLimitFlags(fs, &limits, 0)
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("import needs one FILE")
	}
	if err := limits.check(); err != nil {
		return err
	}
	if *invite && *noInvite {
		return usagef("choose --send-invitations or --no-invite, not both")
	}
	started := time.Now()
	switch *format {
	case meibo.FormatPersonal, meibo.FormatUsers, meibo.FormatDevices:
		if *group == "" {
			return usagef("--group is required for the %s format", *format)
		}
	case meibo.FormatAdmins:
		if *group != "" {
			return usagef("--group does not apply to the admins format")
		}
	case "":
		return usagef("--format is required: personal, users, admins or devices")
	default:
		return usagef("unknown --format %q: personal, users, admins or devices", *format)
	}
	if _, err := csvio.ParseEncoding(*encoding); err != nil {
		return usagef("--encoding: %s", message(err, meibo.Lang(*lang)))
	}
	if *lang != "en" && *lang != "ja" {
		return usagef("--lang must be en or ja")
	}
	path := pos[0]
	// From here on, every failure is a refused import: with --json it is
	// still one JSON object on standard output.
	refuse := func(err error) error {
		if *asJSON {
			text := message(err, meibo.Lang(*lang))
			if e := meibo.AsError(err); e.Code != meibo.CodeInternal {
				text = e.Msg.In(meibo.Lang(*lang))
			}
			r := service.ImportReport{Status: string(meibo.ImportFailed), DryRun: *dryRun, Warnings: []service.ReportMessage{},
				Errors: []service.ReportMessage{{Message: text}}}
			printJSON(env.stdout, r)
			return &exitError{code: exitFail, err: err, lang: meibo.Lang(*lang)}
		}
		return &exitError{code: exitFail, err: err, lang: meibo.Lang(*lang)}
	}
	st, err := os.Stat(path)
	if err != nil {
		return refuse(fmt.Errorf("read %s: %w", path, err))
	}
	if *maxBytes <= 0 {
		*maxBytes = math.MaxInt64
	}
	if st.Size() > *maxBytes {
		return refuse(meibo.Errorf(meibo.CodeTooLarge, "too_large", service.FormatBytes(*maxBytes)))
	}
	if _, set := env.getenv("GOMEMLIMIT"); !set {
		// A soft limit makes the collector work harder rather than let the
		// heap double while a big file is read twice.
		debug.SetMemoryLimit(importMemoryLimit)
	}
	c, err := openCLI(ctx, dsn, params, *tz, *maxBytes, &mc, &limits)
	if err != nil {
		var ue *usageError
		if errors.As(err, &ue) {
			return err
		}
		return refuse(interrupted(ctx, err, *lang))
	}
	defer c.Close()
	var bar *progressBar
	if isTerminal(env.stderr) {
		bar = &progressBar{w: env.stderr}
	}
	// New users are invited by default where links can be made (a public
	// URL), unless --no-invite.
	sendInvitations := *invite || !*noInvite && *format == meibo.FormatUsers && c.svc.InvitationsByDefault()
	req := service.ImportRequest{Format: *format, GroupID: *group, Encoding: *encoding, UpdateExisting: *update, DryRun: *dryRun,
		SendInvitations: sendInvitations, FileName: filepath.Base(path), AllowWeakHashes: *weakHashes}
	var onProgress func(*service.Progress)
	if bar != nil {
		onProgress = bar.update
	}
	// Jobs of processes that died (a `meibo import` killed, a server
	// stopped hard) are settled first, as a server does when it starts,
	// so that they do not count against the limits of imports at once;
	// those of live processes, here or elsewhere, are left alone.
	if err := c.svc.RecoverImports(c.ctx); err != nil {
		return refuse(interrupted(ctx, err, *lang))
	}
	job, err := c.svc.SubmitAndRunFile(c.ctx, req, path, onProgress)
	if bar != nil {
		bar.done()
	}
	if err != nil {
		return refuse(interrupted(ctx, err, *lang))
	}
	// Interrupted (Ctrl-C, SIGTERM) while it ran, the job was recorded as
	// stopped: it is reported all the same, read as it was recorded.
	rctx := c.ctx
	stopped := ctx.Err() != nil
	if stopped {
		rctx = context.WithoutCancel(c.ctx)
		if j, err := c.svc.ImportJob(rctx, job.ID); err == nil {
			job = j
		}
	}
	report, err := c.svc.Report(rctx, job, meibo.Lang(*lang))
	if err != nil {
		return refuse(err)
	}
	if *stats {
		printStats(env.stderr, job.Rows, time.Since(started))
	}
	if stopped && job.Status == meibo.ImportSuccess && !job.DryRun {
		fmt.Fprintln(env.stderr, "note: interrupted after the import was written: the keyword search finds the new users once a server, or the next import, has indexed them.")
	} else if job.Status == meibo.ImportSuccess && !job.DryRun {
		// The imported users wait for the keyword index; a server would
		// index them in the background, but none may run.
		t := time.Now()
		n, err := c.svc.IndexSearch(c.ctx)
		if err != nil {
			return err
		}
		if *stats && n > 0 {
			fmt.Fprintf(env.stderr, "stats: search index: %d users in %.2fs, %.0f users/s, peak memory %d MiB\n",
				n, time.Since(t).Seconds(), float64(n)/time.Since(t).Seconds(), peakMemory()>>20)
		}
	}
	if *asJSON {
		if err := printJSON(env.stdout, report); err != nil {
			return err
		}
	} else {
		printReport(env.stdout, job, report)
	}
	if *format == meibo.FormatUsers && !sendInvitations && !*noInvite && report.Created > 0 {
		// Invited by default, but no link can be made: say so rather
		// than leave new users waiting for a mail that never comes.
		fmt.Fprintln(env.stderr, "note: no invitations were sent: there is no --public-url (MEIBO_PUBLIC_URL) to put in their links. "+
			"New users without a password cannot sign in until they get one: set it and run meibo user invite, or give them passwords.")
	}
	if job.Status != meibo.ImportSuccess {
		return &exitError{code: exitFail}
	}
	return nil
}

func init() {
	meibo.RegisterMessages(map[string][2]string{
		"cli.import.interrupted": {"interrupted (Ctrl-C or a signal) before the import began; nothing was imported.",
			"インポートの開始前に(Ctrl-C またはシグナルで)中断されました。何もインポートされていません。"},
	})
}

// interrupted is err, or, when ctx ended (Ctrl-C, SIGTERM) before a job
// began, an error that says so in lang rather than "context canceled".
func interrupted(ctx context.Context, err error, lang string) error {
	if ctx.Err() == nil {
		return err
	}
	return errors.New(meibo.M("cli.import.interrupted").In(meibo.Lang(lang)))
}

// importMemoryLimit is the soft memory limit of `meibo import` (GOMEMLIMIT
// overrides it).
const importMemoryLimit = 128 << 20

func printReport(w io.Writer, job *meibo.ImportJob, r *service.ImportReport) {
	dry := ""
	if r.DryRun {
		dry = " (dry run: nothing written)"
	}
	fmt.Fprintf(w, "import #%d %s%s: %d created, %d updated, %d deleted, %d unchanged; %s, %.0f rows/s\n",
		r.ID, r.Status, dry, r.Created, r.Updated, r.Deleted, r.Unchanged, countRows(int64(job.Rows)), r.RowsPerSecond)
	if job.DetectedEncoding != "" {
		fmt.Fprintf(w, "encoding: %s\n", job.DetectedEncoding)
	}
	for _, m := range r.Errors {
		fmt.Fprintf(w, "error   %s%s\n", where(m), m.Message)
	}
	for _, m := range r.Warnings {
		fmt.Fprintf(w, "warning %s%s\n", where(m), m.Message)
	}
	if r.Note != "" {
		fmt.Fprintln(w, r.Note)
	}
	switch {
	case service.Stopped(job):
		fmt.Fprintln(w, "the import was stopped; nothing was written")
	case r.Status == string(meibo.ImportFailed):
		fmt.Fprintln(w, "the file was refused; nothing was written")
	}
}

func where(m service.ReportMessage) string {
	switch {
	case m.Row == 0:
		return ""
	case m.Column == "":
		return fmt.Sprintf("row %d: ", m.Row)
	}
	return fmt.Sprintf("row %d, %s: ", m.Row, m.Column)
}

func runExport(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "export", "export --format users|admins|devices [--group ID] [--encoding utf-8|cp932] [--bom] [-o FILE] | export --template --format users|personal|devices|admins [--encoding utf-8|cp932] [--bom] [-o FILE]")
	var dsn string
	dbFlag(fs, &dsn)
	format := fs.String("format", "", "users, admins or devices (required)")
	group := fs.String("group", "", "group ID (required for users and devices)")
	encoding := fs.String("encoding", "", "utf-8 or cp932 (default: users and devices utf-8; admins the configured admin_csv_encoding)")
	bom := fs.Bool("bom", false, "start a UTF-8 file with a byte order mark (for Excel)")
	out := fs.String("o", "", "output file (default, or -: standard output)")
	tz := fs.String("time-zone", "Local", "time zone of the times in the admins file")
	stats := fs.Bool("stats", false, "print time, rows/s and peak memory to standard error")
	template := fs.Bool("template", false, "write the format's template (header and one example row; also for personal) instead of exporting")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	var enc csvio.Encoding
	if *encoding != "" {
		if enc, err = csvio.ParseEncoding(*encoding); err != nil || enc == csvio.Auto {
			return usagef("--encoding must be utf-8 or cp932")
		}
	}
	if *out == "-" {
		*out = "" // "-o -": standard output, as the default
	}
	if *template {
		return writeTemplate(env, *format, enc, *bom, *out)
	}
	switch *format {
	case meibo.FormatUsers, meibo.FormatDevices:
		if *group == "" {
			return usagef("--group is required for the %s format", *format)
		}
	case meibo.FormatAdmins:
	case "":
		return usagef("--format is required: users, admins or devices")
	default:
		return usagef("unknown --format %q: users, admins or devices", *format)
	}
	c, err := openCLI(ctx, dsn, argon2id.Default, *tz, 0)
	if err != nil {
		return err
	}
	defer c.Close()
	// Write to a temporary file first: a value that cannot be encoded fails
	// the export, and then no partial file is left behind.
	dir := os.TempDir()
	if *out != "" {
		dir = filepath.Dir(*out)
	}
	tmp, err := os.CreateTemp(dir, ".meibo-export-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	started := time.Now()
	var n int
	switch *format {
	case meibo.FormatUsers:
		n, err = c.svc.ExportUsers(c.ctx, *group, tmp, enc, *bom)
	case meibo.FormatDevices:
		n, err = c.svc.ExportDevices(c.ctx, *group, tmp, enc, *bom)
	default:
		n, err = c.svc.ExportAdmins(c.ctx, tmp, enc, *bom)
	}
	if err != nil {
		return err
	}
	if *stats {
		printStats(env.stderr, n, time.Since(started))
	}
	if *out != "" {
		if err := tmp.Close(); err != nil {
			return err
		}
		if err := os.Rename(tmp.Name(), *out); err != nil {
			return err
		}
		fmt.Fprintf(env.stderr, "wrote %d %s to %s\n", n, *format, *out)
		return nil
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err = io.Copy(env.stdout, tmp)
	return err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressBar draws an import's progress on one terminal line.
type progressBar struct {
	w     io.Writer
	drawn bool
}

func (b *progressBar) update(p *service.Progress) {
	const width = 30
	f := p.Fraction()
	n := int(f * width)
	detail := countRows(p.Rows.Load())
	if p.Phase() == service.PhaseHash {
		detail = fmt.Sprintf("%d/%d passwords", p.Hashed.Load(), p.ToHash.Load())
	}
	fmt.Fprintf(b.w, "\r%-10s [%s%s] %3.0f%% %s   ", p.Phase(), strings.Repeat("#", n), strings.Repeat(".", width-n), f*100, detail)
	b.drawn = true
}

func (b *progressBar) done() {
	if b.drawn {
		fmt.Fprint(b.w, "\r\033[K")
	}
}

// countRows writes a number of rows: "1 row", "2 rows".
func countRows(n int64) string {
	if n == 1 {
		return "1 row"
	}
	return fmt.Sprintf("%d rows", n)
}
