package service_test

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// ixLiveSize is how many bytes the database's live data takes: on SQLite
// its pages less the free ones; on PostgreSQL, whose dead rows stay until a
// vacuum that other tests' snapshots may hold back, the bytes of the live
// rows of the tables an import job writes to.
func (e *ixEnv) ixLiveSize() int64 {
	e.t.Helper()
	ctx := context.Background()
	var n int64
	switch e.engine {
	case "sqlite":
		e.must(e.db.WriteDB().QueryRowContext(ctx, `SELECT ((SELECT page_count FROM pragma_page_count()) -
			(SELECT freelist_count FROM pragma_freelist_count())) * (SELECT page_size FROM pragma_page_size())`).Scan(&n))
	default:
		e.must(e.db.WriteDB().QueryRowContext(ctx, `SELECT
			(SELECT COALESCE(SUM(pg_column_size(f.*)), 0) FROM import_files f) +
			(SELECT COALESCE(SUM(pg_column_size(m.*)), 0) FROM import_messages m) +
			(SELECT COALESCE(SUM(pg_column_size(j.*)), 0) FROM import_jobs j) +
			(SELECT COALESCE(SUM(pg_column_size(a.*)), 0) FROM audit_events a)`).Scan(&n))
	}
	return n
}

// ixRefusedWhole runs a file that must be refused as a whole on its first
// bound: the job fails with exactly the one wanted error, and neither the
// data nor the database's size change beyond the job's own record.
func ixRefusedWhole(t *testing.T, e *ixEnv, req service.ImportRequest, data []byte, want ixWant) {
	t.Helper()
	before, size := e.snapshot(), e.ixLiveSize()
	job := e.run(req, data)
	e.wantFailed(job, want)
	if got := e.snapshot(); !reflect.DeepEqual(got, before) {
		t.Errorf("a refused file changed the data")
	}
	if grown := e.ixLiveSize() - size; grown > 256<<10 {
		t.Errorf("the database grew by %d bytes for a refused %d-byte file", grown, len(data))
	}
}

// TestImportMillionColumns: the file of the attack, a header of a million
// columns (about 7 MB), fails at once with one message naming the limit,
// and keeps no more than that message.
func TestImportMillionColumns(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		ixBase(e)
		var b bytes.Buffer
		b.WriteString("name,password,email")
		for i := range 1_000_000 {
			fmt.Fprintf(&b, ",c%d", i)
		}
		b.WriteString("\r\ncarol,,carol@example.org\r\n")
		ixRefusedWhole(t, e, service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1"}, b.Bytes(),
			ixWant{0, "", "The header (row 1) is over the limit of 16 columns or 16 KiB: a users file has 8 columns."})
	})
}

// TestImportHugeCell: a value of 10 MiB (80 times the row limit, in a file
// kept in several chunks) fails the file at its row with one message naming
// the limit, though the rows before it are fine.
func TestImportHugeCell(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine, func(c *service.Config) { c.ImportMaxBytes = 128 << 20 })
		ixBase(e)
		var b bytes.Buffer
		b.WriteString("name,password,email\r\ncarol,,carol@example.org\r\ndave,,")
		b.Write(bytes.Repeat([]byte("x"), 10<<20))
		b.WriteString("\r\neve,,\r\n")
		ixRefusedWhole(t, e, service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1"}, b.Bytes(),
			ixWant{0, "", "Row 3 is longer than the limit of 130 KiB (at most 16 columns of 4 KiB each); the file was not read further."})
	})
}

