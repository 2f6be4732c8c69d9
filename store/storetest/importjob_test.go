package storetest_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/store/storetest"
)

func TestImportJobs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		now := time.Date(2024, 9, 1, 10, 0, 0, 0, time.UTC)
		clock := now
		db := storetest.Open(t, engine, func() time.Time { return clock })
		file := []byte("name,password,email\r\n\xef\xbb\xbf\x00\xff")
		var jobs []*meibo.ImportJob
		update(t, db, func(tx meibo.Tx) error {
			for i, g := range []string{"G1", "g2", "", "G1"} {
				j := &meibo.ImportJob{Format: meibo.FormatUsers, Encoding: "auto", GroupID: g, UpdateExisting: i == 1, SendInvitations: i == 2, DryRun: i == 3,
					FileName: fmt.Sprintf("users%d.csv", i), Size: int64(len(file)), SHA256: "abc", CreatedBy: "alice"}
				var f []byte
				if i == 0 {
					f = file
				}
				if err := tx.CreateImportJob(ctx, j, f); err != nil {
					return err
				}
				jobs = append(jobs, j)
			}
			return nil
		})
		view(t, db, func(tx meibo.Tx) error {
			j, err := tx.ImportJob(ctx, jobs[1].ID)
			if err != nil {
				return err
			}
			if j.Status != meibo.ImportQueued || j.GroupID != "g2" || !j.UpdateExisting || j.SendInvitations || j.FileName != "users1.csv" ||
				j.Size != int64(len(file)) || j.CreatedBy != "alice" || !j.CreatedAt.Equal(now) || j.StartedAt != nil || j.Worker != "" {
				t.Errorf("ImportJob = %+v", j)
			}
			b, err := tx.ImportFile(ctx, jobs[0].ID)
			if err != nil || string(b) != string(file) {
				t.Errorf("ImportFile = %q, %v", b, err)
			}
			b, err = tx.ImportFile(ctx, jobs[1].ID)
			if err != nil || len(b) != 0 {
				t.Errorf("empty ImportFile = %q, %v", b, err)
			}
			_, err = tx.ImportJob(ctx, 999999)
			wantCode(t, err, meibo.CodeNotFound)
			_, err = tx.ImportFile(ctx, 999999)
			wantCode(t, err, meibo.CodeNotFound)
			ids := func(f meibo.ImportFilter) string {
				js, err := tx.ImportJobs(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				var s []int64
				for _, j := range js {
					s = append(s, j.ID)
				}
				return fmt.Sprint(s)
			}
			id := func(is ...int) string {
				var s []int64
				for _, i := range is {
					s = append(s, jobs[i].ID)
				}
				return fmt.Sprint(s)
			}
			for _, c := range []struct {
				f    meibo.ImportFilter
				want string
			}{
				{meibo.ImportFilter{}, id(3, 2, 1, 0)},
				{meibo.ImportFilter{GroupIDs: []string{"g1"}}, id(3, 0)},
				{meibo.ImportFilter{GroupIDs: []string{"G2"}, NoGroup: true}, id(2, 1)},
				{meibo.ImportFilter{GroupIDs: []string{}}, "[]"},
				{meibo.ImportFilter{GroupIDs: []string{}, NoGroup: true}, id(2)},
				{meibo.ImportFilter{BeforeID: jobs[2].ID}, id(1, 0)},
				{meibo.ImportFilter{Limit: 1}, id(3)},
			} {
				if got := ids(c.f); got != c.want {
					t.Errorf("ImportJobs(%+v) = %s, want %s", c.f, got, c.want)
				}
			}
			return nil
		})

		// Claims: oldest first, one particular job, none left.
		clock = now.Add(time.Minute)
		claim := func(id int64, worker string) *meibo.ImportJob {
			t.Helper()
			var j *meibo.ImportJob
			update(t, db, func(tx meibo.Tx) error {
				var err error
				if id == 0 {
					j, err = tx.ClaimImportJob(ctx, worker)
				} else {
					j, err = tx.ClaimImportJobID(ctx, id, worker)
				}
				return err
			})
			return j
		}
		j := claim(0, "w1")
		if j == nil || j.ID != jobs[0].ID || j.Status != meibo.ImportRunning || j.Worker != "w1" || j.StartedAt == nil || !j.StartedAt.Equal(clock) ||
			j.HeartbeatAt == nil || !j.HeartbeatAt.Equal(clock) {
			t.Fatalf("first claim %+v", j)
		}
		if j := claim(jobs[0].ID, "w2"); j != nil {
			t.Errorf("a running job was claimed again: %+v", j)
		}
		if j := claim(jobs[2].ID, "w2"); j == nil || j.ID != jobs[2].ID || j.Worker != "w2" {
			t.Errorf("claim by ID: %+v", j)
		}
		if j := claim(0, "w3"); j == nil || j.ID != jobs[1].ID {
			t.Errorf("second claim %+v", j)
		}
		if j := claim(0, "w3"); j == nil || j.ID != jobs[3].ID {
			t.Errorf("third claim %+v", j)
		}
		if j := claim(0, "w3"); j != nil {
			t.Errorf("claim with nothing queued: %+v", j)
		}
		if j := claim(999999, "w3"); j != nil {
			t.Errorf("claim of a missing job: %+v", j)
		}

		// Progress, messages and the end of a job.
		clock = now.Add(10 * time.Minute)
		update(t, db, func(tx meibo.Tx) error {
			j, err := tx.ImportJob(ctx, jobs[1].ID)
			if err != nil {
				return err
			}
			hb := tx.Now()
			j.HeartbeatAt, j.Rows, j.Progress, j.DetectedEncoding = &hb, 40, 0.5, "cp932"
			if err := tx.UpdateImportJob(ctx, j); err != nil {
				return err
			}
			msgs := []meibo.ImportMessage{
				meibo.NewImportMessage(5, "email", meibo.M("email.format"), false),
				meibo.NewImportMessage(2, "name", meibo.M("required"), false),
				meibo.NewImportMessage(0, "", meibo.M("too_long", 3), true),
			}
			if err := tx.AddImportMessages(ctx, j.ID, msgs); err != nil {
				return err
			}
			var many []meibo.ImportMessage
			for i := range 600 {
				many = append(many, meibo.NewImportMessage(1000+i, "password", meibo.M("password.short", 8), false))
			}
			many = append(many, meibo.NewImportMessage(2, "email", meibo.M("email.several"), false))
			return tx.AddImportMessages(ctx, j.ID, many)
		})
		view(t, db, func(tx meibo.Tx) error {
			j, err := tx.ImportJob(ctx, jobs[1].ID)
			if err != nil {
				return err
			}
			if j.Status != meibo.ImportRunning || j.Rows != 40 || j.Progress != 0.5 || j.DetectedEncoding != "cp932" || !j.HeartbeatAt.Equal(clock) {
				t.Errorf("updated job %+v", j)
			}
			ms, err := tx.ImportMessages(ctx, j.ID, 0)
			if err != nil {
				return err
			}
			if len(ms) != 604 {
				t.Fatalf("%d messages", len(ms))
			}
			var order []string
			for _, m := range ms[:5] {
				order = append(order, fmt.Sprintf("%d:%s", m.Row, m.Column))
			}
			if fmt.Sprint(order) != "[0: 2:name 2:email 5:email 1000:password]" {
				t.Errorf("message order %v", order)
			}
			if !ms[0].Warning || ms[1].Warning || ms[2].Text != "Only one e-mail address may be given." || ms[2].TextJA != "メールアドレスは1つだけ指定できます。" {
				t.Errorf("messages %+v", ms[:3])
			}
			if ms, _ := tx.ImportMessages(ctx, j.ID, 2); len(ms) != 2 {
				t.Errorf("limited messages: %d", len(ms))
			}
			if ms, _ := tx.ImportMessages(ctx, jobs[0].ID, 0); ms == nil || len(ms) != 0 {
				t.Errorf("job without messages: %v", ms)
			}
			return nil
		})

		// Stale jobs: job 1 reported at +10 min, jobs 0, 2 and 3 last at +1 min.
		clock = now.Add(20 * time.Minute)
		update(t, db, func(tx meibo.Tx) error {
			j, err := tx.ImportJob(ctx, jobs[3].ID)
			if err != nil {
				return err
			}
			fin := tx.Now()
			j.Status, j.FinishedAt, j.Created = meibo.ImportSuccess, &fin, 5
			return tx.UpdateImportJob(ctx, j)
		})
		var failed []*meibo.ImportJob
		update(t, db, func(tx meibo.Tx) error {
			var err error
			failed, err = tx.FailStaleImports(ctx, now.Add(5*time.Minute), "interrupted")
			return err
		})
		if len(failed) != 2 {
			t.Fatalf("FailStaleImports failed %d jobs", len(failed))
		}
		got := map[int64]bool{}
		for _, j := range failed {
			got[j.ID] = true
			if j.Status != meibo.ImportFailed || j.Message != "interrupted" || j.FinishedAt == nil || !j.FinishedAt.Equal(clock) {
				t.Errorf("failed job %+v", j)
			}
		}
		if !got[jobs[0].ID] || !got[jobs[2].ID] {
			t.Errorf("failed jobs %v, want %d and %d", got, jobs[0].ID, jobs[2].ID)
		}
		view(t, db, func(tx meibo.Tx) error {
			j1, _ := tx.ImportJob(ctx, jobs[1].ID)
			j3, err := tx.ImportJob(ctx, jobs[3].ID)
			if j1.Status != meibo.ImportRunning || j3.Status != meibo.ImportSuccess || j3.Created != 5 {
				t.Errorf("FailStaleImports touched a live or finished job: %s %s", j1.Status, j3.Status)
			}
			return err
		})
	})
}

