package console

import (
	"net/http"

	"github.com/meibo/meibo"
)

type homeData struct {
	Groups   []*meibo.Group
	Imports  []*meibo.ImportJob
	Licence  any
	FirstRun *firstRunData
}

// handleHome shows what the administrator may reach: their groups, the
// latest imports and the licence.
func (c *Console) handleHome(q *req) {
	var d homeData
	if can(q.actor, meibo.AuthConsole) {
		groups, err := c.svc.Groups(q.ctx)
		if err != nil {
			c.fail(q, err)
			return
		}
		d.Groups = groups
	}
	if can(q.actor, meibo.AuthConsole, meibo.AuthImport) {
		jobs, err := c.svc.ImportJobs(q.ctx, meibo.ImportFilter{Limit: 5})
		if err != nil {
			c.fail(q, err)
			return
		}
		d.Imports = jobs
	}
	if l, err := c.svc.Licence(q.ctx); err == nil {
		d.Licence = l
	}
	d.FirstRun = c.firstRun(q)
	c.page(q, http.StatusOK, "home", "home.title", d, notice(q))
}
