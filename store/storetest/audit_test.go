package storetest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/store/storetest"
)

func TestAuditEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.Open(t, engine, nil)
		t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		// 620 events in one call: more than one batch of 500.
		var evs []*meibo.AuditEvent
		for i := range 620 {
			e := &meibo.AuditEvent{
				At:         t0.Add(time.Duration(i) * time.Minute),
				ActorKind:  meibo.ActorAdmin,
				ActorName:  []string{"alice", "bob"}[i%2],
				Addr:       "192.0.2.1",
				Action:     []string{"user.create", "user.update", "group.update", "admin.signin"}[i%4],
				Category:   []string{meibo.CategoryUser, meibo.CategoryUser, meibo.CategoryConfig, meibo.CategorySignIn}[i%4],
				ObjectKind: "user",
				ObjectID:   fmt.Sprintf("u%d", i%10),
				GroupID:    []string{"G1", "G2", ""}[i%3],
			}
			if i == 5 {
				e.Details = map[string]any{"before": map[string]any{"name": "旧"}, "after": map[string]any{"name": "新"}, "n": 3}
			}
			evs = append(evs, e)
		}
		update(t, db, func(tx meibo.Tx) error { return tx.AddAudit(ctx, evs...) })
		var now time.Time
		update(t, db, func(tx meibo.Tx) error {
			now = tx.Now()
			return tx.AddAudit(ctx, &meibo.AuditEvent{ActorKind: meibo.ActorSystem, ActorName: "meibo", Action: "install", Category: meibo.CategoryConfig, ObjectKind: "admin", ObjectID: "admin"})
		})

		list := func(f meibo.AuditFilter) []*meibo.AuditEvent {
			t.Helper()
			var out []*meibo.AuditEvent
			view(t, db, func(tx meibo.Tx) error {
				var err error
				out, err = tx.AuditEvents(ctx, f)
				return err
			})
			return out
		}
		all := list(meibo.AuditFilter{Limit: 1000})
		if len(all) != 621 {
			t.Fatalf("%d events", len(all))
		}
		for i := 1; i < len(all); i++ {
			if all[i].ID >= all[i-1].ID {
				t.Fatal("events are not newest first")
			}
		}
		if all[0].Action != "install" || !all[0].At.Equal(now) || all[0].Details != nil {
			t.Errorf("newest event %+v (want At = Now when unset)", all[0])
		}
		var five *meibo.AuditEvent
		for _, e := range all {
			if e.At.Equal(t0.Add(5 * time.Minute)) {
				five = e
			}
		}
		if five == nil || five.ActorName != "bob" || five.Addr != "192.0.2.1" || five.Action != "user.update" || five.GroupID != "" ||
			fmt.Sprint(five.Details) != "map[after:map[name:新] before:map[name:旧] n:3]" || five.At.Location() != time.UTC {
			t.Errorf("event 5 = %+v", five)
		}
		if n := len(list(meibo.AuditFilter{})); n != 100 {
			t.Errorf("default limit gave %d", n)
		}
		count := func(f meibo.AuditFilter, want int, what string) {
			t.Helper()
			f.Limit = 1000
			got := list(f)
			if len(got) != want {
				t.Errorf("%s: %d events, want %d", what, len(got), want)
			}
		}
		count(meibo.AuditFilter{Actor: "alice"}, 310, "actor")
		count(meibo.AuditFilter{Action: "group.update"}, 155, "action")
		count(meibo.AuditFilter{ObjectKind: "user", ObjectID: "u3"}, 62, "object")
		count(meibo.AuditFilter{Categories: []string{meibo.CategoryUser, meibo.CategorySignIn}}, 465, "categories")
		count(meibo.AuditFilter{Categories: []string{}}, 0, "no categories")
		count(meibo.AuditFilter{GroupIDs: []string{"G1"}}, 207, "group")
		count(meibo.AuditFilter{GroupIDs: []string{"G1", "G2"}}, 414, "groups")
		count(meibo.AuditFilter{GroupIDs: []string{}}, 0, "no groups")
		since, until := t0.Add(100*time.Minute), t0.Add(200*time.Minute)
		count(meibo.AuditFilter{Since: &since, Until: &until}, 100, "time range")
		jst := until.In(time.FixedZone("JST", 9*3600))
		count(meibo.AuditFilter{Until: &jst}, 200, "time in another zone")
		count(meibo.AuditFilter{BeforeID: all[10].ID}, 610, "before ID")
		count(meibo.AuditFilter{Actor: "alice", Action: "user.create", GroupIDs: []string{"G1"}}, 52, "combined")
		page := list(meibo.AuditFilter{Limit: 7, BeforeID: all[3].ID})
		if len(page) != 7 || page[0].ID != all[4].ID {
			t.Errorf("page before %d starts at %d", all[3].ID, page[0].ID)
		}
	})
}
