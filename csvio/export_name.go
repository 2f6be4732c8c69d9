package csvio

import (
	"strings"
	"time"
)

// ExportName names an export file after what it holds and when, at's
// clock reading in its zone (the configured one): users-G001-20261205-1530.csv,
// admins-20261205-1530.csv. A group ID keeps only the characters safe in a
// file name; an empty group leaves it out.
func ExportName(kind, group string, at time.Time) string {
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
	parts = append(parts, at.Format("20060102-1504"))
	return strings.Join(parts, "-") + ".csv"
}
