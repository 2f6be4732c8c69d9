package meibo

import "context"

// UserQuery selects users of one group by conditions that the storage
// answers exactly through its indexes (the SCIM filters an identity
// provider sends: a name, a name's start, an e-mail address, the flags),
// in the byte order of their names, a page at a time. A nil or empty
// condition does not select.
type UserQuery struct {
	GroupID string
	// Name is a name, NamePrefix the start of names, both case-exact.
	Name       *string
	NamePrefix string
	// EmailKey is an e-mail key (EmailKey), EmailKeyPrefix the start of
	// e-mail keys.
	EmailKey       *string
	EmailKeyPrefix string
	// Contains is three characters or more, folded (Fold), anywhere in
	// the folded name or the e-mail key: through the trigram indexes.
	Contains string
	Disabled *bool
	Admin    *bool
	// AfterName continues after the user of this name (a cursor); Offset
	// skips as many matches; Limit bounds the page (0: no bound; the
	// service reads no page at all for a negative one).
	AfterName string
	Offset    int
	Limit     int
	// FromEnd counts Offset and Limit from the end of the name order; the
	// page still comes in name order. A page past the middle of a large
	// group skips fewer users from that end (each costs a step along an
	// index: 500,000 of them, 36–53 ms).
	FromEnd bool
}

// UserQueryTx is the storage of UserQuery.
type UserQueryTx interface {
	// QueryUsers returns the users q selects, in name order.
	QueryUsers(ctx context.Context, q UserQuery) ([]*User, error)
	// CountQueryUsers counts the users q selects (AfterName, Offset and Limit
	// aside). The group's count, without a condition, is kept as users come
	// and go, and costs nothing to read.
	CountQueryUsers(ctx context.Context, q UserQuery) (int, error)
}
