package console

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/web"
)

// Audit actions by readable names (the code as a detail), offered in
// drop-down filters; and the time zone by its real name.

// auditActionNames are the actions' names for a person.
var auditActionNames = map[string][2]string{
	"admin.create":               {"Administrator added", "管理者の追加"},
	"admin.delete":               {"Administrator deleted", "管理者の削除"},
	"admin.mfa.passkey.add":      {"Passkey added", "パスキーの追加"},
	"admin.mfa.passkey.remove":   {"Passkey removed", "パスキーの削除"},
	"admin.mfa.recovery.new":     {"Recovery codes made", "リカバリーコードの作成"},
	"admin.mfa.recovery.used":    {"Recovery code used", "リカバリーコードの使用"},
	"admin.mfa.reset":            {"Second factors reset", "二要素認証のリセット"},
	"admin.mfa.totp.add":         {"Authenticator app added", "認証アプリの追加"},
	"admin.mfa.totp.remove":      {"Authenticator app removed", "認証アプリの削除"},
	"admin.password":             {"Own password changed", "自分のパスワードの変更"},
	"admin.sessions.end":         {"Administrator signed out everywhere", "管理者の全セッション終了"},
	"admin.signin":               {"Administrator signed in", "管理者のサインイン"},
	"admin.signin.failed":        {"Administrator sign-in failed", "管理者のサインイン失敗"},
	"admin.signin.second":        {"Administrator passed the second step", "管理者の二要素認証"},
	"admin.signin.second.failed": {"Administrator failed the second step", "管理者の二要素認証の失敗"},
	"admin.signin.sso.failed":    {"Single sign-on failed", "シングルサインオンの失敗"},
	"admin.signin.throttled":     {"Administrator sign-in held back", "管理者のサインイン制限"},
	"admin.signout":              {"Administrator signed out", "管理者のサインアウト"},
	"admin.sso.unlink":           {"Single sign-on link removed", "シングルサインオン連携の解除"},
	"admin.update":               {"Administrator changed", "管理者の変更"},
	"audit.export":               {"Audit log saved as CSV", "監査ログのCSV保存"},
	"backup.create":              {"Backup made", "バックアップの作成"},
	"backup.restore":             {"Backup restored", "バックアップのリストア"},
	"backup.settings":            {"Backup schedule changed", "バックアップ設定の変更"},
	"bulk.failed":                {"Bulk action failed", "一括操作の失敗"},
	"bulk.submit":                {"Bulk action submitted", "一括操作の登録"},
	"bulk.success":               {"Bulk action succeeded", "一括操作の成功"},
	"command.cancel":             {"Remote command cancelled", "リモート操作の取り消し"},
	"command.deliver":            {"Remote command delivered", "リモート操作の配信"},
	"command.done":               {"Remote command done", "リモート操作の完了"},
	"command.expire":             {"Remote command expired", "リモート操作の期限切れ"},
	"command.failed":             {"Remote command failed", "リモート操作の失敗"},
	"command.queue":              {"Remote command sent", "リモート操作の送信"},
	"device.enrol":               {"Device enrolled", "デバイスの登録"},
	"device.revoke":              {"Device revoked", "デバイスの登録解除"},
	"device.token.create":        {"Enrolment token made", "登録トークンの作成"},
	"device.token.delete":        {"Enrolment token deleted", "登録トークンの削除"},
	"device.update":              {"Device changed", "デバイスの変更"},
	"export.admins":              {"Administrators exported", "管理者のエクスポート"},
	"export.devices":             {"Devices exported", "デバイスのエクスポート"},
	"export.users":               {"Users exported", "ユーザーのエクスポート"},
	"group.create":               {"Group created", "グループの作成"},
	"group.delete":               {"Group deleted", "グループの削除"},
	"group.update":               {"Group changed", "グループの変更"},
	"import.download":            {"Import file downloaded", "インポートファイルのダウンロード"},
	"import.failed":              {"Import failed", "インポートの失敗"},
	"import.submit":              {"Import submitted", "インポートの登録"},
	"import.success":             {"Import succeeded", "インポートの成功"},
	"install":                    {"Installation created", "インストール"},
	"mail.failed":                {"Mail failed", "メール送信の失敗"},
	"mail.sent":                  {"Mail sent", "メールの送信"},
	"mail.test":                  {"Test mail sent", "テストメールの送信"},
	"portal.signin":              {"User signed in to the portal", "ポータルへのサインイン"},
	"portal.signin.failed":       {"Portal sign-in failed", "ポータルのサインイン失敗"},
	"portal.signin.throttled":    {"Portal sign-in held back", "ポータルのサインイン制限"},
	"profile.create":             {"Profile created", "プロファイルの作成"},
	"profile.delete":             {"Profile deleted", "プロファイルの削除"},
	"profile.update":             {"Profile changed", "プロファイルの変更"},
	"refused.authority":          {"Refused: no authority", "拒否(権限なし)"},
	"refused.scope":              {"Refused: outside the scope", "拒否(範囲外)"},
	"scim.token.create":          {"SCIM token made", "SCIMトークンの作成"},
	"scim.token.revoke":          {"SCIM token revoked", "SCIMトークンの失効"},
	"settings.update":            {"Settings changed", "設定の変更"},
	"signin.lift":                {"Sign-in block lifted", "サインイン制限の解除"},
	"signout":                    {"Signed out", "サインアウト"},
	"token.create":               {"API token made", "APIトークンの作成"},
	"token.revoke":               {"API token revoked", "APIトークンの失効"},
	"user.create":                {"User added", "ユーザーの追加"},
	"user.delete":                {"User deleted", "ユーザーの削除"},
	"user.invite":                {"Invitation sent", "招待の送信"},
	"user.link.issued":           {"Password link issued", "パスワードリンクの発行"},
	"user.password.link":         {"Password set through a link", "リンクによるパスワード設定"},
	"user.password.portal":       {"Password changed in the portal", "ポータルでのパスワード変更"},
	"user.rename":                {"User renamed", "ユーザー名の変更"},
	"user.reset.refused":         {"Password reset refused", "パスワード再設定の拒否"},
	"user.reset.request":         {"Password reset asked for", "パスワード再設定の依頼"},
	"user.reset.send":            {"Password-reset link sent", "パスワードリセットリンクの送信"},
	"user.reset.unknown":         {"Password reset for an unknown user", "不明なユーザーのパスワード再設定"},
	"user.sessions.end":          {"User signed out everywhere", "ユーザーの全セッション終了"},
	"user.token.create":          {"Personal API token made", "個人用APIトークンの作成"},
	"user.token.revoke":          {"Personal API token revoked", "個人用APIトークンの失効"},
	"user.update":                {"User changed", "ユーザーの変更"},
}

