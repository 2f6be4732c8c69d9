package csvio

import (
	"strings"
	"testing"

	"github.com/meibo/meibo"
)

// TestPasswordSpacesRefused: the manual's sample row as people type it,
// "User001, abcd1234, ", is an error that names the space; so is a users
// password with a space at its end.
func TestPasswordSpacesRefused(t *testing.T) {
	res := read(t, []byte("UserName, Password, Passcode\r\nUser001, abcd1234, \r\n"), meibo.FormatPersonal, Auto, 0)
	if res.err != nil {
		t.Fatal(res.err)
	}
	checkProblems(t, allProblems(res), want{2, "Password", "csv.password.spaces", false})
	res = read(t, []byte("name,password,email\r\nalice,Tidal-lantern-58 ,\r\nbob,Tidal-lantern-58,\r\n"), meibo.FormatUsers, Auto, 0)
	checkProblems(t, allProblems(res), want{2, "password", "csv.password.spaces", false})
}

// TestPasswordHashColumn reads passwordHash: a users file may leave out
// password then; a row with both, a malformed hash and an unknown one are
// errors; a good hash is kept as it is.
func TestPasswordHashColumn(t *testing.T) {
	good := "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5"
	res := read(t, []byte("name,email,passwordHash\r\nalice,,"+good+"\r\nbob,,$5$salt$short\r\ncarol,,\r\ndave,,md5:abc\r\n"), meibo.FormatUsers, Auto, 0)
	if res.err != nil {
		t.Fatal(res.err)
	}
	checkProblems(t, allProblems(res),
		want{3, "passwordHash", "csv.password.hash.malformed", false},
		want{5, "passwordHash", "csv.password.hash.unknown", false})
	if h := res.records[0].User.PasswordHash; h != good {
		t.Errorf("stored %q", h)
	}
	res = read(t, []byte("name,password,email,passwordHash\r\nalice,Tidal-lantern-58,,"+good+"\r\n"), meibo.FormatUsers, Auto, 0)
	checkProblems(t, allProblems(res), want{2, "passwordHash", "csv.password.hash.both", false})
	// Without either column, the file is refused.
	res = read(t, []byte("name,email\r\nalice,\r\n"), meibo.FormatUsers, Auto, 0)
	if res.err == nil || !strings.Contains(meibo.AsError(res.err).Error(), "password") {
		t.Errorf("a file without password or passwordHash: %v", res.err)
	}
}

// TestRedactHashes: the kept copy of a file has no hashes either.
func TestRedactHashes(t *testing.T) {
	in := "name,password,email,passwordHash\r\nalice,,,$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5\r\n"
	out, ok := Redact([]byte(in), meibo.FormatUsers, Auto)
	if !ok || strings.Contains(string(out), "$5$") {
		t.Errorf("redacted %q, %v", out, ok)
	}
	in = "UserName,Passcode,PasswordHash\r\nUser001,,$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5\r\n"
	out, ok = Redact([]byte(in), meibo.FormatPersonal, Auto)
	if !ok || strings.Contains(string(out), "$5$") {
		t.Errorf("redacted %q, %v", out, ok)
	}
}
