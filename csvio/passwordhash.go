package csvio

import (
	"errors"
	"strings"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/passhash"
)

func init() { meibo.RegisterMessages(peopleMessages) }

// peopleMessages are about files as people write them: password hashes, spaces
// around passwords, values in columns meibo does not read.
var peopleMessages = map[string][2]string{
	"csv.password.hash.both": {"Both %s and a password hash are given; a row takes one of them.", "%s とパスワードハッシュの両方があります。1行にはどちらか一方だけを書いてください。"},
	"csv.password.hash.unknown": {"The password hash is of no known format. meibo reads bcrypt, argon2id, argon2i, scrypt, PBKDF2 (PHC, Django, Keycloak, Werkzeug), SHA-crypt ($5$, $6$, also after {CRYPT}), Django's argon2$, bcrypt$ and bcrypt_sha256$, and salted SHA ({SSHA}, {SSHA256}, {SSHA512}).",
		"パスワードハッシュの形式を判別できません。対応形式: bcrypt、argon2id、argon2i、scrypt、PBKDF2(PHC、Django、Keycloak、Werkzeug)、SHA-crypt($5$、$6$。{CRYPT} 付きも可)、Django の argon2$・bcrypt$・bcrypt_sha256$、ソルト付きSHA({SSHA}、{SSHA256}、{SSHA512})。"},
	"csv.password.hash.cost": {"The password hash (%s, %s) would take about %s of processor time and %s of memory to check at each sign-in; meibo takes hashes that need at most %s and %s, so that sign-ins cannot stall the server. Hash the password again with lower costs in the other system, or give a password instead.",
		"パスワードハッシュ(%s、%s)は、サインインのたびに確認に約 %s の処理時間と %s のメモリを要します。サインインでサーバーが止まらないよう、meibo が受け付けるのは %s・%s までのハッシュです。元のシステムでより低いコストでハッシュし直すか、代わりにパスワードを指定してください。"},
	"csv.password.hash.malformed": {"The password hash looks like %s but is malformed: %s.", "パスワードハッシュは %s の形式に見えますが、正しくありません: %s。"},
	"csv.admins.email.extra": {"Column %s is not read: meibo keeps one e-mail address per administrator (column 16). The value was ignored; move it to column 16 if it is the one to keep.",
		"列 %s は読み込みません。meibo は管理者ごとにメールアドレスを1つ(16列目)だけ保持します。値は無視しました。残すアドレスであれば16列目に移してください。"},
	"csv.admins.ignored": {"Column %s is a fixed-value column that meibo does not read; its value was ignored. Leave it blank.",
		"列 %s は固定値の列で、meibo は読み込みません。値は無視しました。空欄にしてください。"},
	"csv.password.hash.spaces": {"The password hash begins or ends with a space; delete it.", "パスワードハッシュの先頭または末尾に空白があります。削除してください。"},
}

// badCell reports whether field i (when in the file) holds bytes that are
// not text, already reported.
func badCell(r *Reader, i int) bool { return i >= 0 && r.isBad(i) }

// checkPasswordSpaces refuses a password with spaces around it: the person
// would type it without them and could not sign in, and trimming a secret
// silently is no better.
func checkPasswordSpaces(rec *Record, col, pw string) {
	if pw != "" && strings.TrimSpace(pw) != pw {
		rec.problem(col, "csv.password.spaces")
	}
}

// readHash checks the hash cell of a row (column col; pwCol is the password
// column, exclusive with it) and returns the hash to store, or "" when it
// is blank or refused.
func readHash(rec *Record, col, pwCol, h, pw string) string {
	if h == "" {
		return ""
	}
	if pw != "" {
		rec.problem(col, "csv.password.hash.both", pwCol)
		return ""
	}
	if strings.TrimSpace(h) != h {
		rec.problem(col, "csv.password.hash.spaces")
		return ""
	}
	stored, err := passhash.Check(h)
	var fe *passhash.FormatError
	var ce *passhash.CostError
	switch {
	case errors.As(err, &ce):
		rec.problem(col, "csv.password.hash.cost", ce.Format, ce.Params, ce.Cost.TimeText(), ce.Cost.MemoryText(), passhash.MaxCost.TimeText(), passhash.MaxCost.MemoryText())
		return ""
	case errors.As(err, &fe):
		rec.problem(col, "csv.password.hash.malformed", fe.Format, fe.Reason)
		return ""
	case err != nil:
		rec.problem(col, "csv.password.hash.unknown")
		return ""
	}
	return stored
}
