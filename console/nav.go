package console

import (
	"strings"

	"github.com/meibo/meibo"
)

// navItem is one entry of the console's navigation.
type navItem struct {
	Key    string // label
	Href   string
	Active bool
}

// navData is the navigation of a page: only what the administrator may use.
type navData struct {
	Actor *meibo.Actor
	Items []navItem
}

// can reports whether the actor holds every authority named.
func can(a *meibo.Actor, auths ...meibo.Authority) bool {
	if a == nil || (a.Kind == meibo.ActorAdmin && a.Has(meibo.AuthNoViewing)) {
		return false
	}
	for _, au := range auths {
		if !a.Has(au) {
			return false
		}
	}
	return true
}

// manages reports whether the actor may manage users, groups and profiles.
func manages(a *meibo.Actor) bool { return can(a, meibo.AuthConsole) && !a.Has(meibo.AuthDevicesOnly) }

func (c *Console) nav(q *req) *navData {
	a := q.actor
	var items []navItem
	path := q.r.URL.Path
	// A group's users live under /console/groups/{group}/users: that is
	// "Users", not "Groups".
	usersPage := strings.HasPrefix(path, Prefix+"/groups/") && (strings.HasSuffix(path, "/users") || strings.Contains(path, "/users/"))
	add := func(ok bool, key, href string) {
		if !ok {
			return
		}
		active := strings.HasPrefix(path, href)
		switch key {
		case "nav.users":
			active = active || usersPage
		case "nav.groups":
			active = active && !usersPage
		case "nav.backup":
			active = path == href || strings.HasPrefix(path, href+"/")
		}
		items = append(items, navItem{Key: key, Href: href, Active: active})
	}
	add(manages(a), "nav.users", Prefix+"/users")
	add(manages(a), "nav.groups", Prefix+"/groups")
	add(can(a, meibo.AuthConsole), "nav.devices", Prefix+"/devices")
	add(can(a, meibo.AuthConsole, meibo.AuthImport) || can(a, meibo.AuthLogViewer, meibo.AuthLogAttachments), "nav.imports", Prefix+"/imports")
	add(can(a, meibo.AuthConsole, meibo.AuthExport) && !a.Has(meibo.AuthDevicesOnly), "nav.exports", Prefix+"/exports")
	add(a.Authorities.ManagesAdmins() && can(a), "nav.admins", Prefix+"/admins")
	add(a.Authorities.ManagesAdmins() || can(a, meibo.AuthConsole, meibo.AuthGroupSettings), "nav.licence", Prefix+"/licence")
	add(can(a, meibo.AuthLogViewer, meibo.AuthLogMail), "nav.mail", Prefix+"/mail")
	add(can(a, meibo.AuthLogViewer), "nav.audit", Prefix+"/audit")
	add(can(a, meibo.AuthLogViewer, meibo.AuthLogEmergency), "nav.throttles", Prefix+"/throttles")
	add(can(a, meibo.AuthLogViewer, meibo.AuthLogBackup), "nav.backuplog", Prefix+"/backup-log")
	add(can(a, meibo.AuthBackup), "nav.backup", Prefix+"/backup")
	add(a.Authorities.ManagesAdmins() && can(a), "nav.settings", Prefix+"/settings")
	return &navData{Actor: a, Items: items}
}
