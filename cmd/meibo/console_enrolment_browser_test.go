package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/meibo/meibo"
)

// TestEnrolmentTokenInBrowser makes an enrolment token as an administrator
// does, on the console's enrolment page (choose the user and the lifetime,
// press the button), then runs the agent command the page shows, and sees
// the device enrolled for that user.
func TestEnrolmentTokenInBrowser(t *testing.T) {
	path := requireChromium(t)
	t.Parallel()
	s := startBrowserServer(t)
	bin := e2eBuild(t)
	b := newTab(t, startChromium(t, path), s.base)
	b.signIn("admin", consolePassword)

	if st := b.open("/console/devices?group=G001"); st != http.StatusOK {
		t.Fatalf("devices page: %d", st)
	}
	if st := b.submit(`a[href="/console/devices/enrolment?group=G001"]`); st != http.StatusOK {
		t.Fatalf("enrolment page: %d", st)
	}
	b.do(chromedp.SetValue(chromedp.CSS("#user"), "alice"), chromedp.SetValue(chromedp.CSS("#lifetime"), "1h"))
	if st := b.submit(`section[aria-labelledby="dev-new-title"] button[type=submit]`); st != http.StatusOK {
		t.Fatalf("make a token: status %d\n%s", st, b.mainText())
	}
	b.wantText("Sales (G001)")
	token := evalJS[string](b, `document.querySelector("#dev-token").value`)
	command := evalJS[string](b, `document.querySelector("#dev-command").value`)
	if !strings.HasPrefix(token, "mbe_") {
		t.Fatalf("the page shows no token:\n%s", b.mainText())
	}
	if !strings.Contains(b.text("#dev-tokens-title + table tbody"), "alice") {
		t.Errorf("the token list does not show alice's token:\n%s", b.text("#dev-tokens-title + table"))
	}
	b.screenshot("devices-enrolment-token-en-desktop")

	// The command, as copied from the page.
	args := strings.Fields(command)
	if len(args) < 2 || args[0] != "meibo" || args[1] != "agent" || !strings.Contains(command, "--token "+token) {
		t.Fatalf("agent command %q", command)
	}
	args = append(args[2:], "--name", "console-made", "--state", filepath.Join(t.TempDir(), "agent"))
	e2eStartAgent(t, bin, args...)
	sys := meibo.WithActor(t.Context(), meibo.System("browser-test"))
	var enrolled *meibo.Device
	e2eWait(t, 20*time.Second, "the device did not enrol with the console's token", func() bool {
		ds, err := s.m.Service.Devices(sys, meibo.DeviceFilter{GroupID: "G001", Keyword: "console-made"})
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 1 {
			enrolled = ds[0]
		}
		return enrolled != nil
	})
	if alice := s.userID(t, "G001", "alice"); enrolled.UserID == nil || *enrolled.UserID != alice {
		t.Errorf("the device is not alice's: %+v", enrolled)
	}
	// The page now lists the token as used.
	b.open("/console/devices/enrolment?group=G001")
	if got := b.text("#dev-tokens-title + table tbody"); !strings.Contains(got, "Used") {
		t.Errorf("the used token is not shown as used:\n%s", got)
	}
}
