package storetest_test

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/store/storetest"
)

// TestImportChanges: a job's changes come back in the order they were
// added, numbered from 1 across every call, whole and page by page from
// any point, with every character as written; a job written by an earlier
// version (a row each in import_changes) reads as before.
func TestImportChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		var job, other, legacy *meibo.ImportJob
		update(t, db, func(tx meibo.Tx) error {
			for _, j := range []**meibo.ImportJob{&job, &other, &legacy} {
				*j = &meibo.ImportJob{Format: meibo.FormatUsers, Encoding: "auto", Size: 1, SHA256: "x", CreatedBy: "alice"}
				if err := tx.CreateImportJob(ctx, *j, []byte("x")); err != nil {
					return err
				}
			}
			return nil
		})
		// 1,234 changes in three calls: blocks end inside a call and
		// between calls.
		var want []meibo.ImportChange
		names := []string{"ann", "山田 太郎", `quote " and \ back`, "tab\tand\nline", "<b>&amp;</b>", "𠮷野家", ""}
		for i := range 1234 {
			c := meibo.ImportChange{Seq: i + 1, Row: i + 2, Kind: meibo.ChangeUser, Action: meibo.ChangeCreated,
				Name: names[i%len(names)] + fmt.Sprint(i), Changes: fmt.Sprintf("email: u%d@example.com", i)}
			switch i % 5 {
			case 1:
				c.Action, c.Changes = meibo.ChangeUpdated, "profile: 既定 → 現場; admin: no → yes"
			case 3:
				c.Kind, c.Action, c.Changes = meibo.ChangeAdmin, meibo.ChangeDeleted, ""
			}
			want = append(want, c)
		}
		for _, part := range [][2]int{{0, 1}, {1, 700}, {700, 1234}} {
			update(t, db, func(tx meibo.Tx) error {
				return tx.AddImportChanges(ctx, job.ID, want[part[0]:part[1]])
			})
		}
		update(t, db, func(tx meibo.Tx) error {
			return tx.AddImportChanges(ctx, other.ID, []meibo.ImportChange{{Row: 9, Kind: meibo.ChangeUser, Action: meibo.ChangeDeleted, Name: "other"}})
		})
		list := func(id int64, after, limit int) []meibo.ImportChange {
			t.Helper()
			var got []meibo.ImportChange
			view(t, db, func(tx meibo.Tx) error {
				var err error
				got, err = tx.ImportChanges(ctx, id, after, limit)
				return err
			})
			return got
		}
		check := func(what string, got, want []meibo.ImportChange) {
			t.Helper()
			if len(got) != len(want) {
				t.Errorf("%s: %d changes, want %d", what, len(got), len(want))
				return
			}
			for i := range got {
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Errorf("%s: change %d is %+v, want %+v", what, i, got[i], want[i])
					return
				}
			}
		}
		check("all", list(job.ID, 0, 0), want)
		for _, after := range []int{0, 1, 249, 250, 251, 699, 700, 1000, 1233, 1234, 2000} {
			for _, limit := range []int{0, 1, 50, 250, 251, 2000} {
				end := len(want)
				if limit > 0 {
					end = min(after+limit, len(want))
				}
				check(fmt.Sprintf("after %d, at most %d", after, limit), list(job.ID, after, limit), want[min(after, len(want)):end])
			}
		}
		check("the other job", list(other.ID, 0, 0), []meibo.ImportChange{{Seq: 1, Row: 9, Kind: meibo.ChangeUser, Action: meibo.ChangeDeleted, Name: "other"}})

		// An unknown kind or action is refused, and nothing of the call is kept.
		for _, bad := range []meibo.ImportChange{{Kind: "device", Action: meibo.ChangeCreated}, {Kind: meibo.ChangeUser, Action: "renamed"}} {
			err := db.Update(ctx, func(tx meibo.Tx) error {
				return tx.AddImportChanges(ctx, other.ID, []meibo.ImportChange{{Row: 10, Kind: meibo.ChangeUser, Action: meibo.ChangeCreated, Name: "x"}, bad})
			})
			if err == nil {
				t.Errorf("change %+v was taken", bad)
			}
		}
		if got := list(other.ID, 0, 0); len(got) != 1 {
			t.Errorf("the other job after refused changes: %+v", got)
		}

		// A job of an earlier version: a row each in import_changes.
		if _, err := db.WriteDB().ExecContext(ctx, `INSERT INTO import_changes (job_id, seq, row, kind, action, name, changes)
			VALUES ($1, 1, 2, 'user', 'created', 'ann', 'email: ann@example.com'), ($1, 2, 4, 'admin', 'deleted', 'root', '')`, legacy.ID); err != nil {
			t.Fatal(err)
		}
		old := []meibo.ImportChange{
			{Seq: 1, Row: 2, Kind: meibo.ChangeUser, Action: meibo.ChangeCreated, Name: "ann", Changes: "email: ann@example.com"},
			{Seq: 2, Row: 4, Kind: meibo.ChangeAdmin, Action: meibo.ChangeDeleted, Name: "root"},
		}
		check("a job of an earlier version", list(legacy.ID, 0, 0), old)
		check("a job of an earlier version, after 1", list(legacy.ID, 1, 5), old[1:])
		check("a job of an earlier version, at most 1", list(legacy.ID, 0, 1), old[:1])
	})
}
