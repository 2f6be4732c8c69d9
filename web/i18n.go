package web

import (
	"fmt"

	"github.com/meibo/meibo"
)

// labels are the words of the pages in both languages. Console and portal
// add theirs with AddLabels at initialisation.
var labels = map[string][2]string{
	"product":             {"meibo", "meibo"},
	"lang.switch":         {"日本語", "English"},
	"password.title":      {"Choose your password", "パスワードの設定"},
	"password.intro":      {"Choose the password for the user %s of the group %s (%s).", "グループ %[3]s(%[2]s)のユーザー %[1]s のパスワードを設定してください。"},
	"password.new":        {"New password", "新しいパスワード"},
	"password.repeat":     {"New password again", "新しいパスワード(確認)"},
	"password.rules":      {"At least 8 characters (up to 128, any script). Avoid common passwords and your own IDs.", "8文字以上(128文字まで、日本語も可)。よく使われるパスワードや自分のIDは使えません。"},
	"password.submit":     {"Set password", "パスワードを設定"},
	"password.mismatch":   {"The two passwords are not the same.", "2つのパスワードが一致しません。"},
	"password.expires":    {"This link works until %s.", "このリンクは %s まで有効です。"},
	"password.done.title": {"Your password is set", "パスワードを設定しました"},
	"password.done.body":  {"You can now sign in with the group ID %s, the user ID %s and your new password.", "グループID %s、ユーザーID %s と新しいパスワードでサインインできます。"},
	"link.invalid.title":  {"This link cannot be used", "このリンクは使用できません"},
	"link.invalid.body":   {"It was used already, replaced by a newer one, or it has expired.", "使用済みか、新しいリンクに置き換えられたか、有効期限が切れています。"},
	"link.invalid.next":   {"Ask for a new link", "新しいリンクを依頼する"},
	"reset.title":         {"Forgot your password?", "パスワードをお忘れですか"},
	"reset.intro":         {"Enter your group ID and user ID. If the account has an e-mail address, we will send it a link to choose a new password.", "グループIDとユーザーIDを入力してください。アカウントにメールアドレスが登録されていれば、新しいパスワードを設定するためのリンクを送信します。"},
	"reset.group":         {"Group ID", "グループID"},
	"reset.user":          {"User ID", "ユーザーID"},
	"reset.submit":        {"Send the link", "リンクを送信"},
	"reset.sent.title":    {"Check your mail", "メールを確認してください"},
	"reset.sent.body":     {"If the group ID and user ID are right and the account has an e-mail address, a link is on its way. It works for a limited time and only once.", "グループIDとユーザーIDが正しく、アカウントにメールアドレスが登録されていれば、リンクを送信しました。リンクは一定時間内に1回だけ使用できます。"},
	"reset.required":      {"Enter both the group ID and the user ID.", "グループIDとユーザーIDの両方を入力してください。"},
	"form.expired":        {"The form had expired; please send it again.", "フォームの有効期限が切れました。もう一度送信してください。"},
	"error.internal":      {"Something went wrong on our side. Please try again.", "エラーが発生しました。もう一度お試しください。"},
	"back.signin":         {"Back to sign-in", "サインインに戻る"},
	"notfound.title":      {"Page not found", "ページが見つかりません"},
	"notfound.body":       {"There is nothing at this address.", "このアドレスにはページがありません。"},
	"field.error.prefix":  {"Error: ", "エラー: "},
}

// AddLabels adds words; meant for package initialisation. A key that exists
// already panics.
func AddLabels(m map[string][2]string) {
	for k, v := range m {
		if _, ok := labels[k]; ok {
			panic("web: label defined twice: " + k)
		}
		labels[k] = v
	}
}

// T returns the label key in lang, formatted with args. A missing label shows
// its key, so that it is seen and fixed.
func T(lang meibo.Lang, key string, args ...any) string {
	l, ok := labels[key]
	if !ok {
		return key
	}
	s := l[0]
	if lang == meibo.Japanese {
		s = l[1]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// TN is T for a text about n of something: key.one when n is 1 and that
// label exists ("1 user", not "1 users"), else key. Japanese counts with a
// counter and needs no .one.
func TN(lang meibo.Lang, key string, n int, args ...any) string {
	if n == 1 {
		if _, ok := labels[key+".one"]; ok {
			return T(lang, key+".one", args...)
		}
	}
	return T(lang, key, args...)
}

// Labels lists every label key (for tests that check both languages).
func Labels() map[string][2]string { return labels }
