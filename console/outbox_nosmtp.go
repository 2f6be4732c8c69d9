package console

import "github.com/meibo/meibo/web"

// The outbox says plainly when no SMTP server is configured: its messages
// wait here and are never sent (handleMails).
func init() {
	web.AddLabels(map[string][2]string{
		"outbox.waits": {"waits for an SMTP server", "SMTP サーバーの設定待ち"},
		"outbox.nosmtp": {"No SMTP server is configured, so nothing here is sent: pending messages wait until one is set (meibo serve --smtp-host, MEIBO_SMTP_HOST). Meanwhile, issue a link from the user's page.",
			"SMTP サーバーが設定されていないため、ここにあるメッセージは送信されません。送信待ちのメッセージは設定されるまで待機します(meibo serve --smtp-host、MEIBO_SMTP_HOST)。それまではユーザーの画面からリンクを発行してください。"},
	})
}
