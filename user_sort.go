package meibo

// UserSort is an order of a users list. Every order ends with a tie-breaker
// that makes each user's place unique, so that keyset pages neither skip
// nor repeat users.
type UserSort string

// The orders of a users list.
const (
	SortName    UserSort = "name"    // folded name, then name
	SortEmail   UserSort = "email"   // e-mail key (folded e-mail address), then ID
	SortSignIn  UserSort = "signin"  // last sign-in, never first, then ID
	SortCreated UserSort = "created" // creation time, then ID
)

// UserSorts lists the orders in the order they are offered.
var UserSorts = []UserSort{SortName, SortEmail, SortSignIn, SortCreated}

// ParseUserSort reads an order by its name; "" is SortName, and so is an
// unknown name (ok false).
func ParseUserSort(s string) (UserSort, bool) {
	if s == "" {
		return SortName, true
	}
	for _, o := range UserSorts {
		if string(o) == s {
			return o, true
		}
	}
	return SortName, false
}

// UserCountBound is the count up to which a users list's total is exact:
// beyond it the list says "10,000+" rather than count every match.
const UserCountBound = 10_000

// UserOrder is how a UserFilter orders, pages and counts its users.
//
// With Sort SortName (or ""), After and Before may be user names (from the
// previous page, ascending order) as well as cursors of UserPage. With any
// other order they are UserPage's cursors, which are opaque. With a keyword,
// only SortName is offered: the other orders fall back to it (UserPage
// SortedBy says so), since sorting every match of a common keyword by
// another column would read each of them.
type UserOrder struct {
	Sort  UserSort
	Desc  bool // descending
	Last  bool // the last page: the first page of the reverse order, shown in this order
	Count bool // fill UserPage.Total, exact up to UserCountBound
}

// UserPageKeys are a page's cursors and its list's total.
type UserPageKeys struct {
	Next       string   `json:"next,omitempty"` // After of the next page
	Prev       string   `json:"prev,omitempty"` // Before of the previous page
	SortedBy   UserSort `json:"sort"`           // the order applied
	Desc       bool     `json:"desc"`
	Total      int      `json:"total"`      // matches (with Count), at most UserCountBound+1
	TotalExact bool     `json:"totalExact"` // Total is every match; otherwise there are more than UserCountBound
}
