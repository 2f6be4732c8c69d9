package meibo

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// User is a person in a group. Name is the login ID: unique in its group
// (case-sensitive) and immutable after creation.
type User struct {
	ID                int64      `json:"id"`
	GroupID           string     `json:"group"`
	Name              string     `json:"name"`
	Email             string     `json:"email"`
	PasswordHash      string     `json:"-"` // empty: no password, no sign-in
	ProfileID         int64      `json:"profileId"`
	ProfileName       string     `json:"profile"` // filled on read
	Admin             bool       `json:"admin"`
	APIAccess         bool       `json:"apiAccess"`
	Disabled          bool       `json:"disabled"`
	CreatedAt         time.Time  `json:"createdAt"`
	UpdatedAt         time.Time  `json:"updatedAt"`
	PasswordChangedAt *time.Time `json:"passwordChangedAt"`
	LastSignInAt      *time.Time `json:"lastSignInAt"`
}

// HasPassword reports whether the user can sign in with a password.
func (u *User) HasPassword() bool { return u.PasswordHash != "" }

// UserNameMaxLength bounds user names, in characters.
const UserNameMaxLength = 64

// NormalizeName brings a user's name to Unicode NFC, the form meibo keeps
// names in: the same characters typed on different systems make the same
// name (macOS may keep ガ as カ + U+3099, which looks the same and is the
// same text, and would otherwise be a second user of the same name).
func NormalizeName(name string) string { return norm.NFC.String(name) }

// CheckUserName validates a user name: 1 to 64 characters, no spaces and no
// control characters. Any script is allowed.
func CheckUserName(name string) error {
	if name == "" {
		return FieldError("name", "required")
	}
	if utf8.RuneCountInString(name) > UserNameMaxLength {
		return FieldError("name", "too_long", UserNameMaxLength)
	}
	for _, r := range name {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError {
			return FieldError("name", "user.name.format")
		}
	}
	return nil
}

// CheckNewUserName validates the name of a user being made (or renamed):
// CheckUserName, and no invisible formatting character (a zero-width space
// or joiner, a byte order mark, a right-to-left override: Unicode's
// category Cf), with which a second user would look exactly like another
// and could not be typed. Users named so before keep their names.
func CheckNewUserName(name string) error {
	if err := CheckUserName(name); err != nil {
		return err
	}
	for _, r := range name {
		if unicode.Is(unicode.Cf, r) {
			return FieldError("name", "user.name.invisible", fmt.Sprintf("U+%04X", r))
		}
	}
	return nil
}

// Validate checks the user's own fields (not those that need other records,
// such as the profile); a new user's name as CheckNewUserName does.
func (u *User) Validate() error {
	var v Validation
	check := CheckUserName
	if u.ID == 0 {
		check = CheckNewUserName
	}
	if err := v.AddError("name", check(u.Name)); err != nil {
		return err
	}
	if err := v.AddError("email", CheckEmail("email", u.Email)); err != nil {
		return err
	}
	return v.Err()
}

// UnifiedKey identifies a person across groups for licence counting: users
// with the same name and the same e-mail address are one unified user. A user
// without an e-mail address is never unified with another.
type UnifiedKey struct {
	Name     string
	EmailKey string
}

// UnifiedKey returns the user's key for licence counting.
func (u *User) UnifiedKey() UnifiedKey {
	return MakeUnifiedKey(u.GroupID, u.Name, u.Email)
}

// MakeUnifiedKey returns the licence key of a user. Without an e-mail address
// the key holds "@" and the group ID, which no e-mail key can equal, so that
// the user counts alone.
func MakeUnifiedKey(groupID, name, email string) UnifiedKey {
	k := EmailKey(email)
	if k == "" {
		k = "@" + strings.ToLower(groupID)
	}
	return UnifiedKey{Name: name, EmailKey: k}
}

// UnifiedUser is one person for licence counting with the groups they are in.
type UnifiedUser struct {
	Key     UnifiedKey `json:"-"`
	Name    string     `json:"name"`
	Email   string     `json:"email"`
	Members int        `json:"members"`
}

// UserFilter selects users of one group. Keyword matches name, e-mail and
// profile name without regard to case or width: a keyword of two or more
// characters anywhere in them, and so does a single ideograph or kana (a
// Japanese family or given name can be one character); any other single
// character matches at their start. Pages are in
// folded-name order (Fold: case and width aside), users whose names fold
// alike in name order (byte order of both); After and Before are names from
// the previous page (keyset paging on that pair, stable under concurrent
// changes).
type UserFilter struct {
	GroupID   string
	Keyword   string
	UserOrder // sort, direction, last page and total (user_sort.go)
	Disabled  *bool
	Admin     *bool
	ProfileID *int64
	After     string
	Before    string
	Limit     int
	WeakHash  bool // only users whose password hash is of a weak legacy format (salted SHA)
	// Invitation, when set, keeps the users whose invitation is in this
	// state (InvitationPending and the others).
	Invitation InvitationState
}

// UserPage is one page of users.
type UserPage struct {
	Users        []*User `json:"users"`
	HasNext      bool    `json:"hasNext"`
	HasPrev      bool    `json:"hasPrev"`
	UserPageKeys         // cursors and total (user_sort.go)
}

// UserUpdate holds the fields of a user to change; nil leaves a field as it
// is. Name is not here: it never changes.
type UserUpdate struct {
	Email     *string `json:"email"`
	Password  *string `json:"password"`
	Profile   *string `json:"profile"`
	Admin     *bool   `json:"admin"`
	APIAccess *bool   `json:"apiAccess"`
	Disabled  *bool   `json:"disabled"`
	// PasswordHash sets a hash made by another system (bcrypt, Argon2,
	// scrypt, PBKDF2, SHA-crypt), replaced at the next sign-in.
	PasswordHash *string `json:"passwordHash"`
}

// UserSet is one change written to many users at once (a bulk action):
// exactly one field is set.
type UserSet struct {
	Disabled  *bool
	ProfileID *int64
}

// InvitationState is where a user's invitation stands, read from the outbox
// (the newest invitation to the user) and the user's password.
type InvitationState string

// The invitation states.
const (
	InvitationNone     InvitationState = "none"     // never invited
	InvitationPending  InvitationState = "pending"  // invited, no password yet, the link still good
	InvitationAccepted InvitationState = "accepted" // invited, and the password is set
	InvitationExpired  InvitationState = "expired"  // invited, no password, and the link expired or the mail failed
)

// InvitationStates are the states, in the order they are offered.
var InvitationStates = []InvitationState{InvitationPending, InvitationAccepted, InvitationExpired, InvitationNone}
