package backup

import (
	"encoding/json"
	"reflect"
	"testing"
)

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

func TestRowDecoder(t *testing.T) {
	var d rowDecoder
	var vals []any
	if err := d.decode([]byte(`[9007199254740993,-1.5e3,"a\"\\\n\u00e9\ud83d\ude00",true,false,null]`), &vals); err != nil {
		t.Fatal(err)
	}
	want := []any{json.Number("9007199254740993"), json.Number("-1.5e3"), "a\"\\\né😀", true, false, nil}
	if !reflect.DeepEqual(vals, want) {
		t.Errorf("decoded %#v, want %#v", vals, want)
	}
	for _, bad := range []string{`[1,[2]]`, `[1,{"a":1}]`, `[1] [2]`, `[1]x`, `{"a":1}`, `[1,`, `[1,,2]`, "[\"\xff\"]", ``} {
		vals = vals[:0]
		if err := d.decode([]byte(bad), &vals); err == nil {
			t.Errorf("%q decoded as %#v", bad, vals)
		}
	}
}
