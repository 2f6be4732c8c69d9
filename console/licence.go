package console

import (
	"net/http"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

// licencePageSize is how many unified users one page of the licence lists.
const licencePageSize = 50

func (c *Console) licenceRoutes(a func(string, handler)) {
	a("GET "+Prefix+"/licence", c.handleLicence)
}

// licenceData is the licence count and a page of unified users.
type licenceData struct {
	Licence *service.Licence
	Users   []meibo.UnifiedUser
	Next    *meibo.UnifiedKey // after this key comes the next page
	Paged   bool              // not the first page
	Over    bool              // more unified users than the limit (it was lowered)
	// CanSettings: the administrator may change the limit.
	CanSettings bool
	// CountOnly: a department administrator, who sees the count but not
	// the list, which spans every group.
	CountOnly bool
}

func (c *Console) handleLicence(q *req) {
	l, err := c.svc.Licence(q.ctx)
	if err != nil {
		c.fail(q, err)
		return
	}
	qs := q.r.URL.Query()
	after := meibo.UnifiedKey{Name: qs.Get("afterName"), EmailKey: qs.Get("afterKey")}
	d := licenceData{Licence: l, Paged: after != meibo.UnifiedKey{}, Over: l.Limit > 0 && l.Used > l.Limit,
		CanSettings: q.actor.Authorities.ManagesAdmins(), CountOnly: q.actor.Department()}
	if d.CountOnly {
		c.page(q, http.StatusOK, "licence", "licence.title", d, notice(q))
		return
	}
	// One more than shown tells whether there is a next page.
	users, err := c.svc.UnifiedUsers(q.ctx, after, licencePageSize+1)
	if err != nil {
		c.fail(q, err)
		return
	}
	d.Users = users
	if len(users) > licencePageSize {
		d.Users = users[:licencePageSize]
		d.Next = &d.Users[licencePageSize-1].Key
	}
	c.page(q, http.StatusOK, "licence", "licence.title", d, notice(q))
}