// TestImportRowLimit: a file over the row limit fails with that one
// message, whatever its rows hold, and nothing is written; a file at the
// limit is imported.
func TestImportRowLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine, func(c *service.Config) { c.ImportMaxRows = 5 })
		ixBase(e)
		req := service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1"}
		rows := []string{"name,password,email"}
		for i := range 6 {
			rows = append(rows, fmt.Sprintf("new%d,,new%d@example.org", i, i))
		}
		rows[2] = "alice,,alice@example.org" // an error of its own, not reported
		want := ixWant{0, "", "The file has more than 5 data rows, the limit of one import; nothing was written. Split it into smaller files, or raise the limit with the --import-max-rows flag (MEIBO_IMPORT_MAX_ROWS)."}
		ixRefusedWhole(t, e, req, ixCSV(rows...), want)

		// Blank lines are not rows: five rows over more lines than that
		// are within the limit.
		job := e.run(req, ixCSV("name,password,email", "n1,,", "", "", "n2,,", "", "n3,,", "n4,,", "", "n5,,"))
		e.wantSuccess(job, 5, 0, 0, 0)

		job = e.run(req, ixCSV("name,password,email", "p1,,", "p2,,", "p3,,", "p4,,", "p5,,"))
		e.wantSuccess(job, 5, 0, 0, 0)

		// The command line has no limit unless given one.
		e.svc = e.otherService(func(c *service.Config) { c.ImportMaxRows = 0 })
		job = e.run(req, ixCSV("name,password,email", "m1,,", "m2,,", "m3,,", "m4,,", "m5,,", "m6,,"))
		e.wantSuccess(job, 6, 0, 0, 0)
	})
}

// TestImportMessageCap: a job keeps its first messages and counts them all;
// the errors file says how many of how many of each it shows.
func TestImportMessageCap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine, func(c *service.Config) { c.ImportMaxMessages = 10 })
		ixBase(e)
		rows := []string{"name,password,email"}
		for i := range 40 {
			rows = append(rows, fmt.Sprintf("u%d,,not-an-address", i)) // an error each
		}
		rows = append(rows, "")             // a warning
		rows = append(rows, "u99,,\"x", "") // and a file-level one: an unterminated quote ends the file
		before := e.snapshot()
		job := e.run(service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1"}, ixCSV(rows...))
		stored := e.stored(job.ID)
		errs, warns := e.messages(job)
		if stored.Status != meibo.ImportFailed || stored.ErrorCount != 41 || stored.WarningCount < 1 {
			t.Fatalf("job %s with %d errors, %d warnings; want FAILED with 41 errors and a warning", stored.Status, stored.ErrorCount, stored.WarningCount)
		}
		// Ten of the rows' messages are kept; those of the whole file (here:
		// the file could not be kept) always are.
		msgs := append(errs, warns...)
		rowMsgs := 0
		for _, m := range msgs {
			if m.Row != 0 {
				rowMsgs++
			}
		}
		if rowMsgs != 10 || len(msgs) > 12 {
			t.Errorf("%d messages of rows kept, want 10:%s", rowMsgs, ixShow(msgs))
		}
		if got := e.snapshot(); !reflect.DeepEqual(got, before) {
			t.Errorf("a refused file changed the data")
		}
		var csv bytes.Buffer
		e.must(e.svc.WriteImportErrors(e.sys, job.ID, &csv, meibo.English))
		lines := strings.Split(strings.TrimSpace(csv.String()), "\r\n")
		note := fmt.Sprintf("Listed: the first %d of %d errors and the first %d of %d warnings;", len(errs), stored.ErrorCount, len(warns), stored.WarningCount)
		if wantLast := ",,warning,\"" + note; len(lines) != len(msgs)+2 || !strings.HasPrefix(lines[len(lines)-1], wantLast) {
			t.Errorf("errors file (%d lines) ends %q, want %q…", len(lines), lines[len(lines)-1], wantLast)
		}
		rep, err := e.svc.Report(e.sys, stored, meibo.English)
		e.must(err)
		if !strings.HasPrefix(rep.Note, note) {
			t.Errorf("report note %q, want %q…", rep.Note, note)
		}
		if n := service.ImportKeptNote(stored, msgs); !strings.Contains(n.In(meibo.Japanese), fmt.Sprintf("最初の%d件", len(errs))) {
			t.Errorf("note in Japanese: %s", n.In(meibo.Japanese))
		}
	})
}

