package service

import (
	"context"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/csvio"
)

// A devices file assigns the devices of a group to its users (and may rename
// them), all or nothing. Each row finds one device (see csvio.DeviceRecord):
// by its serial number when that is not blank, else by its name, which must
// be the name of exactly one enrolled device of the group. Every row is
// resolved against the devices as they were before the file: a rename in one
// row never changes which device another row finds. An unknown serial or
// name, a name that several devices share, a revoked device, a device
// that two rows find, or an unknown user is an error of its row. A row that
// changes nothing counts as unchanged, any other as updated.
//
// The job is audited as a whole (import.success with its counts), as users
// files are; submitting one needs Management Console with "import CSV file"
// and "register/update/delete device" (33), and the group in scope.

// deviceIndex is what a devices file is checked against: every device of the
// group, by serial number and by name.
type deviceIndex struct {
	bySerial map[string]*meibo.Device
	byName   map[string][]*meibo.Device // enrolled devices only
	revoked  map[string]*meibo.Device   // revoked devices by name, the newest
}

// devicePage is how many devices are read at a time.
const devicePage = 1000

// eachDevice calls fn for every device of a group in name order, a page at a
// time; revoked devices too when revoked is set.
func eachDevice(ctx context.Context, tx meibo.Tx, group string, revoked bool, fn func(*meibo.Device) error) error {
	f := meibo.DeviceFilter{GroupID: group, IncludeRevoked: revoked, Limit: devicePage}
	for {
		ds, err := tx.Devices(ctx, f)
		if err != nil {
			return err
		}
		for _, d := range ds {
			if err := fn(d); err != nil {
				return err
			}
		}
		if len(ds) < devicePage {
			return nil
		}
		last := ds[len(ds)-1]
		f.AfterName, f.AfterID = last.Name, last.ID
	}
}

// devicesImporter checks and writes rows of the devices format.
type devicesImporter struct {
	r     *jobRun
	group string

	idx                deviceIndex
	seen               map[int64]int // device ID → the row that found it first
	updated, unchanged int
}

func (d *devicesImporter) reset()                                    { d.updated, d.unchanged = 0, 0 }
func (d *devicesImporter) counts() (int, int, int, int)              { return 0, d.updated, 0, d.unchanged }
func (d *devicesImporter) password(*csvio.Record) string             { return "" }
func (d *devicesImporter) end(context.Context, meibo.Tx, bool) error { return nil }

func (d *devicesImporter) begin(ctx context.Context, tx meibo.Tx, apply bool) error {
	if _, err := tx.Group(ctx, d.group); err != nil {
		return err
	}
	if apply {
		// Two devices files of one installation apply one after the other.
		if err := tx.Lock(ctx, "devices"); err != nil {
			return err
		}
	}
	d.idx = deviceIndex{bySerial: map[string]*meibo.Device{}, byName: map[string][]*meibo.Device{}, revoked: map[string]*meibo.Device{}}
	d.seen = map[int64]int{}
	return eachDevice(ctx, tx, d.group, true, func(dev *meibo.Device) error {
		// Serials are unique in a group; should a revoked device ever share
		// one with an enrolled one, the enrolled one is meant.
		if cur := d.idx.bySerial[dev.Serial]; dev.Serial != "" && (cur == nil || newer(dev, cur)) {
			d.idx.bySerial[dev.Serial] = dev
		}
		switch {
		case dev.RevokedAt == nil:
			d.idx.byName[dev.Name] = append(d.idx.byName[dev.Name], dev)
		case d.idx.revoked[dev.Name] == nil || newer(dev, d.idx.revoked[dev.Name]):
			d.idx.revoked[dev.Name] = dev
		}
		return nil
	})
}

// newer reports whether a is the device to take rather than b of the same
// serial or name: an enrolled one before a revoked one, else the one revoked
// last.
func newer(a, b *meibo.Device) bool {
	if a.RevokedAt == nil || b.RevokedAt == nil {
		return a.RevokedAt == nil && b.RevokedAt != nil
	}
	return a.RevokedAt.After(*b.RevokedAt)
}

// find returns the device a row names, or records why there is none.
func (d *devicesImporter) find(rec *csvio.Record) *meibo.Device {
	in, r := rec.Device, d.r
	var dev *meibo.Device
	col := "serial"
	switch {
	case in.Serial != "":
		if dev = d.idx.bySerial[in.Serial]; dev == nil {
			r.problemAt(rec, col, meibo.M("import.device.serial", in.Serial))
			return nil
		}
	case in.Name != "":
		col = "name"
		list := d.idx.byName[in.Name]
		if len(list) == 0 && rec.CP932 {
			// A name read from Shift_JIS stands for the devices named
			// so and for those whose names read back as it.
			for _, s := range csvio.CP932Spellings(in.Name) {
				list = append(list, d.idx.byName[s]...)
			}
		}
		switch {
		case len(list) == 1:
			dev = list[0]
		case len(list) > 1:
			r.problemAt(rec, col, meibo.M("import.device.ambiguous", in.Name, len(list)))
			return nil
		case d.idx.revoked[in.Name] != nil:
			dev = d.idx.revoked[in.Name]
		default:
			r.problemAt(rec, col, meibo.M("import.device.name", in.Name))
			return nil
		}
	default:
		return nil // csvio said so
	}
	if dev.RevokedAt != nil {
		r.problemAt(rec, col, meibo.M("import.device.revoked", dev.Name))
		return nil
	}
	if first, ok := d.seen[dev.ID]; ok && first != rec.Row {
		if !hasProblem(rec, "csv.devices.duplicate.serial", "csv.devices.duplicate.name") {
			r.problemAt(rec, col, meibo.M("import.device.twice", dev.Name, first))
		}
		return nil
	}
	d.seen[dev.ID] = rec.Row
	return dev
}

