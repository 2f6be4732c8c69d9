package meibo

import (
	"encoding/json"
	"fmt"
)

// Lang is a language that meibo speaks: English or Japanese.
type Lang string

// The languages meibo speaks.
const (
	English  Lang = "en"
	Japanese Lang = "ja"
)

// Msg is a message for a person: a catalogue key and its arguments, rendered in
// either language. Messages are kept as keys (also in the import history) so
// that each reader sees them in their own language.
type Msg struct {
	Key  string `json:"key"`
	Args []any  `json:"args,omitempty"`
}

// M returns the message key with args.
func M(key string, args ...any) Msg { return Msg{Key: key, Args: args} }

// String renders the message in English.
func (m Msg) String() string { return m.In(English) }

// In renders the message in lang; an unknown key renders as the key itself so
// that a missing translation is visible rather than silent.
func (m Msg) In(lang Lang) string {
	t, ok := catalogue[m.Key]
	if !ok {
		if len(m.Args) == 0 {
			return m.Key
		}
		return fmt.Sprint(append([]any{m.Key + ": "}, m.Args...)...)
	}
	format := t.en
	if lang == Japanese && t.ja != "" {
		format = t.ja
	}
	if len(m.Args) == 0 {
		return format
	}
	args := make([]any, len(m.Args))
	for i, a := range m.Args {
		if l, ok := a.(Localized); ok {
			a = l.In(lang)
		}
		args[i] = a
	}
	return fmt.Sprintf(format, args...)
}

// Localized is an argument of a message that renders itself per language,
// such as an authority's label.
type Localized interface {
	In(lang Lang) string
}

// MarshalJSON writes the key and arguments so that a stored message can be
// rendered again later in another language.
func (m Msg) MarshalJSON() ([]byte, error) {
	type plain Msg
	return json.Marshal(plain(m))
}

// HasMessage reports whether key is in the catalogue (used by tests to keep
// every message translated).
func HasMessage(key string) bool { _, ok := catalogue[key]; return ok }

// MessageKeys returns every key of the catalogue.
func MessageKeys() []string {
	keys := make([]string, 0, len(catalogue))
	for k := range catalogue {
		keys = append(keys, k)
	}
	return keys
}

// MessageText returns the raw English and Japanese formats of key.
func MessageText(key string) (en, ja string) {
	t := catalogue[key]
	return t.en, t.ja
}

type text struct{ en, ja string }

// RegisterMessages adds the messages of another package (such as the CSV
// formats) to the catalogue. It is meant for package initialisation only and
// panics on a key that is already taken.
func RegisterMessages(m map[string][2]string) {
	for k, t := range m {
		if _, ok := catalogue[k]; ok {
			panic("meibo: message key registered twice: " + k)
		}
		catalogue[k] = text{en: t[0], ja: t[1]}
	}
}

