package meibo

import "time"

// Device belongs to a group and is optionally assigned to one user.
type Device struct {
	ID            int64      `json:"id"`
	GroupID       string     `json:"group"`
	UserID        *int64     `json:"userId"`
	UserName      string     `json:"user"` // filled on read
	Name          string     `json:"name"`
	Platform      string     `json:"platform"`
	Model         string     `json:"model"`
	OSVersion     string     `json:"osVersion"`
	Serial        string     `json:"serial"`
	SecretHash    string     `json:"-"`
	Battery       *int       `json:"battery"`
	Locked        bool       `json:"locked"`
	Location      *Location  `json:"location"`
	EnrolledAt    *time.Time `json:"enrolledAt"`
	LastCheckInAt *time.Time `json:"lastCheckInAt"`
	RevokedAt     *time.Time `json:"revokedAt"`
	CreatedAt     time.Time  `json:"createdAt"`
	UpdatedAt     time.Time  `json:"updatedAt"`
}

// Location is a device's last known position.
type Location struct {
	Latitude  float64   `json:"lat"`
	Longitude float64   `json:"lon"`
	Accuracy  float64   `json:"accuracy"` // metres
	At        time.Time `json:"at"`
}

// EnrolmentToken lets one device enrol into a group, optionally assigned to a
// user. Only its hash is stored.
type EnrolmentToken struct {
	ID      int64  `json:"id"`
	GroupID string `json:"group"`
	UserID  *int64 `json:"userId"`
	// UserName is the name of the user the device will belong to (read
	// with the token; "" for none).
	UserName  string     `json:"user,omitempty"`
	TokenHash string     `json:"-"`
	CreatedBy string     `json:"createdBy"`
	CreatedAt time.Time  `json:"createdAt"`
	ExpiresAt time.Time  `json:"expiresAt"`
	UsedAt    *time.Time `json:"usedAt"`
	DeviceID  *int64     `json:"deviceId"`
}

// CommandStatus is a step of a command's lifecycle:
// queued → delivered → done | failed, or cancelled (or expired) while queued.
type CommandStatus string

// The command statuses.
const (
	CommandQueued    CommandStatus = "queued"
	CommandDelivered CommandStatus = "delivered"
	CommandDone      CommandStatus = "done"
	CommandFailed    CommandStatus = "failed"
	CommandCancelled CommandStatus = "cancelled"
	CommandExpired   CommandStatus = "expired"
)

// Command is a remote action on a device. The requester is kept by name so
// that history survives the requester's deletion.
type Command struct {
	ID            int64         `json:"id"`
	DeviceID      int64         `json:"deviceId"`
	GroupID       string        `json:"group"`
	Action        Action        `json:"action"`
	Message       string        `json:"message,omitempty"`
	Status        CommandStatus `json:"status"`
	RequestedBy   string        `json:"requestedBy"`
	RequesterKind string        `json:"requesterKind"` // admin | user
	Result        string        `json:"result,omitempty"`
	CreatedAt     time.Time     `json:"createdAt"`
	DeliveredAt   *time.Time    `json:"deliveredAt"`
	FinishedAt    *time.Time    `json:"finishedAt"`
	ExpiresAt     time.Time     `json:"expiresAt"`
}

// DeviceFilter selects devices of one group, in name order (then ID).
type DeviceFilter struct {
	GroupID        string
	UserID         *int64 // only the devices of this user
	Keyword        string // in name, serial, model or the user's name (substring, case aside)
	IncludeRevoked bool
	AfterName      string // keyset paging: after (AfterName, AfterID)
	AfterID        int64
	Limit          int
}

// DeviceStatus is what a device reports at a check-in.
type DeviceStatus struct {
	Platform  string    `json:"platform"`
	Model     string    `json:"model"`
	OSVersion string    `json:"osVersion"`
	Battery   *int      `json:"battery"`
	Locked    *bool     `json:"locked"`
	Location  *Location `json:"location"`
}

// CommandFilter selects commands, newest first.
type CommandFilter struct {
	DeviceID  int64
	GroupID   string
	DeviceIDs []int64 // when set, only commands of these devices
	Status    CommandStatus
	BeforeID  int64
	Limit     int
}

// Command expiry: a command no device has taken within this time is expired.
const CommandTTL = 24 * time.Hour

// CheckDeviceName validates a device's name: 1 to 64 characters, no control
// characters.
func CheckDeviceName(name string) error {
	var v Validation
	checkText(&v, "name", name, 64, true)
	return v.Err()
}

// Valid reports whether the status is a final one.
func (s CommandStatus) Final() bool {
	return s == CommandDone || s == CommandFailed || s == CommandCancelled || s == CommandExpired
}
