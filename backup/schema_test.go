package backup

import "testing"

func TestNewerSchema(t *testing.T) {
	for _, c := range []struct {
		a, b  string
		newer bool
	}{
		{"0007_backup_log.sql", "0007_backup_log.sql", false},
		{"0008_x.sql", "0007_backup_log.sql", true},
		{"0006_import_bounds.sql", "0007_backup_log.sql", false},
		{"0010_x.sql", "0009_y.sql", true},
		{"0007_other_name.sql", "0007_backup_log.sql", false}, // same number: the same schema, named apart
		{"", "0001_init.sql", false},
	} {
		if got := newerSchema(c.a, c.b); got != c.newer {
			t.Errorf("newerSchema(%q, %q) = %v", c.a, c.b, got)
		}
	}
}
