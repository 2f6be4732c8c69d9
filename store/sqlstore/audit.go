package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/meibo/meibo"
)

const auditInsertCols = 10

// AddAudit records audit events.
func (t *Tx) AddAudit(ctx context.Context, events ...*meibo.AuditEvent) error {
	per := t.batchSize(auditInsertCols)
	for start := 0; start < len(events); start += per {
		batch := events[start:min(start+per, len(events))]
		args := make([]any, 0, len(batch)*auditInsertCols)
		for _, e := range batch {
			if e.At.IsZero() {
				e.At = t.now
			}
			details := "{}"
			if len(e.Details) > 0 {
				b, err := json.Marshal(e.Details)
				if err != nil {
					return fmt.Errorf("audit details: %w", err)
				}
				details = string(b)
			}
			args = append(args, e.At.UTC(), e.ActorKind, e.ActorName, e.Addr, e.Action, e.Category, e.ObjectKind, e.ObjectID, e.GroupID, details)
		}
		if _, err := t.exec(ctx, "record audit events", `INSERT INTO audit_events (at, actor_kind, actor_name, addr, action, category, object_kind, object_id, group_id, details)
			VALUES `+t.valuesList(len(batch), auditInsertCols, 1, nil), args...); err != nil {
			return err
		}
	}
	return nil
}

// AuditEvents lists events newest first.
func (t *Tx) AuditEvents(ctx context.Context, f meibo.AuditFilter) ([]*meibo.AuditEvent, error) {
	var w conds
	arg := w.arg
	if f.Actor != "" {
		w.add("actor_name = " + arg(f.Actor))
	}
	if f.Action != "" {
		w.add("action = " + arg(f.Action))
	}
	if f.ObjectKind != "" {
		w.add("object_kind = " + arg(f.ObjectKind))
	}
	if f.ObjectID != "" {
		w.add("object_id = " + arg(f.ObjectID))
	}
	if f.Categories != nil {
		if len(f.Categories) == 0 {
			return []*meibo.AuditEvent{}, nil
		}
		w.add("category IN (" + w.list(f.Categories) + ")")
	}
	if f.GroupIDs != nil {
		if len(f.GroupIDs) == 0 {
			return []*meibo.AuditEvent{}, nil
		}
		w.add("group_id IN (" + w.list(f.GroupIDs) + ")")
	}
	if f.Since != nil {
		w.add("at >= " + arg(f.Since.UTC()))
	}
	if f.Until != nil {
		w.add("at < " + arg(f.Until.UTC()))
	}
	if f.BeforeID > 0 {
		w.add("id < " + arg(f.BeforeID))
	}
	limit := f.Limit
	switch {
	case limit <= 0:
		limit = 100
	case limit > 1000:
		limit = 1000 // asked for more than a page holds: a full page
	}
	q := `SELECT id, at, actor_kind, actor_name, addr, action, category, object_kind, object_id, group_id, details FROM audit_events`
	q += w.sql()
	rows, err := t.queryContext(ctx, q+" ORDER BY id DESC LIMIT "+strconv.Itoa(limit), w.args...)
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	defer rows.Close()
	out := []*meibo.AuditEvent{}
	for rows.Next() {
		var e meibo.AuditEvent
		var details string
		if err := rows.Scan(&e.ID, &e.At, &e.ActorKind, &e.ActorName, &e.Addr, &e.Action, &e.Category, &e.ObjectKind, &e.ObjectID, &e.GroupID, &details); err != nil {
			return nil, fmt.Errorf("list audit events: %w", err)
		}
		e.At = e.At.UTC()
		if details != "" && details != "{}" {
			if err := json.Unmarshal([]byte(details), &e.Details); err != nil {
				return nil, fmt.Errorf("audit details of event %d: %w", e.ID, err)
			}
		}
		out = append(out, &e)
	}
	return out, rows.Err()
}
