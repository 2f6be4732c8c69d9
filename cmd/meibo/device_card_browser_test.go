package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/meibo/meibo"
)

// TestDeviceCardLiveInBrowser opens a device's page and sees its details
// card follow a check-in (locked, a location) without a reload.
func TestDeviceCardLiveInBrowser(t *testing.T) {
	path := requireChromium(t)
	t.Parallel()
	s := startBrowserServer(t)
	svc := s.m.Service
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	tok, _, err := svc.CreateEnrolmentToken(s.sys, "G001", "alice", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	a := &agent{base: s.base, client: &http.Client{}, log: slog.New(slog.NewTextHandler(io.Discard, nil)), name: "card-phone",
		platform: "iOS", wait: 25}
	if err := a.enrol(ctx, tok); err != nil {
		t.Fatal(err)
	}
	d, err := svc.AuthenticateDevice(ctx, a.st.Secret)
	if err != nil {
		t.Fatal(err)
	}
	unlocked := false
	if _, err := svc.CheckIn(ctx, d, meibo.DeviceStatus{Model: "iPhone 15", Locked: &unlocked}, 0); err != nil {
		t.Fatal(err)
	}

	b := newTab(t, startChromium(t, path), s.base)
	b.signIn("admin", consolePassword)
	if st := b.open(fmt.Sprintf("/console/devices/%d", d.ID)); st != http.StatusOK {
		t.Fatalf("device page: %d", st)
	}
	if got := b.text(`[data-fact=lock]`); got != "Not locked" {
		t.Fatalf("lock before: %q", got)
	}
	// The page is open; the device checks in locked, somewhere.
	evalJS[bool](b, `(window.__sameDocument = true)`)
	locked := true
	battery := 42
	if _, err := svc.CheckIn(ctx, d, meibo.DeviceStatus{Model: "iPhone 15", Locked: &locked, Battery: &battery,
		Location: &meibo.Location{Latitude: 35.681236, Longitude: 139.767125, Accuracy: 12}}, 0); err != nil {
		t.Fatal(err)
	}
	b.waitFor(`document.querySelector("[data-fact=lock]").textContent.includes("Locked") &&
		document.querySelector("[data-fact=location]").textContent.includes("35.68124")`, 12*time.Second)
	if !evalJS[bool](b, `window.__sameDocument === true`) {
		t.Error("the page was reloaded")
	}
	if got := b.text(`[data-fact=battery]`); got != "42%" {
		t.Errorf("battery: %q", got)
	}
	if !b.exists(`[data-fact=location] a[href^="https://www.openstreetmap.org/"]`) {
		t.Error("no map link after the update")
	}
	b.screenshot("device-card-live-en-desktop")
}
