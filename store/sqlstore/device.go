package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/meibo/meibo"
)

const deviceCols = `d.id, d.group_id, d.user_id, COALESCE(u.name, ''), d.name, d.platform, d.model, d.os_version, d.serial, d.secret_hash,
	d.battery, d.locked, d.lat, d.lon, d.accuracy, d.located_at, d.enrolled_at, d.last_check_in_at, d.revoked_at, d.created_at, d.updated_at`

const deviceFrom = ` FROM devices d LEFT JOIN users u ON u.id = d.user_id`

func scanDevice(s scanner) (*meibo.Device, error) {
	var d meibo.Device
	var user, battery sql.Null[int64]
	var lat, lon, acc sql.Null[float64]
	var located, enrolled, checkin, revoked sql.Null[time.Time]
	if err := s.Scan(&d.ID, &d.GroupID, &user, &d.UserName, &d.Name, &d.Platform, &d.Model, &d.OSVersion, &d.Serial, &d.SecretHash,
		&battery, &d.Locked, &lat, &lon, &acc, &located, &enrolled, &checkin, &revoked, &d.CreatedAt, &d.UpdatedAt); err != nil {
		return nil, err
	}
	if user.Valid {
		d.UserID = &user.V
	}
	if battery.Valid {
		b := int(battery.V)
		d.Battery = &b
	}
	if lat.Valid && lon.Valid && located.Valid {
		d.Location = &meibo.Location{Latitude: lat.V, Longitude: lon.V, Accuracy: acc.V, At: located.V.UTC()}
	}
	d.EnrolledAt, d.LastCheckInAt, d.RevokedAt = nullTime(enrolled), nullTime(checkin), nullTime(revoked)
	d.CreatedAt, d.UpdatedAt = d.CreatedAt.UTC(), d.UpdatedAt.UTC()
	return &d, nil
}

