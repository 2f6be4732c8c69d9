package meibo

import "time"

// MailStatus is the state of an outbox message.
type MailStatus string

// The outbox statuses.
const (
	MailPending MailStatus = "pending"
	MailSent    MailStatus = "sent"
	MailFailed  MailStatus = "failed"
)

// MailMessage is a message in the outbox, written in the same transaction as
// the change that causes it.
type MailMessage struct {
	ID            int64      `json:"id"`
	Kind          string     `json:"kind"` // invitation, reset, test
	GroupID       string     `json:"group,omitempty"`
	To            string     `json:"to"`
	Subject       string     `json:"subject"`
	Text          string     `json:"text"`
	HTML          string     `json:"html"`
	Status        MailStatus `json:"status"`
	Attempts      int        `json:"attempts"`
	LastError     string     `json:"lastError,omitempty"`
	CreatedAt     time.Time  `json:"createdAt"`
	NextAttemptAt time.Time  `json:"nextAttemptAt"`
	SentAt        *time.Time `json:"sentAt"`
}