// TestClaimImportJobConcurrently has several workers claim at once: each job
// is claimed exactly once. On PostgreSQL the claiming transactions are held
// open together, so that a claim that did not skip locked rows would wait.
func TestClaimImportJobConcurrently(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		const jobsN, workers = 24, 4
		update(t, db, func(tx meibo.Tx) error {
			for i := range jobsN {
				if err := tx.CreateImportJob(ctx, &meibo.ImportJob{Format: meibo.FormatUsers, Encoding: "auto", Size: 1, SHA256: "x", CreatedBy: fmt.Sprint(i)}, []byte("x")); err != nil {
					return err
				}
			}
			return nil
		})
		type result struct {
			ids []int64
			err error
		}
		results := make(chan result, workers)
		var stuck atomic.Bool
		// Each round, every worker claims inside an open transaction and
		// waits for the others to have claimed too before committing.
		rounds := make([]chan struct{}, jobsN/workers+1)
		arrived := make([]chan struct{}, len(rounds))
		for i := range rounds {
			rounds[i] = make(chan struct{})
			arrived[i] = make(chan struct{}, workers)
		}
		if engine == "postgres" {
			for i := range rounds {
				go func() {
					for range workers {
						<-arrived[i]
					}
					close(rounds[i])
				}()
			}
		} else {
			for i := range rounds {
				close(rounds[i]) // one writer: transactions cannot overlap
			}
		}
		for w := range workers {
			go func() {
				var r result
				for round := 0; ; round++ {
					var j *meibo.ImportJob
					r.err = db.Update(ctx, func(tx meibo.Tx) error {
						var err error
						j, err = tx.ClaimImportJob(ctx, fmt.Sprint("w", w))
						if round < len(rounds) {
							arrived[round] <- struct{}{}
							// Bounded, so that a claim that blocks
							// on another's locked row fails the test
							// instead of hanging it.
							if !stuck.Load() {
								select {
								case <-rounds[round]:
								case <-time.After(5 * time.Second):
									stuck.Store(true)
								}
							}
						}
						return err
					})
					if r.err != nil || j == nil {
						break
					}
					r.ids = append(r.ids, j.ID)
				}
				results <- r
			}()
		}
		seen := map[int64]int{}
		total := 0
		for range workers {
			r := <-results
			if r.err != nil {
				t.Fatal(r.err)
			}
			for _, id := range r.ids {
				seen[id]++
				total++
			}
		}
		if stuck.Load() {
			t.Error("claiming transactions waited for each other: the claim does not skip locked jobs")
		}
		if total != jobsN || len(seen) != jobsN {
			t.Fatalf("%d claims of %d distinct jobs, want %d each once", total, len(seen), jobsN)
		}
	})
}

