package console

import (
	"time"

	"github.com/meibo/meibo/csvio"
)

// exportName names an export file after what it holds and when, in the
// console's zone: users-G001-20261205-1530.csv, admins-20261205-1530.csv.
func (c *Console) exportName(kind, group string) string {
	return csvio.ExportName(kind, group, time.Now().In(c.loc))
}
