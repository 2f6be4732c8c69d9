package meibo

import (
	"context"
	"time"
)

// SCIMToken is a long-lived bearer token of an identity provider (Entra ID,
// Okta, Google) for one group's SCIM endpoint. It acts with the authorities
// and department scope of the administrator who made it (none: the command
// line, which acts as the system); its changes are audited under its name.
type SCIMToken struct {
	ID         int64      `json:"id"`
	Hash       string     `json:"-"`
	GroupID    string     `json:"group"`
	Name       string     `json:"name"`
	AdminID    *int64     `json:"adminId"`   // nil: made by the command line
	CreatedBy  string     `json:"createdBy"` // the maker's login ID, kept by name
	CreatedAt  time.Time  `json:"createdAt"`
	ExpiresAt  time.Time  `json:"expiresAt"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
}

// UserIdentity is what an identity provider tells of a user beside the
// user's own fields: its own ID for the user and the parts of the name.
type UserIdentity struct {
	UserID      int64  `json:"-"`
	ExternalID  string `json:"externalId"`
	GivenName   string `json:"givenName"`
	FamilyName  string `json:"familyName"`
	DisplayName string `json:"displayName"`
}

// IsZero reports whether the identity holds nothing.
func (i UserIdentity) IsZero() bool {
	return i.ExternalID == "" && i.GivenName == "" && i.FamilyName == "" && i.DisplayName == ""
}

// PersonalToken is a user's own bearer token for the personal API (users
// with API access only). ID is a short public handle (the start of the
// hash) by which the owner lists and revokes it.
type PersonalToken struct {
	ID         string     `json:"id"`
	Hash       string     `json:"-"`
	UserID     int64      `json:"-"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"createdAt"`
	ExpiresAt  time.Time  `json:"expiresAt"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
}

// PersonalTokenID is the public handle of a token's hash.
func PersonalTokenID(hash string) string {
	if len(hash) < 16 {
		return hash
	}
	return hash[:16]
}

// ProvisioningTx is the storage of provisioning: SCIM tokens, users'
// identities from identity providers, renames and personal tokens.
type ProvisioningTx interface {
	CreateSCIMToken(ctx context.Context, t *SCIMToken) error
	// SCIMToken finds a token by the hash of its secret.
	SCIMToken(ctx context.Context, hash string) (*SCIMToken, error)
	// SCIMTokens lists a group's tokens, newest first.
	SCIMTokens(ctx context.Context, groupID string) ([]*SCIMToken, error)
	TouchSCIMToken(ctx context.Context, id int64, at time.Time) error
	DeleteSCIMToken(ctx context.Context, id int64) error

	// UserIdentities returns the identities of users by user ID (absent:
	// none stored).
	UserIdentities(ctx context.Context, ids []int64) (map[int64]UserIdentity, error)
	// UserIDByExternalID finds a user of a group by its external ID.
	UserIDByExternalID(ctx context.Context, groupID, externalID string) (int64, error)
	// PutUserIdentity writes a user's identity (removing it when zero); an
	// external ID taken by another user of the group is a conflict.
	PutUserIdentity(ctx context.Context, groupID string, id UserIdentity) error
	// RenameUser changes a user's name, keeping the search index and the
	// licence count in step; a name taken in the group is a conflict.
	RenameUser(ctx context.Context, id int64, name string) error

	CreatePersonalToken(ctx context.Context, t *PersonalToken) error
	PersonalToken(ctx context.Context, hash string) (*PersonalToken, error)
	// PersonalTokens lists a user's tokens, newest first.
	PersonalTokens(ctx context.Context, userID int64) ([]*PersonalToken, error)
	TouchPersonalToken(ctx context.Context, hash string, at time.Time) error
	// DeletePersonalToken deletes the token of user with handle id; false
	// when the user has none such.
	DeletePersonalToken(ctx context.Context, userID int64, id string) (bool, error)
	// DeletePersonalTokensOf deletes every personal token of the users.
	DeletePersonalTokensOf(ctx context.Context, userIDs []int64) (int, error)
}
