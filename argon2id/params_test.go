package argon2id

import "testing"

// TestOWASPSettingsAccepted checks that each of OWASP's equivalent minimum
// settings for Argon2id passes Validate, and that settings below them do not.
func TestOWASPSettingsAccepted(t *testing.T) {
	for _, p := range []Params{
		{Memory: 46 * 1024, Time: 1, Threads: 1},
		{Memory: 19 * 1024, Time: 2, Threads: 1},
		{Memory: 12 * 1024, Time: 3, Threads: 1},
		{Memory: 9 * 1024, Time: 4, Threads: 1},
		{Memory: 7 * 1024, Time: 5, Threads: 1},
	} {
		if _, err := New(p); err != nil {
			t.Errorf("m=%d t=%d: %v", p.Memory, p.Time, err)
		}
	}
	for _, p := range []Params{
		{Memory: 7 * 1024, Time: 4, Threads: 1},
		{Memory: 19 * 1024, Time: 1, Threads: 1},
		{Memory: 8 * 1024, Time: 4, Threads: 1},
		{Memory: 6 * 1024, Time: 10, Threads: 1},
	} {
		if _, err := New(p); err == nil {
			t.Errorf("m=%d t=%d accepted", p.Memory, p.Time)
		}
	}
}