// catalogue holds every message of the domain in both languages. Formats take
// their arguments in order; the Japanese side uses explicit indexes where the
// word order differs.
var catalogue = map[string]text{
	// Generic.
	"internal":             {"Internal error. The details were logged; please try again or ask the operator.", "内部エラーが発生しました。詳細はログに記録されました。再試行するか、運用担当者に連絡してください。"},
	"invalid":              {"Some values are not valid; see the fields.", "入力内容に誤りがあります。各項目を確認してください。"},
	"bad_request":          {"The request could not be read: %s", "リクエストを読み取れません: %s"},
	"unauthorized":         {"Sign in first: the request carries no valid credentials.", "サインインしてください。有効な認証情報がありません。"},
	"forbidden":            {"You do not have the authority to do this.", "この操作を行う権限がありません。"},
	"forbidden.auth":       {"This needs the authority \"%s\".", "この操作には「%s」の権限が必要です。"},
	"forbidden.department": {"A department administrator cannot create or delete groups; an administrator not limited to departments can.", "部門管理者はグループを作成・削除できません。部門に限定されていない管理者が行えます。"},
	"forbidden.group":      {"You are not an administrator of group %s.", "グループ %s を管理する権限がありません。"},
	"forbidden.admins":     {"Only an administrator with Management Console authority who is not a department administrator may manage administrators.", "管理者を管理できるのは、管理コンソール権限を持ち、部門管理者ではない管理者だけです。"},
	"method_not_allowed":   {"The method %s is not allowed here.", "このURLでは %s メソッドは使用できません。"},
	"not_found":            {"Not found.", "見つかりません。"},
	"too_large":            {"The upload is larger than the limit of %s.", "アップロードが上限 %s を超えています。"},
	"login.failed":         {"The ID or password is not correct.", "IDまたはパスワードが正しくありません。"},
	"login.throttled":      {"Too many attempts. Wait %d seconds and try again.", "試行回数が多すぎます。%d秒待ってから再試行してください。"},
	"login.throttled.one":  {"Too many attempts. Wait %d second and try again.", "試行回数が多すぎます。%d秒待ってから再試行してください。"},
	"required":             {"This is required.", "必須項目です。"},
	"too_long":             {"At most %d characters.", "%d文字以内で入力してください。"},
	"control_chars":        {"Control characters (such as tabs or line breaks) are not allowed.", "タブや改行などの制御文字は使用できません。"},
	"settings.unknown":     {"Unknown setting %q.", "不明な設定 %q です。"},
	"settings.licence":     {"The licence limit must be a whole number of 0 or more (0 means no limit).", "ライセンス上限は0以上の整数で指定してください(0は無制限)。"},
	"settings.language":    {"The mail language must be en or ja.", "メールの言語は en または ja を指定してください。"},
	"settings.encoding":    {"The administrator CSV encoding must be utf-8 or cp932.", "管理者CSVの文字コードは utf-8 または cp932 を指定してください。"},

	// Groups.
	"group.id.format":     {"A group ID is 1 to 32 half-width letters, digits, '-' or '_', starting with a letter or digit.", "グループIDは半角英数字・「-」・「_」の1〜32文字で、英数字で始めてください。"},
	"group.exists":        {"A group with the ID %s already exists.", "グループID %s は既に存在します。"},
	"group.not_found":     {"There is no group with the ID %s.", "グループID %s は存在しません。"},
	"group.not_empty":     {"Group %s still has %d users and %d enrolled devices; delete the users and revoke the devices first.", "グループ %s にはまだユーザーが%d人、登録中のデバイスが%d台あります。先にユーザーを削除し、デバイスを登録解除してください。"},
	"group.required":      {"Choose a group.", "グループを指定してください。"},
	"profile.exists":      {"The group already has a profile named %q.", "このグループには既にプロファイル「%s」があります。"},
	"profile.not_found":   {"There is no profile named %q in this group.", "このグループにプロファイル「%s」はありません。"},
	"profile.in_use":      {"The profile %q is used by %d users and cannot be deleted.", "プロファイル「%s」は%d人のユーザーが使用しているため削除できません。"},
	"profile.default":     {"The default profile cannot be deleted.", "デフォルトのプロファイルは削除できません。"},
	"profile.default.all": {"The default profile allows every action and API access; only its name can change.", "デフォルトのプロファイルはすべての操作とAPIアクセスを許可します。変更できるのは名前だけです。"},
	"profile.action":      {"Unknown action %q; the actions are lock, ring, locate, message and wipe.", "不明な操作「%s」です。指定できるのは lock, ring, locate, message, wipe です。"},
	"profile.api":         {"The profile %q does not allow API access.", "プロファイル「%s」ではAPIアクセスを許可できません。"},

	// Users.
	"user.name.invisible":     {"A user name may not contain invisible characters (here %s): another user would look the same, and no one could type it.", "ユーザー名に見えない文字(%s)は使用できません。他のユーザーと見分けがつかず、入力もできないためです。"},
	"user.name.format":        {"A user name may not contain spaces or control characters.", "ユーザー名に空白や制御文字は使用できません。"},
	"user.exists":             {"The group already has a user named %q.", "このグループには既にユーザー「%s」がいます。"},
	"user.not_found":          {"There is no user named %q in this group.", "このグループにユーザー「%s」はいません。"},
	"users.cursor":            {"%s is not a cursor of this list: take it from a page's links, as it is.", "%s はこの一覧のカーソルではありません。ページのリンクにある値をそのまま使ってください。"},
	"users.cursor.order":      {"%s is a cursor of the list sorted by %s, not by %s: take it from a page of this order, or start again from the first page.", "%s は %s 順の一覧のカーソルです(この一覧は %s 順)。この並び順のページの値を使うか、最初のページからやり直してください。"},
	"user.id.not_found":       {"There is no user with the ID %v in this group.", "このグループに ID %v のユーザーはいません。"},
	"users.exist":             {"Some of these users were created by someone else meanwhile; nothing was changed. Try again.", "これらのユーザーの一部が他の操作で作成されたため、変更は行われませんでした。もう一度実行してください。"},
	"user.name.fixed":         {"A user's name cannot be changed.", "ユーザー名は変更できません。"},
	"email.format":            {"This is not a valid e-mail address.", "メールアドレスの形式が正しくありません。"},
	"email.fullwidth":         {"The address is typed in full-width letters or signs, which mail does not reach: type it in half-width, as %s.", "メールアドレスが全角の文字や記号で入力されています。全角ではメールが届きません。半角で %s のように入力してください。"},
	"email.several":           {"Only one e-mail address may be given.", "メールアドレスは1つだけ指定できます。"},
	"licence.list.department": {"The list of unified users spans every group; a department administrator sees the count only.", "統合ユーザーの一覧はすべてのグループにまたがるため、部門管理者は人数のみ確認できます。"},
	"licence.exceeded":        {"This would make %d users against a licence for %d; nothing was changed.", "ユーザー数が%d人となり、ライセンス数%d人を超えるため、変更は行われませんでした。"},

	// Devices and commands.
	"device.serial.exists":  {"The group already has a device with the serial number %s.", "このグループには既にシリアル番号 %s のデバイスがあります。"},
	"device.not_found":      {"There is no such device.", "そのデバイスはありません。"},
	"device.revoked":        {"The device %s is revoked.", "デバイス %s は登録が解除されています。"},
	"device.enrol.invalid":  {"The enrolment token is not valid: it was used already, has expired or does not exist.", "登録トークンが無効です。使用済みか、有効期限切れか、存在しません。"},
	"device.auth":           {"The device is not enrolled or was revoked; enrol it again.", "デバイスが登録されていないか、登録が解除されています。もう一度登録してください。"},
	"command.action":        {"Your profile does not allow “%s”.", "プロファイルで「%s」の操作は許可されていません。"},
	"command.cancel.admin":  {"An administrator sent this command: only an administrator can cancel it.", "この操作は管理者が送信したため、取り消せるのは管理者だけです。"},
	"command.wipe.pending":  {"A wipe of %s is on its way already: its status is below.", "%s のワイプはすでに送信済みです。状態は下に表示されています。"},
	"action.name.lock":      {"Lock", "ロック"},
	"action.name.ring":      {"Ring", "音を鳴らす"},
	"action.name.locate":    {"Locate", "位置を確認"},
	"action.name.message":   {"Message", "メッセージ"},
	"action.name.wipe":      {"Wipe", "ワイプ"},
	"command.message":       {"A message needs a text of at most 500 characters.", "メッセージには500文字以内の本文が必要です。"},
	"command.wipe.name":     {"Type the device's name exactly to confirm the wipe.", "ワイプを確定するには、デバイス名を正確に入力してください。"},
	"command.wipe.password": {"Your password is not correct.", "パスワードが正しくありません。"},
	"command.not_queued":    {"The command is no longer waiting; it cannot be cancelled.", "このコマンドは既に待機中ではないため、キャンセルできません。"},
	"command.result":        {"A result is done or failed.", "結果は done または failed です。"},
	"portal.failed":         {"The group ID, user ID or password is not correct.", "グループID、ユーザーID、パスワードのいずれかが正しくありません。"},

	// Passwords.
	"password.short":    {"The password is too short: use at least %d characters.", "パスワードが短すぎます。%d文字以上にしてください。"},
	"password.long":     {"The password is too long: use at most %d characters.", "パスワードが長すぎます。%d文字以内にしてください。"},
	"password.common":   {"This password is among the most common ones and would be guessed quickly; choose another.", "このパスワードはよく使われるもので、すぐに推測されます。別のパスワードにしてください。"},
	"password.own_id":   {"The password must not contain the account's user ID, e-mail address (or the part before the @) or group ID.", "パスワードにアカウントのユーザーID、メールアドレス(または @ より前の部分)、グループIDを含めることはできません。"},
	"password.control":  {"The password may not contain control characters such as tabs or line breaks.", "パスワードにタブや改行などの制御文字は使用できません。"},
	"password.repeated": {"A password of one character repeated (spaces too) is guessed at once: use several different characters.", "同じ文字(空白を含む)を繰り返しただけのパスワードはすぐに推測されます。複数の異なる文字を使ってください。"},
	"password.current":  {"Your current password is not correct.", "現在のパスワードが正しくありません。"},
	"password.none":     {"This account has no password and cannot sign in.", "このアカウントにはパスワードがなく、サインインできません。"},

	// Administrators.
	"admin.id.format":             {"An administrator ID is 1 to 64 half-width letters, digits or the symbols . _ - @.", "管理者IDは半角英数字と記号 . _ - @ の1〜64文字で指定してください。"},
	"admin.exists":                {"An administrator with the ID %s already exists.", "管理者ID %s は既に存在します。"},
	"admin.not_found":             {"There is no administrator with the ID %s.", "管理者ID %s は存在しません。"},
	"admin.id.fixed":              {"An administrator's ID cannot be changed.", "管理者IDは変更できません。"},
	"admin.notes.long":            {"Notes may be at most 256 half-width columns (a full-width character counts as 2); this has %d.", "備考は半角256文字(全角128文字)以内です。現在%d桁です。"},
	"admin.last_manager":          {"This would leave no enabled administrator who can manage administrators.", "この変更を行うと、管理者を管理できる有効な管理者がいなくなります。"},
	"admin.builtin.delete":        {"The built-in administrator %s cannot be deleted.", "組み込みの管理者 %s は削除できません。"},
	"admin.backup.fixed":          {"AUTOBACKUPUSER has only the backup restoration authority and cannot sign in.", "AUTOBACKUPUSER はバックアップ・リストア権限のみを持ち、サインインできません。"},
	"admin.self.delete":           {"You cannot delete your own account.", "自分自身は削除できません。"},
	"admin.group.unknown":         {"Unknown group %s in the department groups.", "部門グループに不明なグループ %s が含まれています。"},
	"admin.groups.not_department": {"Groups limit a department administrator only: give the department authority (8) too, or leave the groups out.", "グループは部門管理者の範囲を限定するものです。部門管理者の権限(8)も付与するか、グループを指定しないでください。"},
	"admin.department.none":       {"A department administrator needs at least one group.", "部門管理者には1つ以上のグループを割り当ててください。"},
	"auth.depends":                {"%s (column %d) needs %s (column %d).", "%s(列%d)を設定するには%s(列%d)が必要です。"},
	"auth.depends.many":           {"%s (column %d) needs %s.", "%s(列%d)を設定するには%sが必要です。"},
	"auth.with_column":            {"%s (column %d)", "%s(列%d)"},
	"auth.exclusive":              {"%s (column %d) cannot be combined with other viewing authorities.", "%s(列%d)は他の閲覧権限と同時に設定できません。"},
	"auth.unknown":                {"Unknown authority %q: give its name (such as console) or its column number as text (such as \"6\").", "不明な権限「%s」です。名前(console など)か列番号の文字列(\"6\" など)で指定してください。"},
	"conflict.token":              {"A token collided with another one; try again.", "トークンが重複しました。もう一度実行してください。"},
	"token.disabled":              {"The administrator %s is disabled or cannot sign in; no token was made.", "管理者 %s は無効またはサインインできないため、トークンは作成されませんでした。"},
	"token.invalid":               {"The token is not valid or has expired.", "トークンが無効か、有効期限が切れています。"},
}