// auditKindNames are the object kinds' names for a person.
var auditKindNames = map[string][2]string{
	"admin": {"Administrator", "管理者"}, "audit": {"Audit log", "監査ログ"}, "console": {"Console", "コンソール"},
	"group": {"Group", "グループ"}, "import": {"Import", "インポート"}, "mail": {"Mail", "メール"},
	"profile": {"Profile", "プロファイル"}, "settings": {"Settings", "設定"}, "user": {"User", "ユーザー"},
	"device": {"Device", "デバイス"}, "enrolment": {"Enrolment token", "登録トークン"}, "command": {"Remote command", "リモート操作"},
	"backup": {"Backup", "バックアップ"}, "provider": {"Sign-in provider", "サインインプロバイダー"},
}

func init() {
	m := map[string][2]string{}
	for k, v := range auditActionNames {
		m["audit.act."+k] = v
	}
	for k, v := range auditKindNames {
		m["audit.obj."+k] = v
	}
	m["audit.any"] = [2]string{"Any", "すべて"}
	web.AddLabels(m)
}

// auditOption is a choice of a drop-down filter.
type auditOption struct{ Value, Label string }

// auditOptions lists codes by their names in lang (sorted by name), with
// the chosen one kept even when it is not a known code.
func auditOptions(lang meibo.Lang, names map[string][2]string, prefix, chosen string) []auditOption {
	out := make([]auditOption, 0, len(names)+1)
	for code := range names {
		out = append(out, auditOption{Value: code, Label: web.T(lang, prefix+code)})
	}
	slices.SortFunc(out, func(a, b auditOption) int { return strings.Compare(a.Label, b.Label) })
	if _, ok := names[chosen]; chosen != "" && !ok {
		out = append(out, auditOption{Value: chosen, Label: chosen})
	}
	return out
}

// auditActionLabel is an action's name, or its code when it has none.
func auditActionLabel(lang meibo.Lang, action string) string {
	if _, ok := auditActionNames[action]; ok {
		return web.T(lang, "audit.act."+action)
	}
	return action
}

// zoneName is the name of a time zone for a person: its IANA name, also
// for the machine's own zone ("Local"), read from TZ or /etc/localtime;
// failing that, its abbreviation and offset now.
func zoneName(loc *time.Location) string {
	if name := loc.String(); name != "Local" {
		return name
	}
	if tz := strings.TrimPrefix(os.Getenv("TZ"), ":"); tz != "" && !strings.HasPrefix(tz, "/") {
		return tz
	}
	if target, err := filepath.EvalSymlinks("/etc/localtime"); err == nil {
		if _, name, ok := strings.Cut(target, "zoneinfo/"); ok && name != "" {
			return name
		}
	}
	return time.Now().In(loc).Format("MST (UTC-07:00)")
}
