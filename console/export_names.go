package console

import (
	"strings"
	"time"
)

// exportName names an export file after what it holds and when, in the
// configured zone: users-G001-20261205-1530.csv, admins-20261205-1530.csv.
// A group ID keeps only the characters safe in a file name.
func (c *Console) exportName(kind, group string) string {
	parts := []string{kind}
	if g := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return -1
	}, group); g != "" {
		parts = append(parts, g)
	}
	parts = append(parts, time.Now().In(c.loc).Format("20060102-1504"))
	return strings.Join(parts, "-") + ".csv"
}
