package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/meibo/meibo"
)

// auditFilterFlags are the filters of audit list and export.
func auditFilterFlags(fs *flagSet) func() (meibo.AuditFilter, error) {
	actor := fs.String("actor", "", "only events by this actor")
	action := fs.String("action", "", "only this action (e.g. user.create)")
	group := fs.String("group", "", "only events of this group")
	since := fs.String("since", "", "only events at or after this time (RFC 3339 or YYYY-MM-DD)")
	until := fs.String("until", "", "only events before this time (RFC 3339 or YYYY-MM-DD)")
	return func() (meibo.AuditFilter, error) {
		f := meibo.AuditFilter{Actor: *actor, Action: *action}
		if *group != "" {
			f.GroupIDs = []string{*group}
		}
		for _, p := range []struct {
			s   string
			dst **time.Time
		}{{*since, &f.Since}, {*until, &f.Until}} {
			if p.s == "" {
				continue
			}
			t, err := time.Parse(time.RFC3339, p.s)
			if err != nil {
				if t, err = time.ParseInLocation(time.DateOnly, p.s, time.Local); err != nil {
					return f, usagef("%q is not a time (RFC 3339 or YYYY-MM-DD)", p.s)
				}
			}
			*p.dst = &t
		}
		return f, nil
	}
}

func auditDetails(e *meibo.AuditEvent) string {
	if len(e.Details) == 0 {
		return ""
	}
	b, err := json.Marshal(e.Details)
	if err != nil {
		return fmt.Sprint(e.Details)
	}
	return string(b)
}

var auditNoun = &noun{name: "audit", verbs: []verb{
	{name: "list", args: "[--actor A] [--action A] [--group G] [--since T] [--until T] [--limit N] [--after EVENT-ID] [--json | --csv]",
		summary: "list audit events, newest first", list: true, setup: func(fs *flagSet) func(*verbRun) error {
			filter := auditFilterFlags(fs)
			limit := fs.Int("limit", 50, "events per page")
			after := fs.Int64("after", 0, "list the events after (older than) this one")
			return func(x *verbRun) error {
				f, err := filter()
				if err != nil {
					return err
				}
				f.BeforeID, f.Limit = *after, *limit+1
				evs, err := x.c.svc.AuditEvents(x.c.ctx, f)
				if err != nil {
					return err
				}
				more := len(evs) > *limit
				if more {
					evs = evs[:*limit]
				}
				t := newTable("ID", "AT", "ACTOR", "ACTION", "OBJECT", "GROUP", "DETAILS")
				for _, e := range evs {
					t.add(e.ID, e.At.Local().Format(time.DateTime), e.ActorName, e.Action, e.ObjectKind+" "+e.ObjectID, orDash(e.GroupID), oneLine(auditDetails(e)))
				}
				if err := x.emit(t, evs); err != nil {
					return err
				}
				if len(evs) > 0 {
					x.more(more, strconv.FormatInt(evs[len(evs)-1].ID, 10))
				}
				return nil
			}
		}},
	{name: "export", args: "[--actor A] [--action A] [--group G] [--since T] [--until T]", summary: "write every selected event as CSV (the console's format)",
		setup: func(fs *flagSet) func(*verbRun) error {
			filter := auditFilterFlags(fs)
			return func(x *verbRun) error {
				f, err := filter()
				if err != nil {
					return err
				}
				_, err = x.c.svc.WriteAuditCSV(x.c.ctx, f, x.env.stdout, time.Local, false)
				return err
			}
		}},
}}
