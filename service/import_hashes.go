package service

import (
	"context"
	"errors"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/csvio"
	"github.com/meibo/meibo/passhash"
)

func init() {
	meibo.RegisterMessages(map[string][2]string{
		"import.hash.weak": {"The password hash is %s, a weak format, taken only when the import allows weak hashes (allowWeakHashes, --allow-weak-hashes); it is replaced at the user's next sign-in.",
			"パスワードハッシュは弱い形式(%s)です。弱いハッシュを許可したインポート(allowWeakHashes、--allow-weak-hashes)でのみ受け付けます。利用者の次回サインイン時に置き換えられます。"},
		"import.hash.weak_count": {"%d users of this group have a password hash of a weak format (salted SHA) until they next sign in; the console lists them under Users, weak password hashes.",
			"このグループの %d 人のユーザーは、次にサインインするまで弱い形式(ソルト付きSHA)のパスワードハッシュのままです。管理画面のユーザー一覧の「弱いパスワードハッシュ」で確認できます。"},
		"user.password.hash_both":      {"Give a password or a password hash, not both.", "パスワードとパスワードハッシュのどちらか一方だけを指定してください。"},
		"user.password.hash_unknown":   {"The password hash is of no known format.", "パスワードハッシュの形式を判別できません。"},
		"user.password.hash_malformed": {"The password hash looks like %s but is malformed: %s.", "パスワードハッシュは %s の形式に見えますが、正しくありません: %s。"},
		"user.password.hash_cost": {"The password hash (%s, %s) would take about %s of processor time and %s of memory to check at each sign-in; meibo takes hashes that need at most %s and %s. Hash the password again with lower costs, or give a password instead.",
			"パスワードハッシュ(%s、%s)は、サインインのたびに確認に約 %s の処理時間と %s のメモリを要します。meibo が受け付けるのは %s・%s までのハッシュです。より低いコストでハッシュし直すか、代わりにパスワードを指定してください。"},
		"user.password.hash_weak": {"The password hash is %s, a weak format, refused here; import it with weak hashes allowed if it must be kept.", "パスワードハッシュは弱い形式(%s)のため受け付けません。どうしても必要な場合は、弱いハッシュを許可してインポートしてください。"},
	})
}

// hashOf is the password hash a record carries, if any.
func hashOf(rec *csvio.Record) string {
	switch {
	case rec.User != nil:
		return rec.User.PasswordHash
	case rec.Personal != nil:
		return rec.Personal.PasswordHash
	}
	return ""
}

// hashAllowed refuses a weak legacy hash (salted SHA) unless the job allows
// weak hashes; it reports whether the row may go on.
func (r *jobRun) hashAllowed(rec *csvio.Record, col, h string) bool {
	if h == "" || !passhash.Weak(h) || r.job.AllowWeakHashes {
		return true
	}
	r.problemAt(rec, col, meibo.M("import.hash.weak", passhash.Identify(h)))
	return false
}

// reportWeakHashes tells, once the rows are written, how many users of the
// group still have a weak hash (when any do).
func (r *jobRun) reportWeakHashes(ctx context.Context, tx meibo.Tx, groupID string, apply bool) error {
	if !apply || !r.job.AllowWeakHashes || r.errors > 0 {
		return nil
	}
	n, err := tx.WeakHashCount(ctx, groupID)
	if err != nil || n == 0 {
		return err
	}
	r.problem(csvio.Problem{Msg: meibo.M("import.hash.weak_count", n), Warning: true})
	return nil
}

// checkHash reads a password hash given through the API or the console for
// a user: the stored form, or an invalid-value error on field
// "passwordHash". Weak formats are refused here: only an import that allows
// them takes them.
func checkHash(h string) (string, error) {
	stored, err := passhash.Check(h)
	if err != nil {
		if ce, ok := errors.AsType[*passhash.CostError](err); ok {
			return "", meibo.FieldError("passwordHash", "user.password.hash_cost", ce.Format, ce.Params, ce.Cost.TimeText(), ce.Cost.MemoryText(), passhash.MaxCost.TimeText(), passhash.MaxCost.MemoryText())
		}
		if fe, ok := err.(*passhash.FormatError); ok {
			return "", meibo.FieldError("passwordHash", "user.password.hash_malformed", fe.Format, fe.Reason)
		}
		return "", meibo.FieldError("passwordHash", "user.password.hash_unknown")
	}
	if passhash.Weak(stored) {
		return "", meibo.FieldError("passwordHash", "user.password.hash_weak", passhash.Identify(stored))
	}
	return stored, nil
}
