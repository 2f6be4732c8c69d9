package service_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// TestImportSearchIndex: the users an import creates wait for the keyword
// index after its commit, are found by two-character keywords all the same,
// and the server's indexer, woken by the import, indexes every one of them.
func TestImportSearchIndex(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newIxEnv(t, engine)
		e.group("G1")
		var b strings.Builder
		b.WriteString("name,password,email,admin,apiAccess,disabled,profile\r\n")
		const rows = 2_500 // more than one chunk of the indexer
		for i := range rows {
			fmt.Fprintf(&b, "山田太郎%05d,,taro%05d@example.jp,false,false,false,\r\n", i, i)
		}
		e.wantSuccess(e.run(service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1"}, []byte(b.String())), rows, 0, 0, 0)
		pending, err := e.svc.PendingSearchIndex(e.sys, rows+1)
		e.must(err)
		if pending != rows {
			t.Fatalf("%d users waiting for the index after the import, want %d", pending, rows)
		}
		find := func(kw string) int {
			t.Helper()
			p, err := e.svc.FindUsers(e.sys, meibo.UserFilter{GroupID: "G1", Keyword: kw, Limit: 50, UserOrder: meibo.UserOrder{Count: true}})
			e.must(err)
			if len(p.Users) != 50 || p.Users[0].Name != "山田太郎00000" {
				t.Fatalf("%q: first page %d users from %v", kw, len(p.Users), p.Users[:min(1, len(p.Users))])
			}
			return p.Total
		}
		before := find("太郎")

		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			e.svc.RunSearchIndexer(ctx)
		}()
		defer func() { cancel(); <-done }()
		deadline := time.Now().Add(time.Minute)
		for {
			n, err := e.svc.PendingSearchIndex(e.sys, 1)
			e.must(err)
			if n == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("users still waiting for the index after a minute")
			}
			time.Sleep(20 * time.Millisecond)
		}
		if after := find("太郎"); after != before {
			t.Errorf("太郎: total %d after indexing, %d before", after, before)
		}
		if got := find("田"); got != before {
			t.Errorf("田: total %d, want %d", got, before)
		}
	})
}
