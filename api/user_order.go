package api

import (
	"fmt"
	"net/http"

	"github.com/meibo/meibo"
)

// userOrder reads a users list's order from the query: sort (name, email,
// signin, created), order (asc, desc) and last (true: the last page). The
// answer always holds the total, exact up to meibo.UserCountBound.
func userOrder(r *http.Request) (meibo.UserOrder, error) {
	q := r.URL.Query()
	o := meibo.UserOrder{Count: true}
	var ok bool
	if o.Sort, ok = meibo.ParseUserSort(q.Get("sort")); !ok {
		return o, meibo.Errorf(meibo.CodeBadRequest, "bad_request", fmt.Sprintf("sort must be one of %v", meibo.UserSorts))
	}
	switch q.Get("order") {
	case "", "asc":
	case "desc":
		o.Desc = true
	default:
		return o, meibo.Errorf(meibo.CodeBadRequest, "bad_request", "order must be asc or desc")
	}
	last, err := queryBool(r, "last")
	if err != nil {
		return o, err
	}
	o.Last = last != nil && *last
	return o, nil
}

func orderName(desc bool) string {
	if desc {
		return "desc"
	}
	return "asc"
}
