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
	UserID        *int64     `json:"userId,omitempty"`
	Lang          Lang       `json:"lang"`
	To            string     `json:"to"`
	Subject       string     `json:"subject"`
	Text          string     `json:"text"`
	HTML          string     `json:"html"`
	Status        MailStatus `json:"status"`
	Attempts      int        `json:"attempts"`
	LastError     string     `json:"lastError,omitempty"`
	CreatedAt     time.Time  `json:"createdAt"`
	NextAttemptAt time.Time  `json:"nextAttemptAt"`
	GiveUpAt      time.Time  `json:"giveUpAt"`
	SentAt        *time.Time `json:"sentAt"`
	ClaimedBy     string     `json:"-"`
	// LinkExpiresAt is set on a message that carries a password link: the
	// link is minted when the message is handed to the SMTP server, with
	// this expiry, and never stored readable (the text holds a
	// placeholder).
	LinkExpiresAt *time.Time `json:"linkExpiresAt,omitempty"`
}

// Mail kinds.
const (
	MailInvitation = "invitation"
	MailReset      = "reset"
	MailTest       = "test"
)

// MailFilter selects outbox messages, newest first.
type MailFilter struct {
	Status   MailStatus // when set, only these
	GroupIDs []string   // when set, only messages of these groups (department scope)
	BeforeID int64
	Limit    int
}

// UserToken is a single-use link for a user to set a password: an
// invitation or a password reset. Only its hash is stored.
type UserToken struct {
	Hash      string
	UserID    int64
	Purpose   string // MailInvitation or MailReset
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
	RevokedAt *time.Time
}
