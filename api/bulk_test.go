package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

func TestBulkUsersAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newAPIEnv(t, engine)
		e.startWorker()
		ids := map[string]string{}
		for _, n := range []string{"carol", "dave", "erin"} {
			u, err := e.svc.CreateUser(e.sys, "G1", service.UserInput{Name: n, Email: n + "@example.org"})
			if err != nil {
				t.Fatal(err)
			}
			ids[n] = itoa(u.ID)
		}
		// Refusals answer at once, with the status of their code.
		for _, c := range []struct {
			as, path, body string
			status         int
		}{
			{"", "/api/v1/groups/G1/users/bulk", `{"action":"disable","filter":{}}`, http.StatusUnauthorized},
			{"viewer", "/api/v1/groups/G1/users/bulk", `{"action":"disable","filter":{}}`, http.StatusForbidden},
			{"dept", "/api/v1/groups/G2/users/bulk", `{"action":"disable","filter":{}}`, http.StatusNotFound},
			{"manager", "/api/v1/groups/G1/users/bulk", `{"action":"explode","filter":{}}`, http.StatusUnprocessableEntity},
			{"manager", "/api/v1/groups/G1/users/bulk", `{"action":"disable"}`, http.StatusUnprocessableEntity},
			{"manager", "/api/v1/groups/G1/users/bulk", `{"action":"revoke","filter":{}}`, http.StatusUnprocessableEntity},
			{"manager", "/api/v1/groups/G1/users/bulk", `{"action":"disable","filter":{},"colour":"red"}`, http.StatusBadRequest},
			{"manager", "/api/v1/groups/G1/users/bulk", `{"action":"delete","filter":{},"deleteGroup":true,"confirm":"G2"}`, http.StatusUnprocessableEntity},
			// Deleting users, however few, repeats the group's ID.
			{"manager", "/api/v1/groups/G1/users/bulk", `{"action":"delete","filter":{"disabled":true}}`, http.StatusUnprocessableEntity},
			{"manager", "/api/v1/groups/G1/users/bulk", `{"action":"delete","ids":[1],"dryRun":true}`, http.StatusUnprocessableEntity},
			{"manager", "/api/v1/groups/G1/devices/bulk", `{"action":"disable","filter":{}}`, http.StatusUnprocessableEntity},
			{"manager", "/api/v1/groups/G1/devices/bulk", `{"action":"revoke","filter":{}}`, http.StatusForbidden},
			{"admin", "/api/v1/groups/G1/devices/bulk", `{"action":"command","filter":{},"command":"explode"}`, http.StatusUnprocessableEntity},
			{"admin", "/api/v1/groups/G1/devices/bulk", `{"action":"revoke","filter":{},"dryRun":true}`, http.StatusAccepted},
		} {
			if r := e.do("POST", c.path, c.as, c.body, nil); r.status != c.status {
				t.Errorf("%s %s as %q: %s, want %d", c.path, c.body, c.as, r, c.status)
			}
		}

		// A dry run: counts, nothing written.
		r := e.do("POST", "/api/v1/groups/G1/users/bulk", "manager", `{"action":"disable","filter":{"keyword":"ca"},"dryRun":true}`, nil)
		var job meibo.ImportJob
		if err := json.Unmarshal([]byte(r.body), &job); r.status != http.StatusAccepted || err != nil || job.Status != meibo.ImportQueued ||
			job.Format != "bulk:users.disable" || !job.DryRun || job.GroupID != "G1" {
			t.Fatalf("dry run: %s", r)
		}
		if loc := r.header.Get("Location"); loc != "/api/v1/imports/"+itoa(job.ID) {
			t.Errorf("Location %q", loc)
		}
		done := e.poll(itoa(job.ID), "manager")
		if !strings.Contains(done.body, `"status":"SUCCESS"`) || !strings.Contains(done.body, `"updated":1`) || !strings.Contains(done.body, `"dryRun":true`) {
			t.Errorf("dry run job: %s", done)
		}
		if r := e.do("GET", "/api/v1/groups/G1/users?q=carol", "manager", "", nil); !strings.Contains(r.body, `"disabled":false`) {
			t.Errorf("the dry run wrote: %s", r)
		}
		if r := e.do("GET", "/api/v1/imports/"+itoa(job.ID)+"/changes", "manager", "", nil); r.status != http.StatusOK || r.body != `{"changes":[]}`+"\n" {
			t.Errorf("changes of the dry run: %q", r)
		}

		// Everything the filter matches, for real.
		r = e.do("POST", "/api/v1/groups/G1/users/bulk", "manager", `{"action":"users.disable","filter":{"keyword":"ca"}}`, nil)
		if err := json.Unmarshal([]byte(r.body), &job); r.status != http.StatusAccepted || err != nil {
			t.Fatalf("disable: %s", r)
		}
		done = e.poll(itoa(job.ID), "manager")
		if !strings.Contains(done.body, `"status":"SUCCESS"`) || !strings.Contains(done.body, `"updated":1`) {
			t.Errorf("disable job: %s", done)
		}
		if r := e.do("GET", "/api/v1/groups/G1/users?q=carol", "manager", "", nil); !strings.Contains(r.body, `"disabled":true`) {
			t.Errorf("carol not disabled: %s", r)
		}
		if r := e.do("GET", "/api/v1/groups/G1/users?q=dave", "manager", "", nil); !strings.Contains(r.body, `"disabled":false`) {
			t.Errorf("dave disabled: %s", r)
		}

		// What it changed, user by user, a page at a time.
		r = e.do("POST", "/api/v1/groups/G1/users/bulk", "manager", `{"action":"disable","ids":[`+ids["dave"]+`,`+ids["erin"]+`]}`, nil)
		if err := json.Unmarshal([]byte(r.body), &job); r.status != http.StatusAccepted || err != nil {
			t.Fatalf("disable by IDs: %s", r)
		}
		if done := e.poll(itoa(job.ID), "manager"); !strings.Contains(done.body, `"updated":2`) {
			t.Fatalf("disable by IDs: %s", done)
		}
		var page struct {
			Changes []struct {
				Seq int `json:"seq"`
				meibo.ImportChange
			} `json:"changes"`
		}
		var got []string
		for after := 0; ; {
			r := e.do("GET", "/api/v1/imports/"+itoa(job.ID)+"/changes?limit=1&after="+itoa(int64(after)), "manager", "", nil)
			if err := json.Unmarshal([]byte(r.body), &page); r.status != http.StatusOK || err != nil || len(page.Changes) > 1 {
				t.Fatalf("changes after %d: %s", after, r)
			}
			if len(page.Changes) == 0 {
				break
			}
			c := page.Changes[0]
			got = append(got, fmt.Sprintf("%d %d %s %s %s %s", c.Seq, c.Row, c.Kind, c.Action, c.Name, c.Changes))
			after = c.Seq
		}
		if want := []string{"1 2 user updated dave disabled: no → yes", "2 3 user updated erin disabled: no → yes"}; !slices.Equal(got, want) {
			t.Errorf("changes of the bulk job:\n%q\nwant\n%q", got, want)
		}

		// IDs: one of another group refuses the whole job.
		r = e.do("POST", "/api/v1/groups/G1/users/bulk", "manager", `{"action":"delete","ids":[`+e.ids["u1"]+`,`+e.ids["u2"]+`],"confirm":"G1"}`, nil)
		if err := json.Unmarshal([]byte(r.body), &job); r.status != http.StatusAccepted || err != nil {
			t.Fatalf("delete: %s", r)
		}
		done = e.poll(itoa(job.ID), "manager")
		if !strings.Contains(done.body, `"status":"FAILED"`) || !strings.Contains(done.body, "is not in this group") {
			t.Errorf("delete job: %s", done)
		}
		if r := e.do("GET", "/api/v1/users/"+e.ids["u1"], "manager", "", nil); r.status != http.StatusOK {
			t.Errorf("alice deleted by a refused job: %s", r)
		}

		// The group and its users, confirmed.
		r = e.do("POST", "/api/v1/groups/G1/users/bulk", "manager", `{"action":"delete","filter":{},"deleteGroup":true,"confirm":"G1"}`, nil)
		if err := json.Unmarshal([]byte(r.body), &job); r.status != http.StatusAccepted || err != nil {
			t.Fatalf("delete group: %s", r)
		}
		done = e.poll(itoa(job.ID), "manager")
		if !strings.Contains(done.body, `"status":"SUCCESS"`) || !strings.Contains(done.body, `"deleted":5`) {
			t.Errorf("delete group job: %s", done)
		}
		if r := e.do("GET", "/api/v1/groups/G1", "manager", "", nil); r.status != http.StatusNotFound {
			t.Errorf("group after delete: %s", r)
		}
		if r := e.do("GET", "/api/v1/imports/"+itoa(job.ID)+"/changes", "manager", "", nil); strings.Count(r.body, `"action":"deleted"`) != 5 ||
			!strings.Contains(r.body, `{"seq":5,"row":6,"kind":"user","action":"deleted","name":"`) {
			t.Errorf("changes of the delete job: %s", r)
		}
		// The department administrator cannot see a job of G2.
		r = e.do("POST", "/api/v1/groups/G2/users/bulk", "manager", `{"action":"signout","filter":{}}`, nil)
		if err := json.Unmarshal([]byte(r.body), &job); r.status != http.StatusAccepted || err != nil {
			t.Fatalf("signout: %s", r)
		}
		if r := e.do("GET", "/api/v1/imports/"+itoa(job.ID), "dept", "", nil); r.status != http.StatusNotFound {
			t.Errorf("dept reads G2's job: %s", r)
		}
	})
}
