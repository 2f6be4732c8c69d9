package console

import (
	"github.com/meibo/meibo"
	"github.com/meibo/meibo/web"
)

// The words of the Backup and backup log pages.
func init() {
	meibo.RegisterMessages(map[string][2]string{
		"backup.confirm": {"Type %s to confirm that the installation is to be replaced.", "インストールを置き換えることを確認するため、%s と入力してください。"},
	})
	web.AddLabels(map[string][2]string{
		"signin.restored":           {"The installation was restored from a backup and everyone was signed out. Sign in again.", "バックアップからリストアされ、全員がサインアウトされました。もう一度サインインしてください。"},
		"nav.backup":                {"Backup", "バックアップ"},
		"nav.backuplog":             {"Backup log", "バックアップログ"},
		"backup.title":              {"Backup and restore", "バックアップとリストア"},
		"backup.now":                {"Back up now", "今すぐバックアップ"},
		"backup.now.hint":           {"Downloads one file holding the whole installation: users with their password hashes, administrators, devices, history and settings. Guard it like the database.", "インストール全体 (パスワードハッシュを含むユーザー、管理者、デバイス、履歴、設定) を1つのファイルとしてダウンロードします。データベースと同じように厳重に保管してください。"},
		"backup.download":           {"Download a backup", "バックアップをダウンロード"},
		"backup.failed":             {"The backup failed.", "バックアップに失敗しました。"},
		"backup.restore":            {"Restore", "リストア"},
		"backup.restore.warning":    {"Restoring replaces this whole installation with the file's contents: everything changed since the backup is lost, and everyone is signed out, you too. Files up to %s can be uploaded here; larger ones are restored with meibo restore.", "リストアすると、このインストール全体がファイルの内容に置き換わります。バックアップ以降の変更はすべて失われ、あなたを含む全員がサインアウトされます。ここでアップロードできるのは %s までです。それより大きいファイルは meibo restore で復元してください。"},
		"backup.file":               {"Backup file", "バックアップファイル"},
		"backup.confirm.label":      {"Type %s to confirm", "確認のため %s と入力"},
		"backup.restore.submit":     {"Replace this installation", "このインストールを置き換える"},
		"backup.schedule":           {"Automatic backups", "自動バックアップ"},
		"backup.schedule.hint":      {"Made by AUTOBACKUPUSER on the server into the folder; the oldest files past the number to keep are removed. Leave the schedule blank to turn them off.", "AUTOBACKUPUSER がサーバー上のフォルダーに作成します。保持数を超えた古いファイルは削除されます。スケジュールを空にすると停止します。"},
		"backup.schedule.when":      {"Schedule", "スケジュール"},
		"backup.schedule.example":   {"\"daily 02:30\" (in the server's time zone) or \"every 6 h\"", "「daily 02:30」(サーバーのタイムゾーン) または「every 6 h」"},
		"backup.dir.label":          {"Folder on the server", "サーバー上のフォルダー"},
		"backup.keep.label":         {"Files to keep", "保持するファイル数"},
		"done.backup.saved":         {"The automatic backups were saved.", "自動バックアップの設定を保存しました。"},
		"backuplog.title":           {"Backup log", "バックアップログ"},
		"backuplog.none":            {"No backup or restore yet.", "バックアップとリストアの記録はまだありません。"},
		"backuplog.started":         {"Started", "開始"},
		"backuplog.finished":        {"Finished", "終了"},
		"backuplog.kind":            {"Kind", "種類"},
		"backuplog.kind.backup":     {"Backup", "バックアップ"},
		"backuplog.kind.restore":    {"Restore", "リストア"},
		"backuplog.via":             {"How", "方法"},
		"backuplog.via.manual":      {"by hand", "手動"},
		"backuplog.via.scheduled":   {"scheduled", "スケジュール"},
		"backuplog.actor":           {"Who", "実行者"},
		"backuplog.file":            {"File", "ファイル"},
		"backuplog.size":            {"Size (bytes)", "サイズ (バイト)"},
		"backuplog.rows":            {"Rows", "行数"},
		"backuplog.outcome":         {"Outcome", "結果"},
		"backuplog.outcome.ok":      {"Done", "成功"},
		"backuplog.outcome.failed":  {"Failed", "失敗"},
		"backuplog.outcome.running": {"Running", "実行中"},
	})
}
