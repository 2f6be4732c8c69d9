package service

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/meibo/meibo"
)

// The bounds of what a device reports about itself, at enrolment, at a
// check-in and with a command's result. The portal and the console show
// these values (a location also as a map link): a value out of range is
// never stored. An enrolment with one is refused, field by field; a
// check-in or a command's result is recorded without it (a device whose
// battery reads -1 must still receive the lock of its owner).
const (
	// deviceTextMax bounds the device's own texts (platform, model,
	// osVersion, serial), in characters.
	deviceTextMax = 128
	// maxAccuracy bounds a location's accuracy, in metres: no two points
	// of the Earth are farther apart along its surface.
	maxAccuracy = 20_000_000
	// clockSkew is how far a device's clock may run ahead of the server's
	// for the time of a location.
	clockSkew = 5 * time.Minute
)

// earliestLocation is the earliest time a location may carry: one before is
// a device's clock that was never set.
var earliestLocation = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

func init() {
	meibo.RegisterMessages(map[string][2]string{
		"device.text.long": {"%s may be at most %d characters; this has %d.",
			"%s は%d文字以内です(この値は%d文字です)。"},
		"device.text.control": {"%s may not contain control characters (such as tabs or line breaks).",
			"%s にタブや改行などの制御文字は使用できません。"},
		"device.battery": {"battery is a percentage from 0 to 100, not %d.",
			"battery は0から100までのパーセントで指定してください(%d は範囲外です)。"},
		"device.lat": {"location.lat is a latitude from -90 to 90, not %s.",
			"location.lat は-90から90までの緯度で指定してください(%s は範囲外です)。"},
		"device.lon": {"location.lon is a longitude from -180 to 180, not %s.",
			"location.lon は-180から180までの経度で指定してください(%s は範囲外です)。"},
		"device.accuracy": {"location.accuracy is a radius in metres from 0 to 20000000, not %s.",
			"location.accuracy は0から20000000までの半径(メートル)で指定してください(%s は範囲外です)。"},
		"device.at.future": {"location.at (%s) is later than the server's time (%s) by more than %d minutes: set the device's clock, or leave at out to mean now.",
			"location.at (%s) がサーバーの時刻 (%s) より%d分以上先です。デバイスの時計を合わせるか、at を省略してください(現在時刻になります)。"},
		"device.at.past": {"location.at (%s) is before 2000: set the device's clock, or leave at out to mean now.",
			"location.at (%s) が2000年より前です。デバイスの時計を合わせるか、at を省略してください(現在時刻になります)。"},
	})
}

// checkDeviceText refuses a device's text longer than deviceTextMax
// characters or holding control characters.
func checkDeviceText(v *meibo.Validation, field, s string) {
	switch n := utf8.RuneCountInString(s); {
	case n > deviceTextMax:
		v.Add(field, "device.text.long", field, deviceTextMax, n)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		v.Add(field, "device.text.control", field)
	}
}

// checkDeviceStatus refuses a check-in whose values are out of range: texts
// as checkDeviceText, battery 0 to 100, and the location as checkLocation.
func checkDeviceStatus(st meibo.DeviceStatus, now time.Time) error {
	var v meibo.Validation
	checkDeviceText(&v, "platform", st.Platform)
	checkDeviceText(&v, "model", st.Model)
	checkDeviceText(&v, "osVersion", st.OSVersion)
	if b := st.Battery; b != nil && (*b < 0 || *b > 100) {
		v.Add("battery", "device.battery", *b)
	}
	checkLocation(&v, st.Location, now)
	return v.Err()
}

// validStatus returns st without its values out of range (a location
// whole), which keeps what the device reported before, and the refusal
// that names them (nil when there are none).
func validStatus(st meibo.DeviceStatus, now time.Time) (meibo.DeviceStatus, *meibo.Error) {
	err := checkDeviceStatus(st, now)
	if err == nil {
		return st, nil
	}
	e := meibo.AsError(err)
	for field := range e.Fields {
		switch {
		case field == "platform":
			st.Platform = ""
		case field == "model":
			st.Model = ""
		case field == "osVersion":
			st.OSVersion = ""
		case field == "battery":
			st.Battery = nil
		case strings.HasPrefix(field, "location."):
			st.Location = nil
		}
	}
	return st, e
}

// DeviceStatusIgnored returns the values of a check-in that CheckIn leaves
// out as out of range, by field, for the device's answer (nil when none).
func (s *Service) DeviceStatusIgnored(st meibo.DeviceStatus) *meibo.Error {
	_, e := validStatus(st, s.now())
	return e
}

// checkLocation refuses a location out of range: a latitude within ±90, a
// longitude within ±180, an accuracy from 0 to maxAccuracy metres (finite
// numbers all), and a time (when given: none means now) from 2000 to now
// plus clockSkew.
func checkLocation(v *meibo.Validation, l *meibo.Location, now time.Time) {
	if l == nil {
		return
	}
	if !within(l.Latitude, -90, 90) {
		v.Add("location.lat", "device.lat", number(l.Latitude))
	}
	if !within(l.Longitude, -180, 180) {
		v.Add("location.lon", "device.lon", number(l.Longitude))
	}
	if !within(l.Accuracy, 0, maxAccuracy) {
		v.Add("location.accuracy", "device.accuracy", number(l.Accuracy))
	}
	switch at := l.At; {
	case at.IsZero():
	case at.After(now.Add(clockSkew)):
		v.Add("location.at", "device.at.future", at.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), int(clockSkew/time.Minute))
	case at.Before(earliestLocation):
		v.Add("location.at", "device.at.past", at.UTC().Format(time.RFC3339))
	}
}

// within reports whether x is a finite number from lo to hi.
func within(x, lo, hi float64) bool {
	return !math.IsNaN(x) && x >= lo && x <= hi
}

// number writes a refused number briefly (1e+308, not 309 digits).
func number(x float64) string {
	return strconv.FormatFloat(x, 'g', 8, 64)
}
