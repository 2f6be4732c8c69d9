package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
)

// enrolDevices enrols n devices named prefix-001… in group, as an agent
// does with a token made for it.
func enrolDevices(t *testing.T, s *browserServer, group, prefix string, n int) []*meibo.Device {
	t.Helper()
	var out []*meibo.Device
	for i := 1; i <= n; i++ {
		token, _, err := s.m.Service.CreateEnrolmentToken(s.sys, group, "", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("%s-%03d", prefix, i)
		_, d, err := s.m.Service.Enrol(s.sys, service.EnrolInfo{Token: token, Name: name, Serial: "SN-" + name, Model: "Model X", Platform: "test"}, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

// queuedCommands counts the commands waiting for the devices.
func queuedCommands(t *testing.T, s *browserServer, ds []*meibo.Device, action meibo.Action) int {
	t.Helper()
	n := 0
	for _, d := range ds {
		cs, err := s.m.Service.DeviceCommands(s.sys, d.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if c.Action == action && c.Status == meibo.CommandQueued {
				n++
			}
		}
	}
	return n
}

// TestDevicesBulkInBrowser drives the bulk actions of the devices list in
// Chromium: search, tick the page, take "all 55 matching" (more than a
// page), send them a lock through a dry run and then for real (English,
// laptop); revoke two ticked devices (Japanese, 390 px phone).
func TestDevicesBulkInBrowser(t *testing.T) {
	chromium := requireChromium(t)
	t.Parallel()
	s := startBrowserServer(t)
	vans := enrolDevices(t, s, "G002", "van", 55)
	desks := enrolDevices(t, s, "G002", "desk", 5)
	b := newTab(t, startChromium(t, chromium), s.base)
	b.signIn("admin", consolePassword)

	t.Run("lock all matching", func(t *testing.T) {
		b := b.with(t)
		if st := b.open("/console/devices?group=G002&lang=en"); st != http.StatusOK {
			t.Fatalf("devices page: %d", st)
		}
		b.set("#q", "van")
		if st := b.submit(`form[role=search] button[type=submit]`); st != http.StatusOK {
			t.Fatalf("search: %d", st)
		}
		if !strings.Contains(b.location(), "q=van") {
			t.Errorf("the search is not in the address: %s", b.location())
		}
		if n := evalJS[int](b, `document.querySelectorAll("input[data-bulk-row]").length`); n != 50 {
			t.Fatalf("%d devices to tick on the page, want 50", n)
		}
		// The command's fields show for "Send a command" only; the
		// message's for a message only.
		b.choose("#bulk-action", "devices.revoke")
		if vis := evalJS[bool](b, `!document.querySelector("#bulk-command").closest(".field").hidden`); vis {
			t.Error("the command shows for a revocation")
		}
		b.choose("#bulk-action", "devices.command")
		if vis := evalJS[bool](b, `!document.querySelector("#bulk-command").closest(".field").hidden`); !vis {
			t.Error("the command is hidden for a command")
		}
		if vis := evalJS[bool](b, `!document.querySelector("#bulk-message").closest(".field").hidden`); vis {
			t.Error("the message shows for a lock")
		}
		b.click("#bulk-page")
		b.waitFor(`!document.querySelector("[data-bulk-banner]").hidden`, 5*time.Second)
		b.wantText("All devices on this page are selected.", "Select all 55 devices matching")
		b.click("[data-bulk-all]")
		b.waitFor(`!document.querySelector("[data-bulk-all-on]").hidden`, 5*time.Second)
		b.wantText("All 55 devices matching this search are selected.")
		b.choose("#bulk-command", "lock")
		b.screenshot("devices-bulk-select-all-en-desktop")
		if st := b.submit(`#bulk button[type=submit]`); st != http.StatusOK {
			t.Fatalf("continue: %d\n%s", st, b.mainText())
		}
		b.wantText("This applies to all 55 enrolled devices matching the search of the list.", "keyword: van")
		if got := evalJS[string](b, `document.querySelector("#bulk-command").value`); got != "lock" {
			t.Errorf("the confirmation's command is %q", got)
		}
		if n := evalJS[int](b, `document.querySelectorAll("form input[name=id]").length`); n != 0 {
			t.Errorf("the confirmation carries %d IDs", n)
		}
		b.screenshot("devices-bulk-confirm-en-desktop")

		// A preview counts and queues nothing.
		if st := b.submit(`button[name=go][value=preview]`); st != http.StatusOK {
			t.Fatalf("preview: %d\n%s", st, b.mainText())
		}
		b.waitJob(jobOnPage(t, b))
		if got := b.text(`[data-field=updated]`); got != "55" {
			t.Errorf("the preview would lock %s devices, want 55\n%s", got, b.mainText())
		}
		if n := queuedCommands(t, s, vans, meibo.ActionLock); n != 0 {
			t.Fatalf("the preview queued %d locks", n)
		}
		b.wantText("Bulk: send a command to devices")

		// Then for real, from the list again.
		b.open("/console/devices?group=G002&q=van")
		b.click("#bulk-page")
		b.click("[data-bulk-all]")
		b.choose("#bulk-action", "devices.command")
		b.choose("#bulk-command", "lock")
		b.submit(`#bulk button[type=submit]`)
		if st := b.submit(`button[name=go][value=run]`); st != http.StatusOK {
			t.Fatalf("apply: %d\n%s", st, b.mainText())
		}
		job := jobOnPage(t, b)
		b.waitJob(job)
		b.wantText("SUCCESS")
		if got := b.text(`[data-field=updated]`); got != "55" {
			t.Errorf("the job locked %s devices, want 55\n%s", got, b.mainText())
		}
		b.screenshot("devices-bulk-job-en-desktop")
		if n := queuedCommands(t, s, vans, meibo.ActionLock); n != 55 {
			t.Errorf("%d locks queued for the vans, want 55", n)
		}
		if n := queuedCommands(t, s, desks, meibo.ActionLock); n != 0 {
			t.Errorf("%d locks queued for the desks, which the search left out", n)
		}
		// The history and the audit log hold it.
		b.open("/console/imports")
		b.wantText("Bulk: send a command to devices")
		evs, err := s.m.Service.AuditEvents(s.sys, meibo.AuditFilter{Action: "bulk.success", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 2 || evs[0].Details["updated"] != float64(55) || evs[0].ObjectID != job || evs[0].Details["command"] != "lock" {
			t.Errorf("audit events %+v", evs)
		}
	})

	t.Run("revoke ticked devices", func(t *testing.T) {
		b := b.with(t)
		b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait))
		defer b.do(chromedp.EmulateViewport(1280, 800))
		if st := b.open("/console/devices?group=G002&q=desk&lang=ja"); st != http.StatusOK {
			t.Fatalf("devices page: %d", st)
		}
		for _, d := range desks[:2] {
			b.click(fmt.Sprintf(`input[data-bulk-row][value="%d"]`, d.ID))
		}
		if vis := evalJS[bool](b, `!document.querySelector("[data-bulk-banner]").hidden`); vis {
			t.Error("the banner of a whole page shows with two of five ticked")
		}
		b.choose("#bulk-action", "devices.revoke")
		b.screenshot("devices-bulk-select-ja-phone")
		if w := evalJS[float64](b, `document.documentElement.scrollWidth`); w > 390 {
			t.Errorf("the devices page is %vpx wide on a 390px phone", w)
		}
		if st := b.submit(`#bulk button[type=submit]`); st != http.StatusOK {
			t.Fatalf("continue: %d\n%s", st, b.mainText())
		}
		b.wantText("選択した 2 台が対象です。")
		if st := b.submit(`button[name=go][value=run]`); st != http.StatusOK {
			t.Fatalf("apply: %d\n%s", st, b.mainText())
		}
		b.waitJob(jobOnPage(t, b))
		b.wantText("一括:デバイスを失効")
		if got := b.text(`[data-field=updated]`); got != "2" {
			t.Errorf("revoked %s devices, want 2\n%s", got, b.mainText())
		}
		b.screenshot("devices-bulk-job-ja-phone")
		if w := evalJS[float64](b, `document.documentElement.scrollWidth`); w > 390 {
			t.Errorf("the job page is %vpx wide on a 390px phone", w)
		}
		for i, d := range desks {
			got, err := s.m.Service.Device(s.sys, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			if want := i < 2; (got.RevokedAt != nil) != want {
				t.Errorf("%s revoked: %v, want %v", d.Name, got.RevokedAt != nil, want)
			}
		}
		// Nothing to tick for a revoked device.
		b.open("/console/devices?group=G002&q=desk&revoked=1")
		if n := evalJS[int](b, `document.querySelectorAll("input[data-bulk-row]").length`); n != 3 {
			t.Errorf("%d devices to tick among 3 enrolled and 2 revoked", n)
		}
	})
}
