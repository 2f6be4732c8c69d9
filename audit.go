package meibo

import "time"

// Audit categories decide who may read an event (see the Log Viewer
// sub-authorities).
const (
	CategoryUser   = "user"   // users, imports of users, personal passwords
	CategorySignIn = "signin" // sign-ins and sign-outs
	CategoryConfig = "config" // settings, groups, profiles, administrators
	CategoryDevice = "device" // devices and commands
	CategoryMail   = "mail"   // outbox
	CategoryBackup = "backup" // backup and restore
)

// AuditEvent records who did what to which object, when and from where.
// The actor is kept by name so that history survives deletions; details hold
// before/after values and never secrets.
type AuditEvent struct {
	ID         int64          `json:"id"`
	At         time.Time      `json:"at"`
	ActorKind  string         `json:"actorKind"`
	ActorName  string         `json:"actor"`
	Addr       string         `json:"addr,omitempty"`
	Action     string         `json:"action"` // e.g. user.create
	Category   string         `json:"category"`
	ObjectKind string         `json:"objectKind"`
	ObjectID   string         `json:"objectId"`
	GroupID    string         `json:"group,omitempty"`
	Details    map[string]any `json:"details,omitempty"`
}

// AuditFilter selects audit events, newest first.
type AuditFilter struct {
	Actor      string
	Action     string
	ObjectKind string
	ObjectID   string
	Categories []string // when set, only these
	GroupIDs   []string // when set, only events of these groups
	Since      *time.Time
	Until      *time.Time
	BeforeID   int64
	Limit      int
}
