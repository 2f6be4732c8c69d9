package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/meibo/meibo/store/storetest"
)

// TestDeviceCheckInRanges: a check-in whose values are out of range is
// recorded without them (the device's values before stay) and hands over
// the commands all the same, its answer naming every value left out with
// what it allows; values at the bounds are taken. A command's result with
// a location out of range counts without it; an enrolment is refused.
func TestDeviceCheckInRanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newDxEnv(t, engine)
		var out struct {
			Commands []struct {
				Action string `json:"action"`
			} `json:"commands"`
			Ignored map[string]string `json:"ignored"`
		}
		// A lock waits; the check-in that comes has every value out of
		// range but the model: the lock is handed over, the model kept.
		r := e.do("POST", "/api/v1/devices/{d1}/commands", "emergency", `{"action":"lock"}`, nil)
		if r.status != 202 {
			t.Fatalf("queue: %s", r)
		}
		long := strings.Repeat("x", 5000)
		r = e.do("POST", "/device/v1/checkin", "d1",
			`{"battery":-99999,"model":"Pixel 8","location":{"lat":1e308,"lon":-1e308,"accuracy":-1,"at":"9999-12-31T23:59:59Z"},"osVersion":"`+long+`"}`, nil)
		if r.status != 200 || json.Unmarshal([]byte(r.body), &out) != nil || len(out.Commands) != 1 || out.Commands[0].Action != "lock" {
			t.Fatalf("an out-of-range check-in: %s", r)
		}
		want := map[string]string{"battery": "from 0 to 100", "location.lat": "from -90 to 90", "location.lon": "from -180 to 180",
			"location.accuracy": "from 0", "location.at": "later than the server's time", "osVersion": "at most 128 characters"}
		for f, text := range want {
			if !strings.Contains(out.Ignored[f], text) {
				t.Errorf("field %s: %q, want it to say %q", f, out.Ignored[f], text)
			}
		}
		if len(out.Ignored) != len(want) {
			t.Errorf("ignored %v, want those of %v", out.Ignored, want)
		}
		if strings.Contains(r.body, "00000000000") {
			t.Errorf("the answer writes a number out in full: %s", r)
		}
		r = e.do("GET", "/api/v1/devices/{d1}", "devadmin", "", nil)
		if r.status != 200 || !strings.Contains(r.body, `"battery":null`) || !strings.Contains(r.body, `"location":null`) ||
			!strings.Contains(r.body, `"osVersion":""`) || !strings.Contains(r.body, `"model":"Pixel 8"`) || strings.Contains(r.body, `"lastCheckInAt":null`) {
			t.Fatalf("after the check-in: %s", r)
		}
		// A value out of range keeps the one before.
		if r := e.do("POST", "/device/v1/checkin", "d1", `{"battery":55}`, nil); r.status != 200 || strings.Contains(r.body, "ignored") {
			t.Fatalf("battery 55: %s", r)
		}

		// One field out of range: the answer says which and what is allowed.
		now := time.Now().UTC()
		loc := func(lat, lon, acc string, at time.Time) string {
			return fmt.Sprintf(`{"location":{"lat":%s,"lon":%s,"accuracy":%s,"at":%q}}`, lat, lon, acc, at.Format(time.RFC3339))
		}
		for _, c := range []struct{ name, body, field, says string }{
			{"a battery over 100", `{"battery":101}`, "battery", "battery is a percentage from 0 to 100, not 101."},
			{"a battery below 0", `{"battery":-1}`, "battery", "not -1"},
			{"a latitude past the pole", loc("90.0001", "0", "5", now), "location.lat", "location.lat is a latitude from -90 to 90, not 90.0001."},
			{"a latitude of 1e308", loc("1e308", "0", "5", now), "location.lat", "not 1e+308"},
			{"a longitude past 180", loc("0", "-180.5", "5", now), "location.lon", "location.lon is a longitude from -180 to 180, not -180.5."},
			{"a negative accuracy", loc("0", "0", "-0.5", now), "location.accuracy", "not -0.5"},
			{"an accuracy larger than the Earth", loc("0", "0", "1e9", now), "location.accuracy", "not 1e+09"},
			{"a time in the future", loc("0", "0", "5", now.Add(10*time.Minute)), "location.at", "later than the server's time"},
			{"a time before 2000", loc("0", "0", "5", time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC)), "location.at", "is before 2000"},
			{"a model too long", `{"model":"` + strings.Repeat("m", 129) + `"}`, "model", "model may be at most 128 characters; this has 129."},
			{"a platform with a line break", `{"platform":"android\n"}`, "platform", "platform may not contain control characters"},
			{"an OS version with an escape", `{"osVersion":"14\u001b[31m"}`, "osVersion", "osVersion may not contain control characters"},
		} {
			r := e.do("POST", "/device/v1/checkin", "d1", c.body, nil)
			out.Ignored = nil
			if r.status != 200 || json.Unmarshal([]byte(r.body), &out) != nil || len(out.Ignored) != 1 ||
				!strings.Contains(out.Ignored[c.field], c.says) {
				t.Errorf("%s: %s, want 200 leaving out %s, saying %q", c.name, r, c.field, c.says)
			}
		}
		r = e.do("GET", "/api/v1/devices/{d1}", "devadmin", "", nil)
		if r.status != 200 || !strings.Contains(r.body, `"battery":55`) || !strings.Contains(r.body, `"model":"Pixel 8"`) || !strings.Contains(r.body, `"location":null`) {
			t.Fatalf("values out of range replaced those before: %s", r)
		}

		// Values at the bounds are taken.
		for _, body := range []string{
			`{"battery":0}`,
			loc("-90", "-180", "0", now.Add(4*time.Minute)),
			loc("90", "180", "20000000", time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)),
			`{"battery":100,"model":"` + strings.Repeat("機", 128) + `","osVersion":"Android 14 (build UP1A.231005.007)","platform":"android","location":{"lat":35.681236,"lon":139.767125,"accuracy":12.5}}`,
		} {
			if r := e.do("POST", "/device/v1/checkin", "d1", body, nil); r.status != 200 {
				t.Errorf("check-in %s: %s", body, r)
			}
		}
		r = e.do("GET", "/api/v1/devices/{d1}", "devadmin", "", nil)
		if r.status != 200 || !strings.Contains(r.body, `"battery":100`) || !strings.Contains(r.body, `"lat":35.681236`) {
			t.Errorf("after the check-ins in range: %s", r)
		}

		// A command's result counts without a location out of range.
		r = e.do("POST", "/api/v1/devices/{d1}/commands", "emergency", `{"action":"locate"}`, nil)
		if r.status != 202 {
			t.Fatalf("queue: %s", r)
		}
		e.ids["c1"] = dxID(t, r)
		if r := e.do("POST", "/device/v1/checkin", "d1", "", nil); r.status != 200 || !strings.Contains(r.body, `"action":"locate"`) {
			t.Fatalf("deliver: %s", r)
		}
		r = e.do("POST", "/device/v1/commands/{c1}/result", "d1", `{"status":"done","location":{"lat":-91,"lon":0,"accuracy":3}}`, nil)
		if r.status != 200 || !strings.Contains(r.body, `"ignored":{"location.lat":"location.lat is a latitude from -90 to 90, not -91."}`) {
			t.Errorf("a result with a location out of range: %s", r)
		}
		if r := e.do("GET", "/api/v1/devices/{d1}/commands", "devadmin", "", nil); !strings.Contains(r.body, `"status":"done"`) {
			t.Errorf("the result did not finish the command: %s", r)
		}
		if r := e.do("GET", "/api/v1/devices/{d1}", "devadmin", "", nil); strings.Contains(r.body, "-91") {
			t.Errorf("the location out of range was recorded: %s", r)
		}

		// So is an enrolment's description of the device.
		r = e.do("POST", "/api/v1/groups/G1/enrolment-tokens", "devadmin", "", nil)
		var tok struct {
			Token string `json:"token"`
		}
		if r.status != 201 || json.Unmarshal([]byte(r.body), &tok) != nil {
			t.Fatalf("token: %s", r)
		}
		r = e.do("POST", "/device/v1/enrol", "", `{"token":"`+tok.Token+`","name":"Kiosk","model":"K\u0007"}`, nil)
		if r.status != 422 || !strings.Contains(r.body, `"model":"model may not contain control characters`) {
			t.Errorf("an enrolment with a control character: %s", r)
		}
		if r := e.do("POST", "/device/v1/enrol", "", `{"token":"`+tok.Token+`","name":"Kiosk","model":"K1"}`, nil); r.status != 201 {
			t.Errorf("the same enrolment without it: %s", r)
		}
	})
}