// TestImportJobOwnership: a worker's heartbeats and its final write count
// only while the job is RUNNING in its hands; once another process has
// failed it as stale, both report false and write nothing.
func TestImportJobOwnership(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		now := time.Date(2024, 9, 1, 10, 0, 0, 0, time.UTC)
		clock := now
		db := storetest.Open(t, engine, func() time.Time { return clock })
		var a, b *meibo.ImportJob
		update(t, db, func(tx meibo.Tx) error {
			for _, j := range []**meibo.ImportJob{&a, &b} {
				*j = &meibo.ImportJob{Format: meibo.FormatUsers, Encoding: "auto", Size: 3, SHA256: "x", CreatedBy: "alice"}
				if err := tx.CreateImportJob(ctx, *j, []byte("a,b")); err != nil {
					return err
				}
			}
			return nil
		})
		var ok bool
		update(t, db, func(tx meibo.Tx) error {
			var err error
			if a, err = tx.ClaimImportJobID(ctx, a.ID, "w1"); err != nil {
				return err
			}
			return tx.ReplaceImportFile(ctx, a.ID, []byte("redacted"))
		})
		view(t, db, func(tx meibo.Tx) error {
			f, err := tx.ImportFile(ctx, a.ID)
			if string(f) != "redacted" {
				t.Errorf("replaced file %q", f)
			}
			for status, want := range map[meibo.ImportStatus]int64{meibo.ImportRunning: a.ID, meibo.ImportQueued: b.ID} {
				js, err := tx.ImportJobs(ctx, meibo.ImportFilter{Status: status})
				if err != nil || len(js) != 1 || js[0].ID != want {
					t.Errorf("jobs %s: %v, %v", status, js, err)
				}
			}
			return err
		})
		clock = now.Add(time.Minute)
		update(t, db, func(tx meibo.Tx) error {
			var err error
			ok, err = tx.TouchImportJob(ctx, a.ID, "w1", 10, 0.25)
			if !ok || err != nil {
				t.Errorf("heartbeat of the owner: %v, %v", ok, err)
			}
			ok, err = tx.TouchImportJob(ctx, a.ID, "w2", 99, 0.99)
			if ok || err != nil {
				t.Errorf("heartbeat of another worker: %v, %v", ok, err)
			}
			ok, err = tx.TouchImportJob(ctx, b.ID, "w1", 1, 0.1)
			if ok || err != nil {
				t.Errorf("heartbeat of a queued job: %v, %v", ok, err)
			}
			return nil
		})
		view(t, db, func(tx meibo.Tx) error {
			j, err := tx.ImportJob(ctx, a.ID)
			if err == nil && (j.Rows != 10 || j.Progress != 0.25 || !j.HeartbeatAt.Equal(clock)) {
				t.Errorf("after heartbeats %+v", j)
			}
			return err
		})
		// Taken for dead: the owner's late writes change nothing.
		clock = now.Add(time.Hour)
		update(t, db, func(tx meibo.Tx) error {
			failed, err := tx.FailStaleImports(ctx, now.Add(30*time.Minute), "interrupted")
			if len(failed) != 1 || failed[0].ID != a.ID {
				t.Errorf("stale jobs %v", failed)
			}
			return err
		})
		update(t, db, func(tx meibo.Tx) error {
			var err error
			if ok, err = tx.TouchImportJob(ctx, a.ID, "w1", 20, 0.5); ok || err != nil {
				t.Errorf("heartbeat after failure: %v, %v", ok, err)
			}
			fin := tx.Now()
			done := *a
			done.Status, done.FinishedAt, done.Created, done.Worker = meibo.ImportSuccess, &fin, 7, "w1"
			if ok, err = tx.FinishImportJob(ctx, &done); ok || err != nil {
				t.Errorf("finish after failure: %v, %v", ok, err)
			}
			return nil
		})
		view(t, db, func(tx meibo.Tx) error {
			j, err := tx.ImportJob(ctx, a.ID)
			if err == nil && (j.Status != meibo.ImportFailed || j.Created != 0 || j.Message != "interrupted") {
				t.Errorf("a late write changed the failed job: %+v", j)
			}
			return err
		})
		// The owner of a running job finishes it.
		update(t, db, func(tx meibo.Tx) error {
			j, err := tx.ClaimImportJobID(ctx, b.ID, "w3")
			if err != nil {
				return err
			}
			fin := tx.Now()
			j.Status, j.FinishedAt, j.Created = meibo.ImportSuccess, &fin, 3
			if ok, err = tx.FinishImportJob(ctx, j); !ok || err != nil {
				t.Errorf("finish by the owner: %v, %v", ok, err)
			}
			return nil
		})
		view(t, db, func(tx meibo.Tx) error {
			j, err := tx.ImportJob(ctx, b.ID)
			if err == nil && (j.Status != meibo.ImportSuccess || j.Created != 3) {
				t.Errorf("finished job %+v", j)
			}
			return err
		})
	})
}

