package service_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/argon2id"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// BenchmarkBulkDisable disables (then enables, alternately) every one of
// 100,000 users of a group with one bulk action on "all matching", through
// the job as the worker runs it: the selection read through the search,
// every user checked, written in batches, sessions and links ended, the
// list of changes and the audit event, one transaction. No password is
// hashed. It reports users/s.
func BenchmarkBulkDisable(b *testing.B) {
	const n = 100_000
	for _, engine := range storetest.Engines {
		b.Run(engine, func(b *testing.B) { benchBulkDisable(b, engine, n) })
	}
}

func benchBulkDisable(b *testing.B, engine string, n int) {
	svc, ctx := benchService(b, engine, argon2id.Default)
	if _, err := svc.SubmitAndRun(ctx, service.ImportRequest{Format: meibo.FormatUsers, GroupID: "G1"}, usersFile(n, false), nil); err != nil {
		b.Fatal(err)
	}
	actions := []string{service.BulkDisable, service.BulkEnable}
	b.ResetTimer()
	var total time.Duration
	for i := range b.N {
		start := time.Now()
		job := bulkRun(b, svc, ctx, service.BulkRequest{Action: actions[i%2], GroupID: "G1", Filter: &service.BulkFilter{}})
		total += time.Since(start)
		if job.Status != meibo.ImportSuccess || job.Updated != n {
			b.Fatalf("job %+v", job)
		}
	}
	b.ReportMetric(float64(n*b.N)/total.Seconds(), "users/s")
}

func bulkRun(b *testing.B, svc *service.Service, ctx context.Context, req service.BulkRequest) *meibo.ImportJob {
	q, err := svc.SubmitBulk(ctx, req)
	if err != nil {
		b.Fatal(err)
	}
	j, err := svc.RunImport(ctx, q.ID, nil)
	if err != nil {
		b.Fatal(fmt.Errorf("run %s: %w", req.Action, err))
	}
	return j
}
