package service

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/meibo/meibo"
)

// selectDevices reads the enrolled devices a request selects: those of the
// group whose name, serial, model or user holds the filter's keyword, or
// those of its IDs, each of which must be in the group.
func (b *bulkRun) selectDevices(ctx context.Context, tx meibo.Tx, g *meibo.Group) ([]*meibo.Device, error) {
	var out []*meibo.Device
	if f := b.req.Filter; f != nil {
		df := meibo.DeviceFilter{GroupID: g.ID, Keyword: f.Keyword, Limit: 1000}
		for {
			ds, err := tx.Devices(ctx, df)
			if err != nil {
				return nil, err
			}
			out = append(out, ds...)
			if len(ds) < df.Limit {
				return out, nil
			}
			last := ds[len(ds)-1]
			df.AfterName, df.AfterID = last.Name, last.ID
		}
	}
	seen := make(map[int64]bool, len(b.req.IDs))
	for i, id := range b.req.IDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		d, err := tx.Device(ctx, id)
		switch {
		case meibo.ErrorCode(err) == meibo.CodeNotFound || err == nil && d.GroupID != g.ID:
			b.refuse(i+1, "", meibo.M("bulk.device_missing", id))
			continue
		case err != nil:
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// applyDevices queues a command on, or revokes, every selected device that
// is enrolled; revoked ones are left as they are.
func (b *bulkRun) applyDevices(ctx context.Context, tx meibo.Tx, g *meibo.Group, write bool) error {
	devices, err := b.selectDevices(ctx, tx, g)
	if err != nil {
		return err
	}
	action := meibo.Action(b.req.Command)
	message := strings.TrimSpace(b.req.Message)
	if b.req.Action == BulkCommand {
		if action == meibo.ActionMessage && (message == "" || utf8.RuneCountInString(message) > 500) {
			b.refuse(0, "message", meibo.M("command.message"))
			return nil
		} else if action != meibo.ActionMessage {
			message = ""
		}
	}
	var changed []*meibo.Device
	for _, d := range devices {
		if d.RevokedAt != nil {
			b.same++
			continue
		}
		if b.req.Action == BulkRevoke {
			b.change(d.ID, d.Name, "revoked", "", "true")
		} else {
			b.change(d.ID, d.Name, "command", "", string(action))
		}
		changed = append(changed, d)
	}
	b.updated = len(changed)
	if !write {
		return nil
	}
	a := meibo.ActorFrom(ctx)
	b.progress(0, len(changed))
	for i, d := range changed {
		if b.req.Action == BulkRevoke {
			if err := b.s.revoke(ctx, tx, d); err != nil {
				return err
			}
		} else {
			c := &meibo.Command{DeviceID: d.ID, GroupID: d.GroupID, Action: action, Message: message, RequestedBy: a.Name, RequesterKind: a.Kind}
			if err := tx.CreateCommand(ctx, c); err != nil {
				return err
			}
			if err := tx.Notify(ctx, commandsChannel, deviceRef(d)); err != nil {
				return err
			}
		}
		b.woken = append(b.woken, d.ID)
		if (i+1)%100 == 0 {
			b.progress(i+1, len(changed))
		}
	}
	b.progress(len(changed), len(changed))
	return nil
}

// BulkCountDevices counts the enrolled devices of a group whose name,
// serial, model or user holds keyword (what a bulk action on "all
// matching" devices selects), up to limit: it returns limit+1 when there
// are more. It is what the console's "select all N matching" says.
func (s *Service) BulkCountDevices(ctx context.Context, groupID, keyword string, limit int) (int, error) {
	a, err := require(ctx, meibo.AuthConsole)
	if err != nil {
		return 0, err
	}
	n := 0
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		g, err := s.group(ctx, tx, a, groupID)
		if err != nil {
			return err
		}
		df := meibo.DeviceFilter{GroupID: g.ID, Keyword: strings.TrimSpace(keyword), Limit: 1000}
		for n <= limit {
			ds, err := tx.Devices(ctx, df)
			if err != nil {
				return err
			}
			n += len(ds)
			if len(ds) < df.Limit {
				return nil
			}
			last := ds[len(ds)-1]
			df.AfterName, df.AfterID = last.Name, last.ID
		}
		return nil
	})
	if n > limit {
		return limit + 1, err
	}
	return n, err
}