// TestImportsAtOnce: a group, and a submitter, may have three imports
// waiting or running; the fourth is refused as too many (429) with a
// message naming the limit, and leaves no job. When one ends, the next is
// taken again.
func TestImportsAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		ixBase(e)
		for _, g := range []string{"G2", "G3", "G4"} {
			e.group(g)
		}
		as := func(name string) context.Context {
			return meibo.WithActor(context.Background(), &meibo.Actor{Kind: meibo.ActorAdmin, Name: name,
				Authorities: meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthImport)})
		}
		file := ixCSV("name,password,email", "carol,,")
		submit := func(who, group string) (*meibo.ImportJob, error) {
			return e.svc.SubmitImport(as(who), service.ImportRequest{Format: meibo.FormatUsers, GroupID: group}, file)
		}
		jobs := func() int {
			list, err := e.svc.ImportJobs(e.sys, meibo.ImportFilter{Limit: 100})
			e.must(err)
			return len(list)
		}
		refused := func(err error, want string) {
			t.Helper()
			if ae := meibo.AsError(err); ae.Code != meibo.CodeRateLimited || ae.Msg.In(meibo.English) != want {
				t.Errorf("got %v (%s), want rate_limited %q", err, meibo.ErrorCode(err), want)
			}
		}

		// Per group: three administrators fill G1; a fourth is refused.
		var first *meibo.ImportJob
		for i, who := range []string{"ann", "ben", "cat"} {
			j, err := submit(who, "G1")
			e.must(err)
			if i == 0 {
				first = j
			}
		}
		n := jobs()
		_, err := submit("dan", "G1")
		refused(err, "The group G1 has 3 imports waiting or running already, the limit; nothing was submitted. Submit again when one has ended (the limit is set by the --import-max-per-group flag, MEIBO_IMPORT_MAX_PER_GROUP).")
		if jobs() != n {
			t.Errorf("a refused submission left a job")
		}

		// Per administrator: ann has one in G1; two more elsewhere, then a
		// fourth in a group with room is refused.
		for _, g := range []string{"G2", "G3"} {
			_, err := submit("ann", g)
			e.must(err)
		}
		_, err = submit("ann", "G4")
		refused(err, "You have 3 imports waiting or running already, the limit; nothing was submitted. Submit again when one has ended (the limit is set by the --import-max-per-admin flag, MEIBO_IMPORT_MAX_PER_ADMIN).")
		if _, err := submit("dan", "G4"); err != nil {
			t.Errorf("another administrator in a group with room: %v", err)
		}

		// When ann's job in G1 has run, both she and G1 have room again.
		ran, err := e.svc.RunImport(e.sys, first.ID, nil)
		e.must(err)
		if ran.Status == meibo.ImportQueued || ran.Status == meibo.ImportRunning {
			t.Fatalf("job %d is %s after running", ran.ID, ran.Status)
		}
		if _, err := submit("ann", "G1"); err != nil {
			t.Errorf("after a job ended: %v", err)
		}

		// -1 lifts a limit.
		e.svc = e.otherService(func(c *service.Config) { c.ImportMaxPerGroup, c.ImportMaxPerAdmin = -1, -1 })
		if _, err := submit("ann", "G1"); err != nil {
			t.Errorf("without limits: %v", err)
		}
	})
}

// TestImportsAtOnceParallel: submissions at the same moment cannot pass the
// limit together: of twelve, three are taken.
func TestImportsAtOnceParallel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		ixBase(e)
		file := ixCSV("name,password,email", "carol,,")
		var wg sync.WaitGroup
		var taken, limited atomic.Int32
		for i := range 12 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx := meibo.WithActor(context.Background(), &meibo.Actor{Kind: meibo.ActorAdmin, Name: fmt.Sprintf("a%d", i),
					Authorities: meibo.NewAuthorities(meibo.AuthConsole, meibo.AuthImport)})
				_, err := e.svc.SubmitImport(ctx, service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1"}, file)
				switch {
				case err == nil:
					taken.Add(1)
				case meibo.ErrorCode(err) == meibo.CodeRateLimited:
					limited.Add(1)
				default:
					t.Errorf("submit: %v", err)
				}
			}()
		}
		wg.Wait()
		if taken.Load() != 3 || limited.Load() != 9 {
			t.Errorf("%d taken, %d refused; want 3 and 9", taken.Load(), limited.Load())
		}
	})
}

