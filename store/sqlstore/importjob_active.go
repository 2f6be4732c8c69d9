package sqlstore

import (
	"context"
	"fmt"
)

// ActiveImports counts the jobs waiting or running of group and of
// createdBy, for the limits on imports at once.
func (t *Tx) ActiveImports(ctx context.Context, group, createdBy string) (inGroup, byCreator int, err error) {
	err = t.queryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN group_id <> '' AND lower(group_id) = lower($1) THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN created_by = $2 THEN 1 ELSE 0 END), 0)
		FROM import_jobs WHERE status IN ('QUEUED', 'RUNNING')`, group, createdBy).Scan(&inGroup, &byCreator)
	if err != nil {
		return 0, 0, fmt.Errorf("count active import jobs: %w", err)
	}
	return inGroup, byCreator, nil
}
