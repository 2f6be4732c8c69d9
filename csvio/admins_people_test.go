package csvio

import (
	"strings"
	"testing"

	"github.com/meibo/meibo"
)

// adminLine is a new-administrator row with values set by column number.
func adminLine(set map[int]string) string {
	f := make([]string, AdminColumns)
	for i := range f {
		f[i] = " "
	}
	for _, c := range adminAuthorityColumns {
		f[c-1] = "0"
	}
	f[1], f[2], f[14], f[5] = "sato", "Tidal-lantern-58", "Sato", "1"
	for c, v := range set {
		f[c-1] = v
	}
	return `"` + strings.Join(f, `","`) + `"` + "\r\n"
}

// TestAdminsAsPeopleWriteThem: a value in a column meibo ignores (e-mail
// addresses 2–5, fixed-value columns) is a warning naming the column; a
// character Shift_JIS cannot hold, in any text field, is an error, since
// the export could not write it.
func TestAdminsAsPeopleWriteThem(t *testing.T) {
	title := `"` + strings.Join(adminTitles[:], `","`) + `"` + "\r\n"
	data := title +
		adminLine(map[int]string{17: "sato2@example.com", 20: "sato5@example.com"}) +
		adminLine(map[int]string{2: "suzuki", 9: "1", 38: "x"}) +
		adminLine(map[int]string{2: "tanaka", 44: "sushi 🍣 lover"}) +
		adminLine(map[int]string{2: "kato", 15: "𠮷田"}) +
		adminLine(map[int]string{2: "ito", 15: "伊藤〜", 44: "WAVE DASH 〜 and ¥ are written as CP932 has them"})
	res := read(t, []byte(data), meibo.FormatAdmins, UTF8, 0)
	if res.err != nil {
		t.Fatal(res.err)
	}
	checkProblems(t, allProblems(res),
		want{2, "17 (E-mail address 2)", "csv.admins.email.extra", true},
		want{2, "20 (E-mail address 5)", "csv.admins.email.extra", true},
		want{3, "9 (Access authority 6)", "csv.admins.ignored", true},
		want{3, "38 (Authority_Management Console 8)", "csv.admins.ignored", true},
		want{4, "44 (Notes)", "text.cp932", false},
		want{5, "15 (Name)", "text.cp932", false},
	)
}
