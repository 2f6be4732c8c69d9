package storetest_test

import (
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/store/sqlstore"
	"github.com/meibo/meibo/store/storetest"
)

// TestPostgresPlans holds PostgreSQL's connections to how they plan: the
// store's statements are sent as the unnamed statement, planned for their
// arguments every time, so that no search is ever run with a generic plan
// blind to its keyword; the server's own plans (foreign-key checks, trigger
// functions) keep their default and are planned once per connection, not
// once per row.
func TestPostgresPlans(t *testing.T) {
	storetest.PostgresDSN(t)
	db := storetest.Open(t, "postgres", nil)
	def := newGroup(t, db, "G1")
	var users []*meibo.User
	for _, n := range []string{"sakura", "sakuya", "taro"} {
		users = append(users, user(def, n, n+"@example.com"))
	}
	addUsers(t, db, users...)
	view(t, db, func(tx meibo.Tx) error {
		// More runs of each statement than PostgreSQL's five custom plans
		// before a generic one.
		for range 8 {
			p, err := tx.FindUsers(ctx, meibo.UserFilter{GroupID: "G1", Keyword: "saku", Limit: 10})
			if err != nil {
				return err
			}
			if len(p.Users) != 2 {
				t.Errorf("saku: %d users, want 2", len(p.Users))
			}
		}
		var mode string
		var named int
		if err := tx.(*sqlstore.Tx).SQLTx().QueryRowContext(ctx, `SELECT current_setting('plan_cache_mode'),
			(SELECT count(*) FROM pg_prepared_statements)`).Scan(&mode, &named); err != nil {
			return err
		}
		if mode != "auto" {
			t.Errorf("plan_cache_mode = %q, want the server's default, auto: forced, every foreign-key check is planned again", mode)
		}
		if named != 0 {
			t.Errorf("%d named prepared statements on the connection, want none: each would get a generic plan after five runs", named)
		}
		return nil
	})
}