// hasProblem reports whether the record has a problem with one of keys.
func hasProblem(rec *csvio.Record, keys ...string) bool {
	for _, p := range rec.Problems {
		for _, k := range keys {
			if p.Msg.Key == k {
				return true
			}
		}
	}
	return false
}

// hasErrorAt reports whether the record has an error about column col.
func hasErrorAt(rec *csvio.Record, col string) bool {
	for _, p := range rec.Problems {
		if !p.Warning && p.Column == col {
			return true
		}
	}
	return false
}

// deviceChange is what one row changes of a device.
type deviceChange struct {
	rec  *csvio.Record
	dev  *meibo.Device
	name string
	user *meibo.User // nil: unassigned
}

func (d *devicesImporter) batch(ctx context.Context, tx meibo.Tx, recs []*csvio.Record, apply bool) error {
	r := d.r
	users, ambiguous, err := usersNamed(ctx, tx, d.group, recs, func(rec *csvio.Record) string {
		if rec.Device == nil {
			return ""
		}
		return rec.Device.User
	})
	if err != nil {
		return err
	}
	var changes []deviceChange
	for _, rec := range recs {
		in := rec.Device
		if in == nil {
			continue
		}
		dev := d.find(rec)
		var user *meibo.User
		if names := ambiguous[in.User]; names != nil && !hasErrorAt(rec, "user") {
			r.cp932Ambiguous(rec, "user", in.User, names)
		} else if in.User != "" && !hasErrorAt(rec, "user") {
			if user = users[in.User]; user == nil {
				r.problemAt(rec, "user", meibo.M("user.not_found", in.User))
			}
		}
		if dev == nil || rec.HasErrors() {
			continue
		}
		c := deviceChange{rec: rec, dev: dev, name: dev.Name, user: user}
		if !in.ByName() && in.Name != "" {
			c.name = csvio.KeepStored(rec, dev.Name, in.Name)
		}
		if c.name == dev.Name && sameAssignee(dev.UserID, user) {
			d.unchanged++
			continue
		}
		d.updated++
		changes = append(changes, c)
	}
	if !apply || r.errors > 0 {
		return nil
	}
	for _, c := range changes {
		// Read the device again just before writing it: only its name and
		// user change, whatever else happened to it meanwhile.
		cur, err := tx.Device(ctx, c.dev.ID)
		if meibo.ErrorCode(err) == meibo.CodeNotFound {
			r.problemAt(c.rec, "", meibo.M("import.device.gone", c.dev.Name))
			continue
		} else if err != nil {
			return err
		}
		if cur.RevokedAt != nil {
			r.problemAt(c.rec, "", meibo.M("import.device.revoked", cur.Name))
			continue
		}
		cur.Name, cur.UserID, cur.UserName = c.name, nil, ""
		if c.user != nil {
			cur.UserID, cur.UserName = &c.user.ID, c.user.Name
		}
		err = tx.UpdateDevice(ctx, cur)
		switch {
		case err == nil:
		case meibo.ErrorCode(err) == meibo.CodeNotFound:
			// The user was deleted meanwhile.
			r.problemAt(c.rec, "user", meibo.M("user.not_found", c.rec.Device.User))
		case meibo.ErrorCode(err) == meibo.CodeConflict:
			// The device was revoked meanwhile.
			r.problemAt(c.rec, "", meibo.M("import.device.revoked", cur.Name))
		default:
			return err
		}
	}
	return nil
}

// sameAssignee reports whether a device assigned to cur (nil: nobody) is
// assigned to u.
func sameAssignee(cur *int64, u *meibo.User) bool {
	if cur == nil || u == nil {
		return cur == nil && u == nil
	}
	return *cur == u.ID
}

// Messages of devices files.
func init() {
	meibo.RegisterMessages(map[string][2]string{
		"import.device.serial":    {"There is no device with the serial number %q in this group.", "このグループにシリアル番号「%s」のデバイスはありません。"},
		"import.device.name":      {"There is no device named %q in this group.", "このグループに「%s」という名前のデバイスはありません。"},
		"import.device.ambiguous": {"%[2]d devices of this group are named %[1]q: give the serial number of the one you mean, or rename them first.", "このグループには「%[1]s」という名前のデバイスが%[2]d台あります。対象のデバイスのシリアル番号を指定するか、先に名前を変更してください。"},
		"import.device.revoked":   {"The device %s is revoked; its assignment cannot change. Delete the row.", "デバイス %s は登録が解除されているため、割り当てを変更できません。この行を削除してください。"},
		"import.device.twice":     {"This row is about the device %s, which row %d is about already; each device may appear only once in a file.", "この行のデバイス %s は%d行目にもあります。1つのファイルに同じデバイスは1回だけ書いてください。"},
		"import.device.gone":      {"The device %s was deleted while the file was being imported.", "インポート中にデバイス %s が削除されました。"},
	})
}
