package console

import "github.com/meibo/meibo/web"

// The words of bulk actions.
func init() {
	web.AddLabels(map[string][2]string{
		"bulk.title":            {"Bulk action", "一括操作"},
		"bulk.heading":          {"Act on selected users", "選択したユーザーの一括操作"},
		"bulk.page":             {"Select all users on this page", "このページのユーザーをすべて選択"},
		"bulk.row":              {"Select %s", "%s を選択"},
		"bulk.page.all":         {"All users on this page are selected.", "このページのユーザーをすべて選択しました。"},
		"bulk.all":              {"Select all %s users matching", "条件に一致する %s 人をすべて選択"},
		"bulk.all.on":           {"All %s users matching this filter are selected.", "この条件に一致する %s 人をすべて選択しています。"},
		"bulk.clear":            {"Clear selection", "選択を解除"},
		"bulk.action":           {"Action", "操作"},
		"bulk.do.users.disable": {"Disable", "無効にする"},
		"bulk.do.users.enable":  {"Enable", "有効にする"},
		"bulk.do.users.profile": {"Move to profile", "プロファイルを変更"},
		"bulk.do.users.invite":  {"Send invitations", "招待メールを送信"},
		"bulk.do.users.reset":   {"Send password-reset links", "パスワード再設定リンクを送信"},
		"bulk.do.users.signout": {"End sessions", "セッションを終了"},
		"bulk.do.users.delete":  {"Delete", "削除"},
		"bulk.profile.target":   {"Profile to move to", "移動先のプロファイル"},
		"bulk.profile.hint":     {"Only for \"Move to profile\".", "「プロファイルを変更」の場合のみ使用します。"},
		"bulk.continue":         {"Continue…", "次へ…"},
		"bulk.confirm.all":      {"This applies to all %s users matching the filter of the list.", "一覧の条件に一致する %s 人すべてが対象です。"},
		"bulk.confirm.keyword":  {"keyword: %s", "キーワード:%s"},
		"bulk.confirm.ids":      {"This applies to the %s users you selected.", "選択した %s 人が対象です。"},
		"bulk.confirm.hint":     {"A preview (dry run) counts what would change and what would be refused, and writes nothing. The action itself applies to all of them or, if any is refused, to none.", "プレビュー(ドライラン)では、変更される件数と拒否される件数を数えますが、何も書き込みません。操作はすべてに適用されるか、1件でも拒否された場合は何も適用されません。"},
		"bulk.preview":          {"Preview (dry run)", "プレビュー(ドライラン)"},
		"bulk.run":              {"Apply to %s users", "%s 人に適用"},
		"bulk.group.heading":    {"Delete the group and its %s users", "グループとユーザー %s 人を削除"},
		"bulk.group.explain":    {"All %s users of the group are deleted with it, in one job that applies whole or not at all. This cannot be undone.", "グループのユーザー %s 人をグループとともに削除します。1つのジョブで、すべて適用されるか何も適用されないかのどちらかです。元に戻すことはできません。"},
		"bulk.group.confirm":    {"To confirm, type the group ID: %s", "確認のため、グループID %s を入力してください"},
		"bulk.group.submit":     {"Delete the group and its %s users", "グループとユーザー %s 人を削除"},
		"bulk.profile.heading":  {"Move its %s users, then delete it", "ユーザー %s 人を移動して削除"},
		"bulk.profile.explain":  {"The %s users of profile %s move to the profile you choose, then the profile is deleted, in one job.", "プロファイル %[2]s のユーザー %[1]s 人を選択したプロファイルに移動してから、プロファイルを削除します(1つのジョブ)。"},
		"bulk.profile.submit":   {"Move %s users and delete", "ユーザー %s 人を移動して削除"},

		"bulk.download":      {"Download the list of changes (CSV)", "変更一覧のダウンロード(CSV)"},
		"bulk.download.hint": {"One line per user and change: what the job changed, or for a preview what it would change. It never holds a password.", "ユーザーと変更ごとに1行:ジョブが変更した内容(プレビューの場合は変更される内容)です。パスワードは含まれません。"},

		"imp.format.bulk:users.disable":   {"Bulk: disable users", "一括:ユーザーを無効化"},
		"imp.format.bulk:users.enable":    {"Bulk: enable users", "一括:ユーザーを有効化"},
		"imp.format.bulk:users.profile":   {"Bulk: move users to a profile", "一括:プロファイルを変更"},
		"imp.format.bulk:users.invite":    {"Bulk: send invitations", "一括:招待メールを送信"},
		"imp.format.bulk:users.reset":     {"Bulk: send password-reset links", "一括:パスワード再設定リンクを送信"},
		"imp.format.bulk:users.signout":   {"Bulk: end sessions", "一括:セッションを終了"},
		"imp.format.bulk:users.delete":    {"Bulk: delete users", "一括:ユーザーを削除"},
		"imp.format.bulk:devices.command": {"Bulk: send a command to devices", "一括:デバイスにコマンドを送信"},
		"imp.format.bulk:devices.revoke":  {"Bulk: revoke devices", "一括:デバイスを失効"},
	})
}
