package api_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/meibo/meibo/store/storetest"
)

// TestThrottlesAPI: the emergency procedure over the API. The built-in admin
// holds authority 26; "viewer" (Log Viewer without 26) is refused and
// changes nothing.
func TestThrottlesAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newAPIEnv(t, engine)
		for range 6 {
			e.do("POST", "/api/v1/login", "", `{"loginId":"manager","password":"Wrong-pass-phrase-1"}`, nil)
		}
		if r := e.do("POST", "/api/v1/login", "", `{"loginId":"manager","password":"Velvet-summit-88"}`, nil); r.status != 429 {
			t.Fatalf("a locked pair signs in: %s", r)
		} else if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra < 1 || !strings.Contains(r.body, fmt.Sprintf("Wait %d second", ra)) {
			t.Errorf("the wait in Retry-After and in the message: %q, %s", r.header.Get("Retry-After"), r)
		}

		if r := e.do("GET", "/api/v1/throttles", "viewer", "", nil); r.status != 403 || strings.Contains(r.body, "manager") {
			t.Errorf("without 26: %s", r)
		}
		r := e.do("GET", "/api/v1/throttles", "admin", "", nil)
		var list struct {
			Throttles []struct {
				Key     string `json:"key"`
				Kind    string `json:"kind"`
				Address string `json:"address"`
				Account *struct {
					Kind string `json:"kind"`
					Name string `json:"name"`
				} `json:"account"`
				Until *string `json:"until"`
			} `json:"throttles"`
		}
		if err := json.Unmarshal([]byte(r.body), &list); r.status != 200 || err != nil {
			t.Fatalf("throttles: %s", r)
		}
		key := ""
		for _, en := range list.Throttles {
			if en.Kind == "account" && en.Account != nil && en.Account.Kind == "admin" && en.Account.Name == "manager" {
				key = en.Key
			}
		}
		if key == "" || list.Throttles[0].Until == nil {
			t.Fatalf("manager's counter in %s", r)
		}
		body, _ := json.Marshal(map[string]string{"key": key})
		if r := e.do("POST", "/api/v1/throttles/lift", "viewer", string(body), nil); r.status != 403 {
			t.Errorf("lift without 26: %s", r)
		}
		if r := e.do("POST", "/api/v1/login", "", `{"loginId":"manager","password":"Velvet-summit-88"}`, nil); r.status != 429 {
			t.Fatalf("a refused lift lifted: %s", r)
		}
		if r := e.do("POST", "/api/v1/throttles/lift", "admin", string(body), nil); r.status != 200 || !strings.Contains(r.body, `"lifted"`) {
			t.Fatalf("lift: %s", r)
		}
		if r := e.do("POST", "/api/v1/throttles/lift", "admin", string(body), nil); r.status != 404 {
			t.Errorf("lift again: %s", r)
		}
		if r := e.do("POST", "/api/v1/login", "", `{"loginId":"manager","password":"Velvet-summit-88"}`, nil); r.status != 200 {
			t.Fatalf("after the lift: %s", r)
		}

		// Ending sessions and tokens.
		if r := e.do("POST", "/api/v1/admins/{a_manager}/end-sessions", "viewer", "", nil); r.status != 403 {
			t.Errorf("end sessions without 26: %s", r)
		}
		if r := e.do("GET", "/api/v1/me", "manager", "", nil); r.status != 200 {
			t.Fatalf("manager's token after a refused end: %s", r)
		}
		if r := e.do("POST", "/api/v1/admins/{a_manager}/end-sessions", "admin", "", nil); r.status != 200 || !strings.Contains(r.body, `"name":"manager"`) {
			t.Fatalf("end sessions: %s", r)
		}
		if r := e.do("GET", "/api/v1/me", "manager", "", nil); r.status != 401 {
			t.Errorf("manager's token after the end: %s", r)
		}
		if r := e.do("POST", "/api/v1/users/{u1}/end-sessions", "admin", "", nil); r.status != 200 || !strings.Contains(r.body, `"name":"alice"`) {
			t.Errorf("end a user's sessions: %s", r)
		}
		if r := e.do("POST", "/api/v1/users/999999/end-sessions", "admin", "", nil); r.status != 404 {
			t.Errorf("end an unknown user's sessions: %s", r)
		}
	})
}