// TestImportFileChunks: a kept file larger than a chunk is written in
// several and read back whole and chunk by chunk; replacing it leaves no
// chunk of the old one; chunks appended after an empty first one make the
// file of a command-line import.
func TestImportFileChunks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		big := make([]byte, 2*meibo.ImportFileChunk+12345)
		for i := range big {
			big[i] = byte('a' + i%26)
		}
		j := &meibo.ImportJob{Format: meibo.FormatUsers, Encoding: "auto", Size: int64(len(big)), SHA256: "x", CreatedBy: "t"}
		update(t, db, func(tx meibo.Tx) error { return tx.CreateImportJob(ctx, j, big) })
		chunks := func() (n int, joined []byte) {
			view(t, db, func(tx meibo.Tx) error {
				after := -1
				for {
					seq, b, err := tx.ImportFileChunkAfter(ctx, j.ID, after)
					if errors.Is(err, io.EOF) {
						return nil
					}
					if err != nil {
						return err
					}
					if seq <= after || len(b) > meibo.ImportFileChunk {
						t.Errorf("chunk %d after %d holds %d bytes", seq, after, len(b))
					}
					n, joined, after = n+1, append(joined, b...), seq
				}
			})
			return n, joined
		}
		if n, got := chunks(); n != 3 || !bytes.Equal(got, big) {
			t.Errorf("%d chunks of %d bytes, want 3 of the file's %d", n, len(got), len(big))
		}
		if engine == "postgres" {
			// Compressed with lz4 (migration 0027), not the server's pglz.
			var methods string
			if err := db.ReadDB().QueryRowContext(ctx, `SELECT string_agg(DISTINCT pg_column_compression(data), ',') FROM import_files WHERE job_id = $1`, j.ID).Scan(&methods); err != nil {
				t.Fatal(err)
			}
			if methods != "lz4" {
				t.Errorf("the file's chunks are compressed with %q, want lz4", methods)
			}
		}
		view(t, db, func(tx meibo.Tx) error {
			got, err := tx.ImportFile(ctx, j.ID)
			if err != nil {
				return err
			}
			if !bytes.Equal(got, big) {
				t.Errorf("ImportFile: %d bytes, want %d", len(got), len(big))
			}
			return nil
		})
		update(t, db, func(tx meibo.Tx) error { return tx.ReplaceImportFile(ctx, j.ID, []byte("name\r\n")) })
		if n, got := chunks(); n != 1 || string(got) != "name\r\n" {
			t.Errorf("after the replacement: %d chunks %q", n, got)
		}
		k := &meibo.ImportJob{Format: meibo.FormatUsers, Encoding: "auto", Size: 6, SHA256: "y", CreatedBy: "t"}
		update(t, db, func(tx meibo.Tx) error {
			if err := tx.CreateImportJob(ctx, k, nil); err != nil {
				return err
			}
			if err := tx.AppendImportFile(ctx, k.ID, 1, []byte("abc")); err != nil {
				return err
			}
			return tx.AppendImportFile(ctx, k.ID, 2, []byte("def"))
		})
		view(t, db, func(tx meibo.Tx) error {
			got, err := tx.ImportFile(ctx, k.ID)
			if err != nil {
				return err
			}
			if string(got) != "abcdef" {
				t.Errorf("appended file %q, want abcdef", got)
			}
			return nil
		})
	})
}
