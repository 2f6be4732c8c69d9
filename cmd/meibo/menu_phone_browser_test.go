package main

import (
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestJapaneseMenuAtPhoneWidth opens the console's main pages in Japanese
// on a 390 px wide phone: nothing, the menu first, makes the page wider
// than the screen.
func TestJapaneseMenuAtPhoneWidth(t *testing.T) {
	path := requireChromium(t)
	t.Parallel()
	s := startBrowserServer(t)
	b := newTab(t, startChromium(t, path), s.base)
	b.signIn("admin", consolePassword)
	b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait))
	for _, p := range []string{"/console/", "/console/groups/G001/users", "/console/imports", "/console/imports/history", "/console/admins", "/console/audit", "/console/devices"} {
		if st := b.open(p + "?lang=ja"); st != http.StatusOK {
			t.Errorf("%s: status %d", p, st)
			continue
		}
		if w := evalJS[int](b, `document.documentElement.scrollWidth`); w > 390 {
			t.Errorf("%s in Japanese is %d px wide on a 390 px screen", p, w)
		}
		// The menu opened, as a person taps it.
		b.click("details.menu > summary")
		b.waitFor(`document.querySelector("details.menu").open`, 2e9)
		if w := evalJS[int](b, `document.documentElement.scrollWidth`); w > 390 {
			t.Errorf("%s in Japanese with the menu open is %d px wide on a 390 px screen", p, w)
		}
		if w := evalJS[int](b, `Math.ceil(Math.max(...[...document.querySelectorAll("details.menu nav a")].map(a => a.getBoundingClientRect().right)))`); w > 390 {
			t.Errorf("%s: the open menu reaches %d px", p, w)
		}
	}
	b.open("/console/?lang=ja")
	b.click("details.menu > summary")
	b.screenshot("menu-ja-phone")
}