// TestImportErrorAmongWarnings: a file of 30,000 rows, every third without
// an e-mail (a warning each, as invitations are sent) and one error far
// down: the error is kept and listed wherever the job's messages are (the
// report of the API and of `meibo imports show`, the errors file of the
// console, the API and `meibo imports errors`, the console's page, which
// lists the first 1,000 by row), however many warnings came before it,
// and the note says how many of each are listed.
func TestImportErrorAmongWarnings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine, func(c *service.Config) { c.PublicURL = "https://meibo.example.org" })
		ixBase(e)
		for _, bad := range []struct {
			row      int
			cells    string
			col, msg string
		}{
			{29_001, "bad29001,,not-an-address,staff", "email", "address"},
			{15_001, "bad15001,,x15001@example.org,nosuch", "profile", "nosuch"},
		} {
			lines := []string{"name,password,email,profile"}
			for k := 1; k <= 30_000; k++ {
				switch {
				case k+1 == bad.row:
					lines = append(lines, bad.cells)
				case k%3 == 0:
					lines = append(lines, fmt.Sprintf("w%d,,,staff", k))
				default:
					lines = append(lines, fmt.Sprintf("n%d,,n%d@example.org,staff", k, k))
				}
			}
			job := e.run(service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1", SendInvitations: true}, ixCSV(lines...))
			stored := e.stored(job.ID)
			if stored.Status != meibo.ImportFailed || stored.ErrorCount != 1 || stored.WarningCount < 9_999 {
				t.Fatalf("row %d: job %s with %d errors, %d warnings; want FAILED with 1 error and 10,000 warnings",
					bad.row, stored.Status, stored.ErrorCount, stored.WarningCount)
			}
			want := ixWant{row: bad.row, col: bad.col, text: bad.msg}
			errs, warns := e.messages(stored)
			e.wantMessages("errors", errs, want)
			if len(errs)+len(warns) > 1000 || len(warns) == 0 {
				t.Errorf("row %d: kept %d errors and %d warnings, want 1 and some warnings, 1,000 in all at most", bad.row, len(errs), len(warns))
			}

			// The console's page: the first 1,000 (and one, to know of more) by row.
			page, err := e.svc.ImportMessages(e.sys, job.ID, 1001)
			e.must(err)
			if !slices.ContainsFunc(page, func(m meibo.ImportMessage) bool { return !m.Warning && ixMatch(m, want) }) {
				t.Errorf("row %d: the console's first 1,001 messages lack the error", bad.row)
			}

			// The report (API, `meibo imports show`).
			rep, err := e.svc.Report(e.sys, stored, meibo.English)
			e.must(err)
			if len(rep.Errors) != 1 || rep.Errors[0].Row != bad.row || rep.Errors[0].Column != bad.col {
				t.Errorf("row %d: report errors %+v", bad.row, rep.Errors)
			}
			note := fmt.Sprintf("Listed: the first 1 of 1 errors and the first %d of %s warnings;", len(warns), fmtThousands(stored.WarningCount))
			if !strings.HasPrefix(rep.Note, note) {
				t.Errorf("row %d: report note %q, want %q…", bad.row, rep.Note, note)
			}

			// The errors file (console, API, `meibo imports errors`): the error
			// line, the rows in order, the note last.
			var csv bytes.Buffer
			e.must(e.svc.WriteImportErrors(e.sys, job.ID, &csv, meibo.English))
			out := strings.Split(strings.TrimSpace(csv.String()), "\r\n")
			errLine := fmt.Sprintf("%d,%s,error,", bad.row, bad.col)
			if !slices.ContainsFunc(out, func(l string) bool { return strings.HasPrefix(l, errLine) }) {
				t.Errorf("row %d: the errors file has no line %q…", bad.row, errLine)
			}
			if last := out[len(out)-1]; !strings.Contains(last, note) {
				t.Errorf("row %d: the errors file ends %q, want the note %q…", bad.row, last, note)
			}
			prev := 0
			for _, l := range out[1 : len(out)-1] {
				cell := strings.TrimPrefix(l[:strings.IndexByte(l, ',')], "\ufeff")
				n, err := strconv.Atoi(cmp.Or(cell, "0"))
				if err != nil || n < prev {
					t.Fatalf("row %d: the errors file is not in the order of rows at %q (after row %d)", bad.row, l, prev)
				}
				prev = n
			}
			var ja bytes.Buffer
			e.must(e.svc.WriteImportErrors(e.sys, job.ID, &ja, meibo.Japanese))
			if !strings.Contains(ja.String(), "エラー 1件のうち最初の1件") {
				t.Errorf("row %d: the Japanese errors file does not say how many errors it lists:\n%s", bad.row, ja.String()[max(0, ja.Len()-600):])
			}
		}
	})
}

// fmtThousands writes n as the messages do: 10,000.
func fmtThousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
