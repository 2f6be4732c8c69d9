package meibo

import (
	"context"
	"time"
)

// Store is the storage contract. Every engine implements it with the same
// behaviour; one test suite (store/storetest) holds them to it.
//
// Errors: a missing object is an *Error with CodeNotFound, a unique key taken
// is an *Error with CodeConflict (decided by the driver's error code, never by
// message text); anything else is an internal error wrapped with %w. After a
// Tx method fails, the transaction is spent (PostgreSQL aborts it): fn must
// return the error, never carry on.
type Store interface {
	// View runs fn in a read-only transaction that sees one snapshot.
	View(ctx context.Context, fn func(Tx) error) error
	// Update runs fn in a read-write transaction, committed when fn returns
	// nil and rolled back otherwise. Tx.Now is fixed for the transaction.
	Update(ctx context.Context, fn func(Tx) error) error
	// Engine names the engine: "sqlite" or "postgres".
	Engine() string
	// Listen calls fn with the payload of every notification on channel
	// (see Tx.Notify) from any process sharing the database, until ctx
	// ends. Engines without notifications (SQLite: one server) return nil
	// at once; the process's own notifications are delivered in process.
	Listen(ctx context.Context, channel string, fn func(payload string)) error
	Close() error
}

// Tx is one transaction of a Store.
type Tx interface {
	// Now is the transaction's clock: the same instant for every write of the
	// transaction, in UTC, to the microsecond.
	Now() time.Time
	// Lock serialises, until this transaction ends, every transaction that
	// locks the same resource: "users" before a licence check, "admins"
	// before the last-manager check. Engines with one writer need not act.
	Lock(ctx context.Context, resource string) error
	// Notify sends payload on channel to the listeners of every process
	// sharing the database when the transaction commits (PostgreSQL NOTIFY);
	// a no-op where there are none.
	Notify(ctx context.Context, channel, payload string) error

	Settings(ctx context.Context) (Settings, error)
	PutSettings(ctx context.Context, s Settings) error

	CreateGroup(ctx context.Context, g *Group) error
	// Group finds a group by ID without regard to case.
	Group(ctx context.Context, id string) (*Group, error)
	// Groups lists groups by ID; ids nil means all, ids empty means none.
	Groups(ctx context.Context, ids []string) ([]*Group, error)
	UpdateGroup(ctx context.Context, g *Group) error
	// DeleteGroup deletes a group without users or enrolled devices, with
	// its profiles and its revoked devices.
	DeleteGroup(ctx context.Context, id string) error
	// GroupUsage counts the users and the enrolled (not revoked) devices of
	// a group.
	GroupUsage(ctx context.Context, id string) (users, devices int, err error)

	CreateProfile(ctx context.Context, p *Profile) error
	Profile(ctx context.Context, id int64) (*Profile, error)
	ProfileByName(ctx context.Context, groupID, name string) (*Profile, error)
	Profiles(ctx context.Context, groupID string) ([]*Profile, error)
	UpdateProfile(ctx context.Context, p *Profile) error
	DeleteProfile(ctx context.Context, id int64) error
	ProfileUsers(ctx context.Context, id int64) (int, error)

	// Unhurried lifts, for the rest of the transaction, the time limits a
	// database administrator may have set on the server (PostgreSQL's
	// statement, lock and idle-in-transaction timeouts): for work that is
	// long by nature, an import of millions of rows, a backup, a restore.
	Unhurried(ctx context.Context) error

	// DeferSearchIndex lets the users this transaction creates or renames
	// wait for the keyword index of two characters (see IndexPendingUsers)
	// instead of being indexed one by one: for transactions that write many
	// users. Searches find waiting users all the same.
	DeferSearchIndex(ctx context.Context) error
	// IndexPendingUsers indexes up to max users that wait for the keyword
	// index and returns how many it indexed (0: none waits).
	IndexPendingUsers(ctx context.Context, max int) (int, error)
	// PendingUsers counts the users waiting for the keyword index, up to max.
	PendingUsers(ctx context.Context, max int) (int, error)

	// CreateUsers inserts users (in batches, for imports) and sets their IDs.
	CreateUsers(ctx context.Context, users []*User) error
	User(ctx context.Context, id int64) (*User, error)
	UserByName(ctx context.Context, groupID, name string) (*User, error)
	// UsersByName returns the users of group named in names, by name.
	UsersByName(ctx context.Context, groupID string, names []string) (map[string]*User, error)
	// UsersByFold returns up to limit users of a group whose Fold of the
	// name is one of folds, in name order.
	UsersByFold(ctx context.Context, groupID string, folds []string, limit int) ([]*User, error)
	FindUsers(ctx context.Context, f UserFilter) (*UserPage, error)
	// EachUser calls fn for every user of group in name order, streaming,
	// with the fields a users file carries: ID, group, name, e-mail, profile
	// name and flags (no times, no password hash).
	EachUser(ctx context.Context, groupID string, fn func(*User) error) error
	CountUsers(ctx context.Context, groupID string) (int, error)
	// CountUsersUpTo counts the users of f's group matching its state,
	// admin and profile conditions (not its keyword), stopping at limit.
	CountUsersUpTo(ctx context.Context, f UserFilter, limit int) (int, error)
	// EachUserMatching streams, in ID order and with every field, the
	// users of f's group matching its state, admin and profile conditions
	// (not its keyword); fn must not use the transaction.
	EachUserMatching(ctx context.Context, f UserFilter, fn func(*User) error) error
	// SetUsers writes one change (state or profile) to the users of ids.
	SetUsers(ctx context.Context, ids []int64, set UserSet) error
	// UpdateUsers writes every field of each user but its ID, group and name.
	UpdateUsers(ctx context.Context, users []*User) error
	// ReplacePasswordHash writes hash as user id's password hash if it
	// still is old (the same password hashed anew), and reports whether it
	// was. With hash equal to old it only checks, holding the row to the
	// end of the transaction like any write.
	ReplacePasswordHash(ctx context.Context, id int64, old, hash string) (bool, error)
	DeleteUsers(ctx context.Context, ids []int64) error
	// SetUserSignIn records a successful sign-in.
	SetUserSignIn(ctx context.Context, id int64, at time.Time) error

	// UnifiedCount is the number of unified users (licence count).
	UnifiedCount(ctx context.Context) (int, error)
	// WeakHashCount is the number of users of a group whose password hash
	// is of a weak legacy format (salted SHA).
	WeakHashCount(ctx context.Context, groupID string) (int, error)
	// UnifiedMembers returns how many users each key has now (absent = 0).
	UnifiedMembers(ctx context.Context, keys []UnifiedKey) (map[UnifiedKey]int, error)
	// UnifiedUsers lists unified users in name order after the given key.
	UnifiedUsers(ctx context.Context, after UnifiedKey, limit int) ([]UnifiedUser, error)

	CreateAdmin(ctx context.Context, a *Admin) error
	Admin(ctx context.Context, id int64) (*Admin, error)
	AdminByLoginID(ctx context.Context, loginID string) (*Admin, error)
	// Admins lists every administrator in login ID order.
	Admins(ctx context.Context) ([]*Admin, error)
	// UpdateAdmin writes every field but ID, login ID, GUID and creation.
	UpdateAdmin(ctx context.Context, a *Admin) error
	// ReplaceAdminPasswordHash writes hash as administrator id's password
	// hash if it still is old (the same password hashed anew), and reports
	// whether it was; with hash equal to old, a check (as for users).
	ReplaceAdminPasswordHash(ctx context.Context, id int64, old, hash string) (bool, error)
	DeleteAdmin(ctx context.Context, id int64) error
	SetAdminSignIn(ctx context.Context, id int64, at time.Time) error
	// FactorTx: second factors, sign-in ceremonies, session stages.
	FactorTx

	CreateAPIToken(ctx context.Context, t *APIToken) error
	APIToken(ctx context.Context, hash string) (*APIToken, error)
	TouchAPIToken(ctx context.Context, hash string, at time.Time) error
	DeleteAPIToken(ctx context.Context, hash string) error
	DeleteAdminAPITokens(ctx context.Context, adminID int64) error
	// APITokens lists an administrator's tokens, newest first.
	APITokens(ctx context.Context, adminID int64) ([]*APIToken, error)

	// CreateDevice adds an enrolled device (with the hash of its secret).
	CreateDevice(ctx context.Context, d *Device) error
	Device(ctx context.Context, id int64) (*Device, error)
	// DeviceBySecret finds a device by the hash of its secret.
	DeviceBySecret(ctx context.Context, hash string) (*Device, error)
	Devices(ctx context.Context, f DeviceFilter) ([]*Device, error)
	// UpdateDevice writes an enrolled device's name and user (a revoked
	// device is a conflict).
	UpdateDevice(ctx context.Context, d *Device) error
	// RevokeDevice un-enrols a device (forgetting its secret); false when it
	// was revoked already.
	RevokeDevice(ctx context.Context, id int64, at time.Time) (bool, error)
	// CheckInDevice records a check-in with what the device reported.
	CheckInDevice(ctx context.Context, id int64, st DeviceStatus, at time.Time) error

	CreateEnrolmentToken(ctx context.Context, t *EnrolmentToken) error
	EnrolmentToken(ctx context.Context, hash string) (*EnrolmentToken, error)
	EnrolmentTokens(ctx context.Context, groupID string) ([]*EnrolmentToken, error)
	// UseEnrolmentToken marks a token used by a device, once; false when it
	// was used already.
	UseEnrolmentToken(ctx context.Context, id, deviceID int64, at time.Time) (bool, error)
	DeleteEnrolmentToken(ctx context.Context, id int64) error

	CreateCommand(ctx context.Context, c *Command) error
	Command(ctx context.Context, id int64) (*Command, error)
	Commands(ctx context.Context, f CommandFilter) ([]*Command, error)
	// DeliverCommands hands a device its queued commands that have not
	// expired, marking them delivered, oldest first.
	DeliverCommands(ctx context.Context, deviceID int64, at time.Time) ([]*Command, error)
	// FinishCommand records the result of a delivered command of a device;
	// false when it was not delivered to that device.
	FinishCommand(ctx context.Context, c *Command) (bool, error)
	// CancelCommand cancels a command still queued; false when it was not.
	CancelCommand(ctx context.Context, id int64, at time.Time) (bool, error)
	// CommandsQueuedAfter returns the devices of the commands still queued
	// whose ID is above after, and the largest command ID (after when
	// there is none above it): how a server learns of commands another
	// process queued (meibo device command on a SQLite file).
	CommandsQueuedAfter(ctx context.Context, after int64) (devices []int64, last int64, err error)
	// ExpireCommands marks expired every queued command past its expiry and
	// returns them.
	ExpireCommands(ctx context.Context, at time.Time) ([]*Command, error)

	// CreateSession stores a browser session (by the hash of its secret).
	CreateSession(ctx context.Context, s *Session) error
	Session(ctx context.Context, hash string) (*Session, error)
	// TouchSession records activity of a session.
	TouchSession(ctx context.Context, hash string, at time.Time) error
	DeleteSession(ctx context.Context, hash string) error
	// DeleteSessionsOf ends every session of an administrator (kind
	// console) or a user (kind portal) but the one whose hash is except.
	DeleteSessionsOf(ctx context.Context, kind string, id int64, except string) error
	// DeleteExpired removes sessions whose absolute end or idle limit has
	// passed (not seen since idleBefore), and throttle counters not touched
	// since throttleBefore and no longer blocking; it returns how many.
	DeleteExpired(ctx context.Context, idleBefore, throttleBefore time.Time) (int, error)

	// Throttle reads the failed-attempt counter of key (zero when none).
	Throttle(ctx context.Context, key string) (Throttle, error)
	// PutThrottle writes the counter of key; DeleteThrottle forgets it.
	PutThrottle(ctx context.Context, t Throttle) error
	DeleteThrottle(ctx context.Context, key string) error
	// Throttles lists the counters of keys starting with prefix, most
	// recently changed first, at most limit of them.
	Throttles(ctx context.Context, prefix string, limit int) ([]Throttle, error)

	// CreateMails writes messages to the outbox (pending, due now).
	CreateMails(ctx context.Context, msgs []*MailMessage) error
	Mail(ctx context.Context, id int64) (*MailMessage, error)
	// LatestMail is the newest message of kind to a user (not found when
	// there is none).
	LatestMail(ctx context.Context, userID int64, kind string) (*MailMessage, error)
	Mails(ctx context.Context, f MailFilter) ([]*MailMessage, error)
	// ClaimMails takes up to limit pending messages that are due and not
	// held by another worker, and holds them for worker until leaseUntil.
	// Two workers never hold the same message.
	ClaimMails(ctx context.Context, worker string, leaseUntil time.Time, limit int) ([]*MailMessage, error)
	// FinishMail writes a delivery attempt's outcome (status, attempts, last
	// error, next attempt, sent time) of a message worker holds, and lets it
	// go; false means the worker no longer held it and nothing was written.
	FinishMail(ctx context.Context, m *MailMessage, worker string) (bool, error)
	// FailUserMails fails the pending messages to a user (who was deleted:
	// their links are dead) with reason. A message a worker holds is
	// marked void with reason instead (see HoldMail).
	FailUserMails(ctx context.Context, userID int64, reason string) error
	// HoldMail tells whether worker still holds the pending message id,
	// and the reason it was made void while held ("" when it was not).
	// On PostgreSQL it holds the message's row until the transaction ends.
	HoldMail(ctx context.Context, id int64, worker string) (held bool, void string, err error)
	// FailUsersMails does the same for every user of ids, in a few
	// statements.
	FailUsersMails(ctx context.Context, ids []int64, reason string) error
	// MailBacklog counts the pending messages and tells when the oldest
	// of them was written (zero when none), for monitoring.
	MailBacklog(ctx context.Context) (pending int, oldest time.Time, err error)

	// CreateUserToken stores a single-use link (by hash).
	CreateUserToken(ctx context.Context, t *UserToken) error
	UserToken(ctx context.Context, hash string) (*UserToken, error)
	// UseUserToken marks a token used; false when it was no longer usable
	// (used or revoked meanwhile).
	UseUserToken(ctx context.Context, hash string, at time.Time) (bool, error)
	// RevokeUserTokens revokes every usable token of a user.
	RevokeUserTokens(ctx context.Context, userID int64, at time.Time) error
	// EndUsersAccess ends the portal sessions, revokes the usable password
	// links and deletes the personal API tokens of every user of ids, in a
	// few statements.
	EndUsersAccess(ctx context.Context, ids []int64, at time.Time) error

	AddAudit(ctx context.Context, events ...*AuditEvent) error
	AuditEvents(ctx context.Context, f AuditFilter) ([]*AuditEvent, error)

	// AddBackupLog records a backup or restore as it starts (setting ID).
	// An entry with a Slot claims it: false when another process claimed
	// that slot first, and nothing is written.
	AddBackupLog(ctx context.Context, e *BackupLogEntry) (bool, error)
	// FinishBackupLog records an entry's end: finished, file, size, counts,
	// outcome, error.
	FinishBackupLog(ctx context.Context, e *BackupLogEntry) error
	// BackupLog lists entries newest first, at most limit.
	BackupLog(ctx context.Context, limit int) ([]*BackupLogEntry, error)
	// BackupSettings reads the automatic backups' settings (zero: none).
	BackupSettings(ctx context.Context) (BackupSettings, error)
	PutBackupSettings(ctx context.Context, s BackupSettings) error
	// InstallationID is this database's own identity, made the first time
	// it is asked for (in a transaction that may write); backups leave it
	// out, so a restored copy has its own.
	InstallationID(ctx context.Context) (string, error)

	// CreateImportJob records a job and keeps its file.
	CreateImportJob(ctx context.Context, j *ImportJob, file []byte) error
	ImportJob(ctx context.Context, id int64) (*ImportJob, error)
	ImportJobs(ctx context.Context, f ImportFilter) ([]*ImportJob, error)
	// ImportJobConfirmedBy returns the job that imported (or is importing)
	// the dry run id for real (whose Confirms is id), 0 when none has; a
	// confirmation that failed does not count.
	ImportJobConfirmedBy(ctx context.Context, id int64) (int64, error)
	// AppendImportFile writes chunk seq (0, 1, …) of a job's kept file, for
	// a file written as it is read (CreateImportJob with a nil file writes
	// chunk 0 empty).
	AppendImportFile(ctx context.Context, id int64, seq int, data []byte) error
	// ImportFileChunkAfter returns the chunk of a job's kept file after
	// chunk after (-1: the first) and its seq; io.EOF after the last.
	ImportFileChunkAfter(ctx context.Context, id int64, after int) (int, []byte, error)
	ImportFile(ctx context.Context, id int64) ([]byte, error)
	// ReplaceImportFile replaces the kept file of a job (with a copy without
	// passwords once the job has run).
	ReplaceImportFile(ctx context.Context, id int64, data []byte) error
	// ClaimImportJob moves the oldest QUEUED job to RUNNING for worker and
	// returns it, or returns nil when none waits. Two workers never claim the
	// same job.
	ClaimImportJob(ctx context.Context, worker string) (*ImportJob, error)
	// ClaimImportJobID claims one particular QUEUED job; nil when it is not
	// (or no longer) QUEUED.
	ClaimImportJobID(ctx context.Context, id int64, worker string) (*ImportJob, error)
	// UpdateImportJob writes the job's status, progress, counts and times.
	UpdateImportJob(ctx context.Context, j *ImportJob) error
	// TouchImportJob records a sign of life (heartbeat, rows, progress) of a
	// job that is RUNNING in worker's hands; it reports whether it still is.
	TouchImportJob(ctx context.Context, id int64, worker string, rows int, progress float64) (bool, error)
	// FinishImportJob writes a job's outcome like UpdateImportJob, but only
	// while the job is RUNNING in j.Worker's hands; false means another
	// process has taken it for dead meanwhile and nothing was written.
	FinishImportJob(ctx context.Context, j *ImportJob) (bool, error)
	AddImportMessages(ctx context.Context, jobID int64, msgs []ImportMessage) error
	// AddImportChanges records what a job changed; ImportChanges lists
	// them in row order after seq (0: from the first), at most limit.
	AddImportChanges(ctx context.Context, jobID int64, changes []ImportChange) error
	ImportChanges(ctx context.Context, jobID int64, afterSeq, limit int) ([]ImportChange, error)
	// ActiveImports counts the jobs waiting or running (QUEUED, RUNNING) of
	// group (0 when group is "") and those created by createdBy.
	ActiveImports(ctx context.Context, group, createdBy string) (inGroup, byCreator int, err error)
	// ImportMessages lists a job's errors and warnings in row order; limit
	// 0 means all.
	ImportMessages(ctx context.Context, jobID int64, limit int) ([]ImportMessage, error)
	// FailStaleImports marks FAILED, with message, every RUNNING job whose
	// worker has not reported since before, and returns them.
	FailStaleImports(ctx context.Context, before time.Time, message string) ([]*ImportJob, error)

	ProvisioningTx
	UserQueryTx
}

// Throttle counts recent failed sign-ins of one account or address.
type Throttle struct {
	Key       string
	Failures  int
	NextAt    *time.Time // no attempt before this time
	UpdatedAt time.Time
}
