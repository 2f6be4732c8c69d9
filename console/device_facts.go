package console

import (
	"strconv"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/web"
)

// deviceFacts is what the details card of a device's page shows that a
// check-in changes, as its page asks for it with the command statuses
// (handleDeviceCommandsJSON) to keep the card live.
type deviceFacts struct {
	CheckIn  string `json:"checkin"`
	Battery  string `json:"battery"`
	Locked   bool   `json:"locked"`
	Lock     string `json:"lock"`
	Location string `json:"location"` // "35.68124, 139.76713 (±12 m), 2026-12-05 15:30"
	MapURL   string `json:"mapUrl,omitempty"`
	MapLabel string `json:"mapLabel,omitempty"`
	Online   bool   `json:"online"`
}

func (c *Console) deviceFacts(lang meibo.Lang, d *meibo.Device) deviceFacts {
	v := c.deviceView(d)
	when := func(t *time.Time) string {
		if t == nil || t.IsZero() {
			return "—"
		}
		return t.In(c.loc).Format("2006-01-02 15:04") // as the page writes it
	}
	f := deviceFacts{CheckIn: when(d.LastCheckInAt), Battery: "—", Locked: d.Locked, Lock: web.T(lang, "device.unlocked"),
		Location: "—", Online: v.Online}
	if d.Battery != nil {
		f.Battery = strconv.Itoa(*d.Battery) + "%"
	}
	if d.Locked {
		f.Lock = web.T(lang, "device.locked")
	}
	if v.Location != "" {
		f.Location = v.Location + ", " + when(v.LocAt)
		f.MapURL, f.MapLabel = v.MapURL, web.T(lang, "device.map")
	}
	return f
}
