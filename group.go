package meibo

import (
	"regexp"
	"time"
)

// Group is a unit group or app: the isolation boundary. Users, profiles and
// devices belong to exactly one group. Its ID is chosen by an administrator,
// shown to device users and typed by them at sign-in; IDs are unique without
// regard to case.
type Group struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

var groupIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$`)

// CheckGroupID validates a group ID.
func CheckGroupID(id string) error {
	if !groupIDPattern.MatchString(id) {
		return FieldError("id", "group.id.format")
	}
	return nil
}

// Validate checks the group's fields.
func (g *Group) Validate() error {
	var v Validation
	if err := CheckGroupID(g.ID); err != nil {
		v.Add("id", "group.id.format")
	}
	checkText(&v, "name", g.Name, 100, false)
	return v.Err()
}

// Action is a remote action on a device.
type Action string

// The remote actions.
const (
	ActionLock    Action = "lock"
	ActionRing    Action = "ring"
	ActionLocate  Action = "locate"
	ActionMessage Action = "message"
	ActionWipe    Action = "wipe"
)

// AllActions lists every remote action.
var AllActions = []Action{ActionLock, ActionRing, ActionLocate, ActionMessage, ActionWipe}

// Valid reports whether a is a known action.
func (a Action) Valid() bool {
	for _, x := range AllActions {
		if a == x {
			return true
		}
	}
	return false
}

// In names the action for a person in lang ("Lock", 「ロック」), so that
// a message can name it: an Action is a Localized argument.
func (a Action) In(lang Lang) string {
	if !a.Valid() {
		return string(a)
	}
	return M("action.name." + string(a)).In(lang)
}

// DefaultProfileName is the name of the profile every group is created with.
const DefaultProfileName = "default"

// Profile is a named set of what a group's users may do in the personal
// portal. Every group has one default profile that allows everything; it
// cannot be deleted, nor can a profile that users still have.
type Profile struct {
	ID        int64     `json:"id"`
	GroupID   string    `json:"group"`
	Name      string    `json:"name"`
	Actions   []Action  `json:"actions"`
	APIAccess bool      `json:"apiAccess"` // API access may be granted to its users
	Default   bool      `json:"default"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	// MembersVersion counts the users who joined, left or were renamed in
	// the profile, and MembersChangedAt is the time of the latest (nil:
	// none since it was counted): what a SCIM Group's version and
	// lastModified follow.
	MembersVersion   int64      `json:"-"`
	MembersChangedAt *time.Time `json:"-"`
}

// Allows reports whether the profile allows action a.
func (p *Profile) Allows(a Action) bool {
	for _, x := range p.Actions {
		if x == a {
			return true
		}
	}
	return false
}

// Validate checks the profile's fields and normalises its action list to the
// canonical order without duplicates.
func (p *Profile) Validate() error {
	var v Validation
	checkText(&v, "name", p.Name, 64, true)
	seen := map[Action]bool{}
	for _, a := range p.Actions {
		if !a.Valid() {
			v.Add("actions", "profile.action", string(a))
			continue
		}
		seen[a] = true
	}
	if err := v.Err(); err != nil {
		return err
	}
	// A new list: the one given may be shared (AllActions itself, say).
	actions := make([]Action, 0, len(seen))
	for _, a := range AllActions {
		if seen[a] {
			actions = append(actions, a)
		}
	}
	p.Actions = actions
	return nil
}
