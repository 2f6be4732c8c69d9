package csvio

import (
	"math"
	"testing"
)

// The largest limit there is reads a file like no limit at all (the command
// line passes it when no --import-max-bytes is given).
func TestLimitMaxInt64(t *testing.T) {
	data := []byte("name,password,email\r\nann,,\r\nbob,,\r\n")
	res := read(t, data, "users", UTF8, math.MaxInt64)
	if res.err != nil || len(res.records) != 2 {
		t.Fatalf("%v, %d records", res.err, len(res.records))
	}
}
