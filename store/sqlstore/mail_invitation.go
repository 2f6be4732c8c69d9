package sqlstore

import (
	"context"

	"github.com/meibo/meibo"
)

// LatestMail is the newest message of kind to a user.
func (t *Tx) LatestMail(ctx context.Context, userID int64, kind string) (*meibo.MailMessage, error) {
	return one(ctx, t, scanMail, meibo.NotFound("not_found"), "read outbox",
		`SELECT `+mailCols+` FROM mail_outbox WHERE user_id = $1 AND kind = $2 ORDER BY id DESC LIMIT 1`, userID, kind)
}

// invitationCond is the condition on the users of alias a whose invitation
// is in state: read from their newest invitation in the outbox (by the
// index of migration 0016) and their password.
func invitationCond(arg func(any) string, a string, state meibo.InvitationState, now any) string {
	invited := `EXISTS (SELECT 1 FROM mail_outbox m WHERE m.user_id = ` + a + `.id AND m.kind = 'invitation')`
	switch state {
	case meibo.InvitationNone:
		return "NOT " + invited
	case meibo.InvitationAccepted:
		return invited + " AND " + a + ".password_hash <> ''"
	}
	at := arg(now)
	live := `EXISTS (SELECT 1 FROM mail_outbox m WHERE m.id = (SELECT max(m2.id) FROM mail_outbox m2 WHERE m2.user_id = ` + a + `.id AND m2.kind = 'invitation')
		AND m.status <> 'failed' AND (m.link_expires_at IS NULL OR m.link_expires_at > ` + at + `))`
	if state == meibo.InvitationPending {
		return invited + " AND " + a + ".password_hash = '' AND " + live
	}
	return invited + " AND " + a + ".password_hash = '' AND NOT " + live
}
