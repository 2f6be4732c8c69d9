package service

import (
	"context"
	"io"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/csvio"
)

// ExportDevices writes the enrolled devices of a group as devices.csv:
// columns name,serial,user (the user's name, blank when unassigned), in
// name order, revoked devices left out; importing the file unchanged
// changes nothing. It needs Management Console with "save CSV file" (32)
// and the group in scope, and returns the number of devices written. A
// value the encoding cannot hold fails the export naming the device and
// field; callers should write to a buffer or temporary file and send it only
// on success.
func (s *Service) ExportDevices(ctx context.Context, groupID string, w io.Writer, enc csvio.Encoding, bom bool) (rows int, err error) {
	defer func(start time.Time) { s.countExport("devices", rows, start, err) }(time.Now())
	a, err := require(ctx, meibo.AuthConsole, meibo.AuthExport)
	if err != nil {
		return 0, err
	}
	if enc == "" || enc == csvio.Auto {
		enc = csvio.UTF8
	}
	cw, err := csvio.NewDevicesWriter(w, enc, bom)
	if err != nil {
		return 0, err
	}
	n := 0
	var group string
	var refused exportRefusals
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		g, err := s.group(ctx, tx, a, groupID)
		if err != nil {
			return err
		}
		group = g.ID
		write := writeOrGather(&refused, cw.Write)
		return eachDevice(ctx, tx, g.ID, false, func(d *meibo.Device) error {
			n++
			return write(d)
		})
	})
	if err == nil {
		err = refused.err()
	}
	if err != nil {
		return 0, err
	}
	if err := cw.Flush(); err != nil {
		return 0, err
	}
	return n, s.store.Update(ctx, func(tx meibo.Tx) error {
		return s.audit(ctx, tx, "export.devices", meibo.CategoryDevice, "group", group, group,
			map[string]any{"devices": n, "encoding": string(enc)})
	})
}
