package meibo

import "time"

// ImportStatus is a step of an import job: QUEUED → RUNNING → SUCCESS | FAILED.
type ImportStatus string

// The import job statuses.
const (
	ImportQueued  ImportStatus = "QUEUED"
	ImportRunning ImportStatus = "RUNNING"
	ImportSuccess ImportStatus = "SUCCESS"
	ImportFailed  ImportStatus = "FAILED"
)

// The import formats.
const (
	FormatPersonal = "personal"
	FormatUsers    = "users"
	FormatAdmins   = "admins"
	FormatDevices  = "devices"
)

// ImportJob is one uploaded file and what became of it. A job applies whole
// or not at all: Created, Updated, Deleted and Unchanged count what a
// successful job wrote (or, for a dry run, would write).
type ImportJob struct {
	ID               int64        `json:"id"`
	Format           string       `json:"format"`
	Encoding         string       `json:"encoding"`         // as asked: auto, utf-8, cp932
	DetectedEncoding string       `json:"detectedEncoding"` // as read
	GroupID          string       `json:"group,omitempty"`
	UpdateExisting   bool         `json:"updateExisting"`
	SendInvitations  bool         `json:"sendInvitations"`
	DryRun           bool         `json:"dryRun"`
	FileName         string       `json:"fileName"`
	Size             int64        `json:"size"`
	SHA256           string       `json:"sha256"`
	CreatedBy        string       `json:"createdBy"`
	CreatedAt        time.Time    `json:"createdAt"`
	StartedAt        *time.Time   `json:"startedAt"`
	FinishedAt       *time.Time   `json:"finishedAt"`
	Status           ImportStatus `json:"status"`
	Rows             int          `json:"rows"`     // data rows read so far
	Progress         float64      `json:"progress"` // 0..1 while running
	Created          int          `json:"created"`
	Updated          int          `json:"updated"`
	Deleted          int          `json:"deleted"`
	Unchanged        int          `json:"unchanged"`
	ErrorCount       int          `json:"errorCount"`
	WarningCount     int          `json:"warningCount"`
	Message          string       `json:"message,omitempty"` // job-level outcome, e.g. "interrupted"
	Worker           string       `json:"-"`
	HeartbeatAt      *time.Time   `json:"-"` // last sign of life of the worker running it
	// AllowWeakHashes takes password hashes of weak formats (salted SHA).
	AllowWeakHashes bool `json:"allowWeakHashes,omitempty"`
	// Request is what a bulk action's job runs (service.BulkRequest as
	// JSON), kept so that its preview can be applied as it was asked; ""
	// for an import of a file.
	Request string `json:"-"`
	// Confirms is the dry run (or bulk preview) this job imports for real;
	// 0 for a job submitted directly. A dry run is confirmed at most once.
	Confirms int64 `json:"confirms,omitempty"`
	// ImportedAs is, for a dry run, the job that imported it for real (the
	// job whose Confirms it is); 0 while it has not been. Not stored here:
	// read with the job.
	ImportedAs int64 `json:"importedAs,omitempty"`
	// TotalRows estimates the rows of the file while the job runs here
	// (from the share of it read so far); 0 when unknown. Not stored.
	TotalRows int `json:"totalRows,omitempty"`
}

// ImportMessage is one error or warning of an import job. Row counts records
// as a spreadsheet numbers them (the header is row 1; 0 = the whole file).
type ImportMessage struct {
	JobID   int64  `json:"-"`
	Warning bool   `json:"warning,omitempty"`
	Row     int    `json:"row"`
	Column  string `json:"column"`
	Text    string `json:"message"`   // English
	TextJA  string `json:"messageJa"` // Japanese
}

// NewImportMessage renders m in both languages.
func NewImportMessage(row int, column string, m Msg, warning bool) ImportMessage {
	return ImportMessage{Row: row, Column: column, Text: m.In(English), TextJA: m.In(Japanese), Warning: warning}
}

// ImportFilter selects import jobs, newest first.
type ImportFilter struct {
	Status    ImportStatus // when set, only jobs in this status
	Format    string       // when set, only jobs of this format
	GroupID   string       // when set, only jobs of this group (case aside)
	CreatedBy string       // when set, only jobs submitted by this actor
	From, To  time.Time    // when set, only jobs submitted in [From, To)
	NotFormat string       // when set, no jobs of this format
	GroupIDs  []string     // when set, only jobs of these groups (department scope)
	NoGroup   bool         // with GroupIDs: also include jobs without a group
	BeforeID  int64
	Limit     int
}

// The kinds and actions of the changes a job records.
const (
	ChangeUser    = "user"
	ChangeAdmin   = "admin"
	ChangeCreated = "created"
	ChangeUpdated = "updated"
	ChangeDeleted = "deleted"
)

// ImportChange is one user or administrator a job created, updated or
// deleted, recorded in the job's apply transaction: the row, and what
// changed as "field: before → after" (a password only as "changed").
type ImportChange struct {
	Seq     int    `json:"-"`
	Row     int    `json:"row"`
	Kind    string `json:"kind"`   // ChangeUser, ChangeAdmin
	Action  string `json:"action"` // ChangeCreated, ChangeUpdated, ChangeDeleted
	Name    string `json:"name"`
	Changes string `json:"changes"`
}

// ImportFileChunk is the most one stored piece of a kept import file holds:
// a file is written and read back in pieces of this size (seq 0, 1, …), so
// that none is held whole in memory.
const ImportFileChunk = 4 << 20
