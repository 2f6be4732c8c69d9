package csvio

import (
	"encoding/csv"
	"io"

	"github.com/meibo/meibo"
)

// DeviceRecord is a row of a devices file: which device of the group, and
// whom it is assigned to.
//
// A serial number that is not blank finds the device (serials are unique in
// a group); a name that is not blank then renames it when it differs. With a
// blank serial (or no serial column), the name finds the device: it must be
// the name of exactly one enrolled device of the group. User is the name of
// the user to assign; blank unassigns. Values are as in the file, never
// trimmed (only formula neutralisation is undone, as in every cell).
type DeviceRecord struct {
	Name   string
	Serial string
	User   string
}

// ByName reports whether the row finds its device by name (its serial is
// blank).
func (d DeviceRecord) ByName() bool { return d.Serial == "" }

// The columns of a devices file: user and one of name and serial are
// required.
const (
	dName = iota
	dSerial
	dUser
	dCount
)

var deviceColumns = []string{"name", "serial", "user"}

func init() {
	meibo.RegisterMessages(map[string][2]string{
		"csv.devices.header.key":       {"The file needs a serial or a name column (or both) to find each device.", "各デバイスを特定するため、serial 列または name 列(または両方)が必要です。"},
		"csv.devices.key.required":     {"Both serial and name are blank: give the device's serial number, or its name.", "serial と name の両方が空です。デバイスのシリアル番号または名前を指定してください。"},
		"csv.devices.duplicate.serial": {"The serial number %s appears already in row %d; each device may appear only once in a file.", "シリアル番号 %s は%d行目にもあります。1つのファイルに同じデバイスは1回だけ書いてください。"},
		"csv.devices.duplicate.name":   {"The device name %s appears already in row %d; each device may appear only once in a file.", "デバイス名 %s は%d行目にもあります。1つのファイルに同じデバイスは1回だけ書いてください。"},
	})
}

type devicesFormat struct {
	namedColumns
	serials *seenSet
	byName  *seenSet // names of rows that find their device by name
}

// header takes the columns in any order, as a users file's: a name that
// differs only in case or width is taken with a warning, spaces around one
// are dropped with a warning. user is required, and serial or name.
func (d *devicesFormat) header(r *Reader, fields []string) error {
	var h headerErrors
	d.read(r, &h, deviceColumns, fields)
	if d.idx[dUser] < 0 {
		h.add("user", "csv.header.missing", "user")
	}
	if d.idx[dName] < 0 && d.idx[dSerial] < 0 {
		h.add("serial", "csv.devices.header.key")
	}
	d.serials, d.byName = r.newSeenSet(), r.newSeenSet()
	return h.err()
}

// field returns the value of column j, or "" when the file has no such
// column.
func (d *devicesFormat) field(fields []string, j int) string {
	if i := d.idx[j]; i >= 0 {
		return Restore(fields[i])
	}
	return ""
}

// bad reports whether column j holds bad bytes (reported already).
func (d *devicesFormat) bad(r *Reader, j int) bool { return d.idx[j] >= 0 && r.isBad(d.idx[j]) }

func (d *devicesFormat) record(r *Reader, rec *Record, fields []string) {
	dr := &DeviceRecord{Name: d.field(fields, dName), Serial: d.field(fields, dSerial), User: composedName(rec, "user", d.field(fields, dUser))}
	rec.Device = dr
	if d.bad(r, dName) || d.bad(r, dSerial) {
		// Reported already; the row cannot find its device.
	} else if dr.Serial == "" && dr.Name == "" {
		col := "serial"
		if d.idx[dSerial] < 0 {
			col = "name"
		}
		rec.problem(col, "csv.devices.key.required")
	}
	if dr.Name != "" && !d.bad(r, dName) {
		if err := meibo.CheckDeviceName(dr.Name); err != nil {
			rec.addError("name", err)
		}
	}
	if dr.User != "" && !d.bad(r, dUser) {
		rec.addError("user", meibo.CheckUserName(dr.User))
	}
	switch {
	case dr.Serial != "":
		if first, ok := d.serials.first(dr.Serial, rec.Row); ok {
			rec.problem("serial", "csv.devices.duplicate.serial", dr.Serial, first)
		}
	case dr.Name != "":
		if first, ok := d.byName.first(dr.Name, rec.Row); ok {
			rec.problem("name", "csv.devices.duplicate.name", dr.Name, first)
		}
	}
}

// kindDevice and the device's fields name them in the messages of writing.
var (
	kindDevice   = label{"device", "デバイス"}
	fieldSerial  = label{"serial number", "シリアル番号"}
	fieldDevUser = label{"user", "ユーザー"}
)

// DevicesWriter writes a devices file: the columns name,serial,user (the
// name of the assigned user, blank when none), CRLF line breaks. Importing
// it unchanged changes nothing. Call Flush at the end.
//
// Write refuses a device with a value the file cannot hold (see prepare)
// before writing any of it; the output so far is then incomplete and must
// be thrown away.
type DevicesWriter struct {
	cw  *csv.Writer
	enc Encoding
	rec [dCount]string
}

// NewDevicesWriter starts a devices file on w in enc (UTF8, with a BOM if
// bom, or CP932) and writes its header.
func NewDevicesWriter(w io.Writer, enc Encoding, bom bool) (*DevicesWriter, error) {
	out, err := newOutput(w, enc, bom)
	if err != nil {
		return nil, err
	}
	cw := csv.NewWriter(out)
	cw.UseCRLF = true
	if err := cw.Write(deviceColumns); err != nil {
		return nil, writeError(err)
	}
	return &DevicesWriter{cw: cw, enc: enc}, nil
}

// Write writes one device; d.UserName is written as its user.
func (w *DevicesWriter) Write(d *meibo.Device) error {
	id := d.Name
	if d.Serial != "" {
		id += " (" + d.Serial + ")"
	}
	name, err := prepare(w.enc, kindDevice, id, fieldName, Neutralise(d.Name))
	if err != nil {
		return err
	}
	serial, err := prepare(w.enc, kindDevice, id, fieldSerial, Neutralise(d.Serial))
	if err != nil {
		return err
	}
	user, err := prepare(w.enc, kindDevice, id, fieldDevUser, Neutralise(d.UserName))
	if err != nil {
		return err
	}
	w.rec = [dCount]string{name, serial, user}
	return writeError(w.cw.Write(w.rec[:]))
}

// Flush writes out what is buffered and reports any error of writing.
func (w *DevicesWriter) Flush() error {
	w.cw.Flush()
	return writeError(w.cw.Error())
}