// CreateDevice adds an enrolled device.
func (t *Tx) CreateDevice(ctx context.Context, d *meibo.Device) error {
	d.CreatedAt, d.UpdatedAt = t.now, t.now
	if d.EnrolledAt == nil {
		d.EnrolledAt = &t.now
	}
	err := t.queryRowContext(ctx, `INSERT INTO devices (group_id, user_id, name, platform, model, os_version, serial, secret_hash, enrolled_at,
		created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		d.GroupID, d.UserID, d.Name, d.Platform, d.Model, d.OSVersion, d.Serial, d.SecretHash, *d.EnrolledAt, d.CreatedAt, d.UpdatedAt).Scan(&d.ID)
	switch {
	case t.d.IsUnique(err):
		return meibo.ConflictField("serial", "device.serial.exists", d.Serial)
	case t.d.IsForeignKey(err):
		return meibo.NotFound("not_found")
	case err != nil:
		return fmt.Errorf("create device: %w", err)
	}
	return nil
}

func (t *Tx) oneDevice(ctx context.Context, where string, arg any) (*meibo.Device, error) {
	return one(ctx, t, scanDevice, meibo.NotFound("not_found"), "read device", `SELECT `+deviceCols+deviceFrom+` WHERE `+where, arg)
}

// Device finds a device by ID.
func (t *Tx) Device(ctx context.Context, id int64) (*meibo.Device, error) {
	return t.oneDevice(ctx, `d.id = $1`, id)
}

// DeviceBySecret finds a device by the hash of its secret.
func (t *Tx) DeviceBySecret(ctx context.Context, hash string) (*meibo.Device, error) {
	if hash == "" {
		return nil, meibo.NotFound("not_found")
	}
	return t.oneDevice(ctx, `d.secret_hash = $1`, hash)
}

// Devices lists the devices of a group in name order.
func (t *Tx) Devices(ctx context.Context, f meibo.DeviceFilter) ([]*meibo.Device, error) {
	var w conds
	arg := w.arg
	w.add("d.group_id = " + arg(f.GroupID))
	if f.UserID != nil {
		w.add("d.user_id = " + arg(*f.UserID))
	}
	if !f.IncludeRevoked {
		w.add("d.revoked_at IS NULL")
	}
	if kw := strings.TrimSpace(f.Keyword); kw != "" {
		// Width-blind as the users' search is: the keyword folded (an
		// input method left on types ｉＰｈｏｎｅ), and as typed, for a
		// name stored in full width; the user's name by its folded form.
		var or []string
		for _, k := range slices.Compact([]string{meibo.Fold(kw), strings.ToLower(kw)}) {
			p := arg("%" + escapeLike(k) + "%")
			or = append(or, "lower(d.name) LIKE "+p+" ESCAPE '\\'", "lower(d.serial) LIKE "+p+" ESCAPE '\\'", "lower(d.model) LIKE "+p+" ESCAPE '\\'")
			if k == meibo.Fold(kw) {
				or = append(or, "COALESCE(u.name_fold, '') LIKE "+p+" ESCAPE '\\'")
			}
		}
		w.add("(" + strings.Join(or, " OR ") + ")")
	}
	if f.AfterName != "" || f.AfterID > 0 {
		n, i := arg(f.AfterName), arg(f.AfterID)
		w.add("(d.name > " + n + " OR (d.name = " + n + " AND d.id > " + i + "))")
	}
	limit := f.Limit
	switch {
	case limit <= 0:
		limit = 100
	case limit > 1000:
		limit = 1000 // asked for more than a page holds: a full page
	}
	return all(ctx, t, scanDevice, "list devices", `SELECT `+deviceCols+deviceFrom+w.sql()+
		` ORDER BY d.name, d.id LIMIT `+strconv.Itoa(limit), w.args...)
}

// UpdateDevice writes an enrolled device's name and user; a revoked device
// is not changed (conflict), so that a rename racing a revocation cannot undo
// it.
func (t *Tx) UpdateDevice(ctx context.Context, d *meibo.Device) error {
	d.UpdatedAt = t.now
	res, err := t.execContext(ctx, `UPDATE devices SET name = $1, user_id = $2, updated_at = $3 WHERE id = $4 AND revoked_at IS NULL`,
		d.Name, d.UserID, d.UpdatedAt, d.ID)
	switch {
	case t.d.IsForeignKey(err):
		return meibo.NotFound("user.not_found", "")
	case err != nil:
		return fmt.Errorf("update device: %w", err)
	}
	if affected(res) == 0 {
		cur, err := t.Device(ctx, d.ID)
		if err != nil {
			return err
		}
		return meibo.Conflict("device.revoked", cur.Name)
	}
	return nil
}

// RevokeDevice un-enrols a device: its secret is forgotten.
func (t *Tx) RevokeDevice(ctx context.Context, id int64, at time.Time) (bool, error) {
	res, err := t.exec(ctx, "revoke device", `UPDATE devices SET revoked_at = $1, secret_hash = '', updated_at = $1 WHERE id = $2 AND revoked_at IS NULL`,
		at.UTC(), id)
	if err != nil {
		return false, err
	}
	return affected(res) == 1, nil
}

// CheckInDevice records what a device reported.
func (t *Tx) CheckInDevice(ctx context.Context, id int64, st meibo.DeviceStatus, at time.Time) error {
	sets := []string{"last_check_in_at = $1", "updated_at = $1"}
	w := conds{args: []any{at.UTC()}}
	arg := w.arg
	if st.Platform != "" {
		sets = append(sets, "platform = "+arg(st.Platform))
	}
	if st.Model != "" {
		sets = append(sets, "model = "+arg(st.Model))
	}
	if st.OSVersion != "" {
		sets = append(sets, "os_version = "+arg(st.OSVersion))
	}
	if st.Battery != nil {
		sets = append(sets, "battery = "+arg(*st.Battery))
	}
	if st.Locked != nil {
		sets = append(sets, "locked = "+arg(*st.Locked))
	}
	if l := st.Location; l != nil {
		when := l.At
		if when.IsZero() {
			when = at
		}
		// Kept to the microsecond, as every time meibo stores: PostgreSQL
		// keeps no more, and both engines answer the same.
		sets = append(sets, "lat = "+arg(l.Latitude), "lon = "+arg(l.Longitude), "accuracy = "+arg(l.Accuracy),
			"located_at = "+arg(when.UTC().Truncate(time.Microsecond)))
	}
	_, err := t.exec(ctx, "record check-in", `UPDATE devices SET `+strings.Join(sets, ", ")+` WHERE id = `+arg(id), w.args...)
	return err
}

const enrolCols = `id, group_id, user_id, hash, created_by, created_at, expires_at, used_at, device_id,
	(SELECT u.name FROM users u WHERE u.id = enrolment_tokens.user_id)`

func scanEnrol(s scanner) (*meibo.EnrolmentToken, error) {
	var k meibo.EnrolmentToken
	var user, device sql.Null[int64]
	var used sql.Null[time.Time]
	var userName sql.Null[string]
	if err := s.Scan(&k.ID, &k.GroupID, &user, &k.TokenHash, &k.CreatedBy, &k.CreatedAt, &k.ExpiresAt, &used, &device, &userName); err != nil {
		return nil, err
	}
	k.UserName = userName.V
	if user.Valid {
		k.UserID = &user.V
	}
	if device.Valid {
		k.DeviceID = &device.V
	}
	k.CreatedAt, k.ExpiresAt, k.UsedAt = k.CreatedAt.UTC(), k.ExpiresAt.UTC(), nullTime(used)
	return &k, nil
}

// CreateEnrolmentToken stores an enrolment token.
func (t *Tx) CreateEnrolmentToken(ctx context.Context, k *meibo.EnrolmentToken) error {
	k.CreatedAt = t.now
	err := t.queryRowContext(ctx, `INSERT INTO enrolment_tokens (group_id, user_id, hash, created_by, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, k.GroupID, k.UserID, k.TokenHash, k.CreatedBy, k.CreatedAt, k.ExpiresAt.UTC()).Scan(&k.ID)
	switch {
	case t.d.IsForeignKey(err):
		return meibo.NotFound("not_found")
	case err != nil:
		return fmt.Errorf("create enrolment token: %w", err)
	}
	return nil
}

// EnrolmentToken finds an enrolment token by hash.
func (t *Tx) EnrolmentToken(ctx context.Context, hash string) (*meibo.EnrolmentToken, error) {
	return one(ctx, t, scanEnrol, meibo.NotFound("not_found"), "read enrolment token", `SELECT `+enrolCols+` FROM enrolment_tokens WHERE hash = $1`, hash)
}

// EnrolmentTokens lists a group's tokens, newest first.
func (t *Tx) EnrolmentTokens(ctx context.Context, groupID string) ([]*meibo.EnrolmentToken, error) {
	return all(ctx, t, scanEnrol, "list enrolment tokens", `SELECT `+enrolCols+` FROM enrolment_tokens WHERE group_id = $1 ORDER BY id DESC LIMIT 500`, groupID)
}

// UseEnrolmentToken marks a token used by a device, once.
func (t *Tx) UseEnrolmentToken(ctx context.Context, id, deviceID int64, at time.Time) (bool, error) {
	res, err := t.exec(ctx, "use enrolment token", `UPDATE enrolment_tokens SET used_at = $1, device_id = $2 WHERE id = $3 AND used_at IS NULL`,
		at.UTC(), deviceID, id)
	if err != nil {
		return false, err
	}
	return affected(res) == 1, nil
}

// DeleteEnrolmentToken deletes a token.
func (t *Tx) DeleteEnrolmentToken(ctx context.Context, id int64) error {
	res, err := t.exec(ctx, "delete enrolment token", `DELETE FROM enrolment_tokens WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if affected(res) == 0 {
		return meibo.NotFound("not_found")
	}
	return nil
}

const commandCols = `id, device_id, group_id, action, message, status, requested_by, requester_kind, result, created_at, delivered_at,
	finished_at, expires_at`

func scanCommand(s scanner) (*meibo.Command, error) {
	var c meibo.Command
	var action, status string
	var delivered, finished sql.Null[time.Time]
	if err := s.Scan(&c.ID, &c.DeviceID, &c.GroupID, &action, &c.Message, &status, &c.RequestedBy, &c.RequesterKind, &c.Result,
		&c.CreatedAt, &delivered, &finished, &c.ExpiresAt); err != nil {
		return nil, err
	}
	c.Action, c.Status = meibo.Action(action), meibo.CommandStatus(status)
	c.CreatedAt, c.ExpiresAt = c.CreatedAt.UTC(), c.ExpiresAt.UTC()
	c.DeliveredAt, c.FinishedAt = nullTime(delivered), nullTime(finished)
	return &c, nil
}

func (t *Tx) commandRows(rows *sql.Rows, err error) ([]*meibo.Command, error) {
	return collect(rows, err, scanCommand, "read commands")
}

// CreateCommand queues a command.
func (t *Tx) CreateCommand(ctx context.Context, c *meibo.Command) error {
	c.CreatedAt, c.Status = t.now, meibo.CommandQueued
	if c.ExpiresAt.IsZero() {
		c.ExpiresAt = t.now.Add(meibo.CommandTTL)
	}
	err := t.queryRowContext(ctx, `INSERT INTO commands (device_id, group_id, action, message, status, requested_by, requester_kind, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, c.DeviceID, c.GroupID, string(c.Action), c.Message, string(c.Status),
		c.RequestedBy, c.RequesterKind, c.CreatedAt, c.ExpiresAt.UTC()).Scan(&c.ID)
	switch {
	case t.d.IsForeignKey(err):
		return meibo.NotFound("not_found")
	case err != nil:
		return fmt.Errorf("queue command: %w", err)
	}
	return nil
}

// Command finds a command.
func (t *Tx) Command(ctx context.Context, id int64) (*meibo.Command, error) {
	return one(ctx, t, scanCommand, meibo.NotFound("not_found"), "read command", `SELECT `+commandCols+` FROM commands WHERE id = $1`, id)
}

// Commands lists commands newest first.
func (t *Tx) Commands(ctx context.Context, f meibo.CommandFilter) ([]*meibo.Command, error) {
	var w conds
	arg := w.arg
	if f.DeviceID > 0 {
		w.add("device_id = " + arg(f.DeviceID))
	}
	if f.GroupID != "" {
		w.add("group_id = " + arg(f.GroupID))
	}
	if f.DeviceIDs != nil {
		if len(f.DeviceIDs) == 0 {
			return []*meibo.Command{}, nil
		}
		var ph []string
		for _, id := range f.DeviceIDs {
			ph = append(ph, strconv.FormatInt(id, 10))
		}
		w.add("device_id IN (" + strings.Join(ph, ", ") + ")")
	}
	if f.Status != "" {
		w.add("status = " + arg(string(f.Status)))
	}
	if f.BeforeID > 0 {
		w.add("id < " + arg(f.BeforeID))
	}
	limit := f.Limit
	switch {
	case limit <= 0:
		limit = 50
	case limit > 500:
		limit = 500 // asked for more than a page holds: a full page
	}
	q := `SELECT ` + commandCols + ` FROM commands`
	q += w.sql()
	return t.commandRows(t.queryContext(ctx, q+" ORDER BY id DESC LIMIT "+strconv.Itoa(limit), w.args...))
}

// DeliverCommands hands a device its queued commands, oldest first.
func (t *Tx) DeliverCommands(ctx context.Context, deviceID int64, at time.Time) ([]*meibo.Command, error) {
	cmds, err := t.commandRows(t.queryContext(ctx, `UPDATE commands SET status = 'delivered', delivered_at = $1
		WHERE device_id = $2 AND status = 'queued' AND expires_at > $1 RETURNING `+commandCols, at.UTC(), deviceID))
	if err != nil {
		return nil, err
	}
	slices.SortFunc(cmds, func(a, b *meibo.Command) int { return int(a.ID - b.ID) })
	return cmds, nil
}

// FinishCommand records the result of a delivered command.
func (t *Tx) FinishCommand(ctx context.Context, c *meibo.Command) (bool, error) {
	res, err := t.exec(ctx, "finish command", `UPDATE commands SET status = $1, result = $2, finished_at = $3
		WHERE id = $4 AND device_id = $5 AND status = 'delivered'`, string(c.Status), c.Result, c.FinishedAt, c.ID, c.DeviceID)
	if err != nil {
		return false, err
	}
	return affected(res) == 1, nil
}

// CommandsQueuedAfter returns the devices of the queued commands above
// after, and the largest command ID.
func (t *Tx) CommandsQueuedAfter(ctx context.Context, after int64) ([]int64, int64, error) {
	last := after
	if err := t.queryRowContext(ctx, `SELECT COALESCE(MAX(id), $1) FROM commands WHERE id > $1`, after).Scan(&last); err != nil {
		return nil, 0, fmt.Errorf("read the last command: %w", err)
	}
	if last == after {
		return nil, last, nil
	}
	rows, err := t.queryContext(ctx, `SELECT DISTINCT device_id FROM commands WHERE id > $1 AND id <= $2 AND status = 'queued'`, after, last)
	if err != nil {
		return nil, 0, fmt.Errorf("read queued commands: %w", err)
	}
	defer rows.Close()
	var devices []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, 0, fmt.Errorf("read queued commands: %w", err)
		}
		devices = append(devices, id)
	}
	return devices, last, rows.Err()
}

// CancelCommand cancels a queued command.
func (t *Tx) CancelCommand(ctx context.Context, id int64, at time.Time) (bool, error) {
	res, err := t.exec(ctx, "cancel command", `UPDATE commands SET status = 'cancelled', finished_at = $1 WHERE id = $2 AND status = 'queued'`, at.UTC(), id)
	if err != nil {
		return false, err
	}
	return affected(res) == 1, nil
}

// ExpireCommands expires queued commands past their expiry.
func (t *Tx) ExpireCommands(ctx context.Context, at time.Time) ([]*meibo.Command, error) {
	return t.commandRows(t.queryContext(ctx, `UPDATE commands SET status = 'expired', finished_at = $1
		WHERE status = 'queued' AND expires_at <= $1 RETURNING `+commandCols, at.UTC()))
}
