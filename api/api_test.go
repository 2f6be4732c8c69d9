package api_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/store/storetest"
)

// scenario is one request and what its answer must and must not hold (as
// PocketBase's ApiScenario).
type scenario struct {
	name      string
	method    string
	path      string // {u1}, {j2}… are replaced by the IDs of the set-up objects
	as        string // administrator whose token is sent; "" none, "bad" a made-up one
	body      string
	upload    *upload
	status    int
	expect    []string
	notExpect []string
	headers   map[string]string // headers the answer must have, by prefix of their value
}

// downloadHeaders are the headers of every file download.
var downloadHeaders = map[string]string{
	"Content-Disposition":    "attachment",
	"Cache-Control":          "no-store",
	"X-Content-Type-Options": "nosniff",
}

func usersUpload(group, file string) *upload {
	return &upload{fields: map[string]string{"format": "users", "group": group}, file: []byte(file)}
}

var scenarios = []scenario{
	// Signing in: a wrong password and an unknown ID get the same answer.
	{name: "login", method: "POST", path: "/api/v1/login", body: `{"loginId":"admin","password":"Root-pass-phrase-1"}`,
		status: 200, expect: []string{`"token":"mbo_`, `"loginId":"admin"`}},
	{name: "login with a wrong password", method: "POST", path: "/api/v1/login", body: `{"loginId":"admin","password":"Wrong-pass-phrase-1"}`,
		status: 401, expect: []string{`"code":"unauthorized"`, "The ID or password is not correct."}, notExpect: []string{"token"}},
	{name: "login of an unknown administrator", method: "POST", path: "/api/v1/login", body: `{"loginId":"nobody","password":"Wrong-pass-phrase-1"}`,
		status: 401, expect: []string{`"code":"unauthorized"`, "The ID or password is not correct."}, notExpect: []string{"nobody"}},
	{name: "login with malformed JSON", method: "POST", path: "/api/v1/login", body: `{"loginId":`,
		status: 400, expect: []string{`"code":"bad_request"`, "malformed JSON"}},

	// Authentication.
	{name: "no token", method: "GET", path: "/api/v1/me", status: 401, expect: []string{`"code":"unauthorized"`},
		headers: map[string]string{"Www-Authenticate": "Bearer"}},
	{name: "a bad token", method: "GET", path: "/api/v1/me", as: "bad", status: 401, expect: []string{`"code":"unauthorized"`, "not valid"}},
	{name: "no token for an import", method: "POST", path: "/api/v1/imports", upload: usersUpload("G1", "name,password,email\r\n"), status: 401},
	{name: "no token for an export", method: "GET", path: "/api/v1/exports/admins", status: 401, notExpect: []string{"AUTOBACKUPUSER"}},
	{name: "own account without viewing authority", method: "GET", path: "/api/v1/me", as: "blind", status: 200, expect: []string{`"loginId":"blind"`}},

	// Authority gates.
	{name: "no viewing authority", method: "GET", path: "/api/v1/groups", as: "blind", status: 403, expect: []string{`"code":"forbidden"`}},
	{name: "no viewing authority, users", method: "GET", path: "/api/v1/groups/G1/users", as: "blind", status: 403},
	{name: "log viewer cannot list users", method: "GET", path: "/api/v1/groups/G1/users", as: "viewer", status: 403},
	{name: "import without 31", method: "POST", path: "/api/v1/imports", as: "noimport", upload: usersUpload("G1", "name,password,email\r\ncarol,,\r\n"),
		status: 403, expect: []string{`"code":"forbidden"`, "Import CSV file"}},
	{name: "import of administrators by a department administrator", method: "POST", path: "/api/v1/imports", as: "dept",
		upload: &upload{fields: map[string]string{"format": "admins"}, file: []byte("x\r\n")}, status: 403, expect: []string{"manage administrators"}},
	{name: "export of users without 32", method: "GET", path: "/api/v1/exports/users?group=G1", as: "noexport", status: 403,
		expect: []string{"Save CSV file"}, notExpect: []string{"alice"}},
	{name: "export of administrators without 32", method: "GET", path: "/api/v1/exports/admins", as: "noexport", status: 403,
		notExpect: []string{"AUTOBACKUPUSER"}},
	{name: "export of administrators by a department administrator", method: "GET", path: "/api/v1/exports/admins", as: "dept", status: 403},
	{name: "administrators by a department administrator", method: "GET", path: "/api/v1/admins", as: "dept", status: 403},
	{name: "create an administrator as a department administrator", method: "POST", path: "/api/v1/admins", as: "dept",
		body: `{"loginId":"sneaky","authorities":["console"]}`, status: 403},
	{name: "settings by a department administrator", method: "PATCH", path: "/api/v1/settings", as: "dept", body: `{"licenceLimit":1}`, status: 403},
	{name: "audit log without Log Viewer", method: "GET", path: "/api/v1/audit", as: "manager", status: 403},
	{name: "audit log", method: "GET", path: "/api/v1/audit", as: "viewer", status: 200, expect: []string{`"events":[`}},
	{name: "uploaded file without 21", method: "GET", path: "/api/v1/imports/{j1}/file", as: "manager", status: 403},
	{name: "uploaded file", method: "GET", path: "/api/v1/imports/{j3}/file", as: "viewer", status: 200,
		expect: []string{"name,password,email\r\nbob,,\r\n"}, headers: merge(downloadHeaders, map[string]string{"Content-Disposition": `attachment; filename=g1-update.csv`})},

	{name: "own password without viewing authority", method: "PUT", path: "/api/v1/me/password", as: "blind",
		body: `{"currentPassword":"Wrong-pass-phrase-1","newPassword":"Amber-canyon-17"}`, status: 422, expect: []string{`"currentPassword":`}},
	{name: "own password too short, named as the body names it", method: "PUT", path: "/api/v1/me/password", as: "manager",
		body: `{"currentPassword":"Velvet-summit-88","newPassword":"short"}`, status: 422, expect: []string{`"newPassword":"The password is too short`},
		notExpect: []string{`"password":`}},
	{name: "settings without viewing authority", method: "GET", path: "/api/v1/settings", as: "blind", status: 403},
	{name: "settings", method: "GET", path: "/api/v1/settings", as: "dept", status: 200, expect: []string{`"adminCsvEncoding":"utf-8"`}},
	{name: "licence without 35", method: "GET", path: "/api/v1/licence", as: "dept", status: 403},
	{name: "licence", method: "GET", path: "/api/v1/licence", as: "manager", status: 200, expect: []string{`"used":3`}},
	{name: "unified users without the console", method: "GET", path: "/api/v1/unified-users", as: "viewer", status: 403},
	{name: "unified users by a department administrator", method: "GET", path: "/api/v1/unified-users", as: "deptlic", status: 403,
		expect: []string{`"code":"forbidden"`, "department administrator sees the count only"}},
	{name: "licence of a department administrator", method: "GET", path: "/api/v1/licence", as: "deptlic", status: 200},
	{name: "unified users, one page", method: "GET", path: "/api/v1/unified-users", as: "manager", status: 200, expect: []string{`"users":[`}, notExpect: []string{`"next"`}},
	{name: "unified users, a page of one", method: "GET", path: "/api/v1/unified-users?limit=1", as: "manager", status: 200, expect: []string{`"next":{"afterKey":`}},
	{name: "create a group without the console", method: "POST", path: "/api/v1/groups", as: "viewer", body: `{"id":"G7"}`, status: 403},
	{name: "create a group as a department administrator", method: "POST", path: "/api/v1/groups", as: "dept", body: `{"id":"G7"}`, status: 403},
	{name: "delete a group as a department administrator", method: "DELETE", path: "/api/v1/groups/G1", as: "dept", status: 403},
	{name: "own administrator record", method: "GET", path: "/api/v1/admins/{a_dept}", as: "dept", status: 200, expect: []string{`"loginId":"dept"`}},
	{name: "another administrator's record", method: "GET", path: "/api/v1/admins/{a_blind}", as: "dept", status: 403},
	{name: "change an administrator as a department administrator", method: "PATCH", path: "/api/v1/admins/{a_blind}", as: "dept",
		body: `{"disabled":true}`, status: 403},
	{name: "delete an administrator as a log viewer", method: "DELETE", path: "/api/v1/admins/{a_blind}", as: "viewer", status: 403},
	{name: "change an administrator without sending groups", method: "PATCH", path: "/api/v1/admins/{a_viewer}", as: "admin",
		body: `{"notes":"on call"}`, status: 200, expect: []string{`"notes":"on call"`, `"groups":[]`}},
	{name: "change a department administrator without sending groups", method: "PATCH", path: "/api/v1/admins/{a_deptlic}", as: "admin",
		body: `{"notes":"on call"}`, status: 200, expect: []string{`"groups":["G1"]`}},
	// (after deptlic's own scenarios: it is no longer a department administrator)
	{name: "take the department from an administrator", method: "PATCH", path: "/api/v1/admins/{a_deptlic}", as: "admin",
		body: `{"authorities":["console"]}`, status: 200, expect: []string{`"groups":[]`}},
	{name: "change an administrator's ID", method: "PATCH", path: "/api/v1/admins/{a_blind}", as: "admin", body: `{"loginId":"other"}`,
		status: 422, expect: []string{`"loginId":`}},

	// Department scope: another group's objects do not exist.
	{name: "own group's users", method: "GET", path: "/api/v1/groups/G1/users", as: "dept", status: 200,
		expect: []string{`"name":"alice"`}, notExpect: []string{"zed"}},
	{name: "another group's users", method: "GET", path: "/api/v1/groups/G2/users", as: "dept", status: 404,
		expect: []string{`"code":"not_found"`}, notExpect: []string{"zed"}},
	{name: "another group's user", method: "GET", path: "/api/v1/users/{u2}", as: "dept", status: 404, notExpect: []string{"zed"}},
	{name: "another group's user, changed", method: "PATCH", path: "/api/v1/users/{u2}", as: "dept", body: `{"disabled":true}`, status: 404},
	{name: "another group's export", method: "GET", path: "/api/v1/exports/users?group=G2", as: "dept", status: 404, notExpect: []string{"zed"}},
	{name: "another group's import", method: "GET", path: "/api/v1/imports/{j2}", as: "dept", status: 404},
	{name: "another group's error report", method: "GET", path: "/api/v1/imports/{j2}/errors.csv", as: "dept", status: 404},
	{name: "an import of administrators", method: "GET", path: "/api/v1/imports/{jA}", as: "dept", status: 404},
	{name: "an import into another group", method: "POST", path: "/api/v1/imports", as: "dept",
		upload: usersUpload("G2", "name,password,email\r\ncarol,,\r\n"), status: 404},
	{name: "another group", method: "GET", path: "/api/v1/groups/G2", as: "dept", status: 404},
	{name: "another group, renamed", method: "PATCH", path: "/api/v1/groups/G2", as: "dept", body: `{"name":"mine"}`, status: 404},
	{name: "another group's profiles", method: "GET", path: "/api/v1/groups/G2/profiles", as: "dept", status: 404},
	{name: "a profile in another group", method: "POST", path: "/api/v1/groups/G2/profiles", as: "dept", body: `{"name":"x"}`, status: 404},
	{name: "another group's profile, changed", method: "PATCH", path: "/api/v1/profiles/{p2}", as: "dept", body: `{"apiAccess":false}`, status: 404},
	{name: "another group's profile, deleted", method: "DELETE", path: "/api/v1/profiles/{p2}", as: "dept", status: 404},
	{name: "a user in another group", method: "POST", path: "/api/v1/groups/G2/users", as: "dept", body: `{"name":"carol"}`, status: 404},
	{name: "another group's user, deleted", method: "DELETE", path: "/api/v1/users/{u2}", as: "dept", status: 404},
	{name: "another group's user, duplicated", method: "POST", path: "/api/v1/users/{u2}/duplicate", as: "dept", body: `{"name":"zed2"}`, status: 404},
	{name: "own group's profiles", method: "GET", path: "/api/v1/groups/G1/profiles", as: "dept", status: 200, expect: []string{`"name":"default"`}},
	{name: "own group's import", method: "GET", path: "/api/v1/imports/{j1}", as: "dept", status: 200, expect: []string{`"status":"SUCCESS"`}},
	{name: "imports in scope", method: "GET", path: "/api/v1/imports", as: "dept", status: 200,
		expect: []string{`"group":"G1"`}, notExpect: []string{`"group":"G2"`, `"format":"admins"`}},
	{name: "every import", method: "GET", path: "/api/v1/imports", as: "admin", status: 200,
		expect: []string{`"group":"G1"`, `"group":"G2"`, `"format":"admins"`}},

	// Validation, conflicts, unknown IDs.
	{name: "invalid values", method: "POST", path: "/api/v1/groups/G1/users", as: "manager", body: `{"name":"two words","email":"not-an-address"}`,
		status: 422, expect: []string{`"code":"invalid"`, `"fields":{`, `"name":"A user name may not contain spaces`, `"email":"This is not a valid e-mail address."`}},
	{name: "a short password", method: "POST", path: "/api/v1/groups/G1/users", as: "manager", body: `{"name":"carol","password":"Abcdef1"}`,
		status: 422, expect: []string{`"password":"The password is too short`}, notExpect: []string{"Abcdef1"}},
	{name: "invalid authorities", method: "POST", path: "/api/v1/admins", as: "admin", body: `{"loginId":"x1","authorities":["logAttachments"]}`,
		status: 422, expect: []string{`"fields":{`, `"authorities.logAttachments":`, "needs Log Viewer (column 5)"}},
	{name: "a duplicate name", method: "POST", path: "/api/v1/groups/G1/users", as: "manager", body: `{"name":"alice"}`,
		status: 409, expect: []string{`"code":"conflict"`, `already has a user named \"alice\"`}},
	{name: "a duplicate group", method: "POST", path: "/api/v1/groups", as: "admin", body: `{"id":"g1"}`, status: 409},
	{name: "an unknown user", method: "GET", path: "/api/v1/users/999999", as: "admin", status: 404, expect: []string{`"code":"not_found"`}},
	{name: "a user ID that is not a number", method: "GET", path: "/api/v1/users/abc", as: "admin", status: 404},
	{name: "an unknown import", method: "GET", path: "/api/v1/imports/999999", as: "admin", status: 404},
	{name: "an unknown error report", method: "GET", path: "/api/v1/imports/999999/errors.csv", as: "admin", status: 404},
	{name: "an unknown administrator", method: "GET", path: "/api/v1/admins/999999", as: "admin", status: 404},
	{name: "an unknown group", method: "GET", path: "/api/v1/groups/G9/users", as: "admin", status: 404},
	{name: "an unknown route", method: "GET", path: "/api/v1/nothing", as: "admin", status: 404, expect: []string{`"code":"not_found"`}},

	// Requests that cannot be read.
	{name: "a wrong method", method: "DELETE", path: "/api/v1/imports", as: "admin", status: 405,
		expect: []string{`"code":"method_not_allowed"`, "DELETE"}, headers: map[string]string{"Content-Type": "application/json"}},
	{name: "a wrong method without a token", method: "PUT", path: "/api/v1/login", status: 405, expect: []string{`"code":"method_not_allowed"`}},
	{name: "malformed JSON", method: "POST", path: "/api/v1/groups/G1/users", as: "manager", body: `{"name": "carol",`,
		status: 400, expect: []string{`"code":"bad_request"`, "malformed JSON"}},
	{name: "an unknown field", method: "POST", path: "/api/v1/groups/G1/users", as: "manager", body: `{"nmae":"carol"}`,
		status: 400, expect: []string{`unknown field \"nmae\"`}},
	{name: "a wrong type", method: "POST", path: "/api/v1/groups/G1/users", as: "manager", body: `{"name":"carol","admin":"yes"}`, status: 400,
		expect: []string{`field \"admin\" must be true or false, not string`}},
	{name: "an array for an object", method: "POST", path: "/api/v1/groups/G1/users", as: "manager", body: `[]`, status: 400,
		expect: []string{`the body must be an object, not array`}},
	{name: "an import that is not multipart", method: "POST", path: "/api/v1/imports", as: "manager", body: `{"format":"users"}`, status: 400},
	{name: "an import without a file", method: "POST", path: "/api/v1/imports", as: "manager",
		upload: &upload{fields: map[string]string{"format": "users", "group": "G1"}, noFile: true}, status: 422, expect: []string{`"file":`}},
	{name: "an import without a group", method: "POST", path: "/api/v1/imports", as: "manager",
		upload: &upload{fields: map[string]string{"format": "users"}, file: []byte("name,password,email\r\n")}, status: 422, expect: []string{`"group":`}},
	{name: "an import of an unknown format", method: "POST", path: "/api/v1/imports", as: "admin",
		upload: &upload{fields: map[string]string{"format": "gadgets"}, file: []byte("x\r\n")}, status: 422, expect: []string{`"format":`}},
	{name: "an import with an unknown field", method: "POST", path: "/api/v1/imports", as: "admin",
		upload: &upload{fields: map[string]string{"format": "users", "group": "G1", "colour": "blue"}, file: []byte("x\r\n")}, status: 400},
	{name: "an oversized upload", method: "POST", path: "/api/v1/imports", as: "manager",
		upload: usersUpload("G1", "name,password,email\r\n"+strings.Repeat("someone,,\r\n", maxUpload/10)),
		status: 413, expect: []string{`"code":"too_large"`, "larger than the limit of 16 KiB"}},
	{name: "a SCIM token of negative hours", method: "POST", path: "/api/v1/groups/G1/scim-tokens", as: "manager", body: `{"name":"x","ttlHours":-5}`,
		status: 422, expect: []string{`"fields":{"ttlHours":`}},
	{name: "an export in an unknown encoding", method: "GET", path: "/api/v1/exports/users?group=G1&encoding=latin1", as: "manager", status: 400},
	{name: "an export without a group", method: "GET", path: "/api/v1/exports/users", as: "manager", status: 422},

	// Downloads.
	{name: "export of users", method: "GET", path: "/api/v1/exports/users?group=G1", as: "manager", status: 200,
		expect:    []string{"name,password,email,admin,apiAccess,disabled,profile\r\n", "alice,,alice@example.org,false,false,false,default\r\n"},
		notExpect: []string{"zed"}, headers: merge(downloadHeaders, map[string]string{"Content-Type": "text/csv; charset=utf-8"})},
	{name: "export of users in CP932", method: "GET", path: "/api/v1/exports/users?group=G1&encoding=cp932", as: "manager", status: 200,
		headers: merge(downloadHeaders, map[string]string{"Content-Type": "text/csv; charset=Shift_JIS"})},
	{name: "export of administrators", method: "GET", path: "/api/v1/exports/admins", as: "admin", status: 200,
		expect: []string{`" ","User ID","Password"`, `" ","AUTOBACKUPUSER"," ","0","0","0","1","0"`}, headers: downloadHeaders},
	{name: "error report", method: "GET", path: "/api/v1/imports/{j2}/errors.csv", as: "admin", status: 200,
		expect: []string{"\uFEFFrow,column,severity,message\r\n", "2,password,error,The password is too short"}, headers: downloadHeaders},
	{name: "error report in Japanese", method: "GET", path: "/api/v1/imports/{j2}/errors.csv?lang=ja", as: "admin", status: 200,
		expect: []string{"パスワードが短すぎます"}, headers: downloadHeaders},

	// Reading objects never shows a password or hash.
	{name: "administrators", method: "GET", path: "/api/v1/admins", as: "admin", status: 200, expect: []string{`"loginId":"AUTOBACKUPUSER"`}},
	{name: "a user", method: "GET", path: "/api/v1/users/{u1}", as: "manager", status: 200, expect: []string{`"name":"alice"`}},
	{name: "create an administrator", method: "POST", path: "/api/v1/admins", as: "admin",
		body: `{"loginId":"new1","password":"Amber-canyon-17","authorities":["console"]}`, status: 201, expect: []string{`"loginId":"new1"`}},
	{name: "create a user", method: "POST", path: "/api/v1/groups/G1/users", as: "manager",
		body: `{"name":"carol","password":"Amber-canyon-17"}`, status: 201, expect: []string{`"name":"carol"`, `"passwordChangedAt":"`}},
	{name: "an import's report", method: "GET", path: "/api/v1/imports/{j2}", as: "admin", status: 200,
		expect: []string{`"status":"FAILED"`, `"errors":[{"row":2,"column":"password"`}},
}

func merge(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// TestScenarios runs every scenario on both engines.
func TestScenarios(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newAPIEnv(t, engine)
		for _, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) {
				e.t = t
				r := e.do(sc.method, sc.path, sc.as, sc.body, sc.upload)
				if r.status != sc.status {
					t.Errorf("%s %s: status %d, want %d\n%s", sc.method, sc.path, r.status, sc.status, r.body)
				}
				for _, s := range sc.expect {
					if !strings.Contains(r.body, s) {
						t.Errorf("%s %s: the answer lacks %q:\n%s", sc.method, sc.path, s, r.body)
					}
				}
				for _, s := range sc.notExpect {
					if strings.Contains(r.body, s) {
						t.Errorf("%s %s: the answer holds %q:\n%s", sc.method, sc.path, s, r.body)
					}
				}
				for h, v := range sc.headers {
					if got := r.header.Get(h); !strings.HasPrefix(got, v) {
						t.Errorf("%s %s: header %s is %q, want %q", sc.method, sc.path, h, got, v)
					}
				}
				if r.status >= 400 {
					if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
						t.Errorf("%s %s: an error answered as %q", sc.method, sc.path, ct)
					}
					var body struct {
						Error struct {
							Code    string `json:"code"`
							Message string `json:"message"`
						} `json:"error"`
					}
					if err := json.Unmarshal([]byte(r.body), &body); err != nil || body.Error.Code == "" || body.Error.Message == "" {
						t.Errorf("%s %s: the error is not {\"error\":{code,message}}: %s", sc.method, sc.path, r.body)
					}
				}
				if r.header.Get("X-Request-ID") == "" {
					t.Errorf("no X-Request-ID")
				}
			})
		}
	})
}

// TestLoginSameAnswer: a wrong password and an unknown ID answer alike.
func TestLoginSameAnswer(t *testing.T) {
	e := newAPIEnv(t, "sqlite")
	wrong := e.do("POST", "/api/v1/login", "", `{"loginId":"admin","password":"Wrong-pass-phrase-1"}`, nil)
	unknown := e.do("POST", "/api/v1/login", "", `{"loginId":"nobody","password":"Wrong-pass-phrase-1"}`, nil)
	noPassword := e.do("POST", "/api/v1/login", "", `{"loginId":"AUTOBACKUPUSER","password":"Wrong-pass-phrase-1"}`, nil)
	if wrong.status != 401 || wrong.body != unknown.body || wrong.body != noPassword.body || unknown.status != 401 || noPassword.status != 401 {
		t.Errorf("answers differ:\n%s\n%s\n%s", wrong, unknown, noPassword)
	}
	good := e.do("POST", "/api/v1/login", "", `{"loginId":"admin","password":"`+rootPassword+`"}`, nil)
	var body struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal([]byte(good.body), &body); err != nil || body.Token == "" {
		t.Fatalf("login: %s", good)
	}
	e.tokens["fresh"] = body.Token
	if r := e.do("GET", "/api/v1/me", "fresh", "", nil); r.status != 200 || !strings.Contains(r.body, `"loginId":"admin"`) {
		t.Errorf("the new token does not work: %s", r)
	}
	if r := e.do("POST", "/api/v1/logout", "fresh", "", nil); r.status != 204 {
		t.Errorf("logout: %s", r)
	}
	if r := e.do("GET", "/api/v1/me", "fresh", "", nil); r.status != 401 {
		t.Errorf("a token after logout: %s", r)
	}
}

// TestLicenceExceeded: adding a user past the licence limit is a conflict
// with its own code, and nothing is added.
func TestLicenceExceeded(t *testing.T) {
	e := newAPIEnv(t, "sqlite")
	// alice, zed and bob (imported) count 3.
	if r := e.do("PATCH", "/api/v1/settings", "admin", `{"licenceLimit":3}`, nil); r.status != 200 || !strings.Contains(r.body, `"licenceLimit":3`) {
		t.Fatalf("set the limit: %s", r)
	}
	r := e.do("POST", "/api/v1/groups/G1/users", "manager", `{"name":"carol"}`, nil)
	if r.status != 409 || !strings.Contains(r.body, `"code":"licence_exceeded"`) || !strings.Contains(r.body, "4 users against a licence for 3") {
		t.Errorf("past the licence: %s", r)
	}
	if r := e.do("GET", "/api/v1/groups/G1/users?q=carol", "manager", "", nil); strings.Contains(r.body, "carol") {
		t.Errorf("the refused user was added: %s", r)
	}
	if r := e.do("PATCH", "/api/v1/settings", "admin", `{"licenceLimit":-1}`, nil); r.status != 422 || !strings.Contains(r.body, `"licenceLimit":`) {
		t.Errorf("a negative limit: %s", r)
	}
}

// TestInternalError: an error the service does not know is a 500 that says
// only "internal", and its detail goes to the log with the request's ID.
func TestInternalError(t *testing.T) {
	e := newAPIEnv(t, "sqlite")
	e.store.setFail(errors.New("disk on fire at sector 7"))
	r := e.do("GET", "/api/v1/groups/G1/users", "manager", "", nil)
	e.store.setFail(nil)
	if r.status != 500 || !strings.Contains(r.body, `"code":"internal"`) || strings.Contains(r.body, "disk on fire") {
		t.Fatalf("internal error: %s", r)
	}
	id := r.header.Get("X-Request-ID")
	logs := e.logs.String()
	var line string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, "disk on fire at sector 7") {
			line = l
		}
	}
	if line == "" || !strings.Contains(line, "request_id="+id) || !strings.Contains(line, "/api/v1/groups/G1/users") {
		t.Errorf("the error was not logged with its request:\n%s", logs)
	}
	if r := e.do("GET", "/api/v1/groups/G1/users", "manager", "", nil); r.status != 200 {
		t.Errorf("after the fault: %s", r)
	}
}

// TestImportThroughWorker: POST /api/v1/imports answers 202 with the QUEUED
// job, and the worker takes it to SUCCESS (or FAILED, with a report).
func TestImportThroughWorker(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newAPIEnv(t, engine)
		e.startWorker()
		r := e.do("POST", "/api/v1/imports", "manager", "", &upload{
			fields:   map[string]string{"format": "users", "group": "G1", "updateExisting": "true"},
			fileName: "new users.csv",
			file:     []byte("name,password,email\r\ncarol,Amber-canyon-17,carol@example.org\r\nalice,,alice@example.net\r\n"),
		})
		var job meibo.ImportJob
		if err := json.Unmarshal([]byte(r.body), &job); r.status != http.StatusAccepted || err != nil || job.ID == 0 || job.Status != meibo.ImportQueued {
			t.Fatalf("submit: %s", r)
		}
		if loc := r.header.Get("Location"); loc != "/api/v1/imports/"+itoa(job.ID) {
			t.Errorf("Location %q", loc)
		}
		if job.FileName != "new users.csv" || job.GroupID != "G1" || !job.UpdateExisting || job.CreatedBy != "manager" {
			t.Errorf("job %+v", job)
		}
		done := e.poll(itoa(job.ID), "manager")
		if !strings.Contains(done.body, `"status":"SUCCESS"`) || !strings.Contains(done.body, `"created":1`) || !strings.Contains(done.body, `"updated":1`) {
			t.Errorf("finished job: %s", done)
		}
		if r := e.do("GET", "/api/v1/groups/G1/users?q=carol", "manager", "", nil); !strings.Contains(r.body, `"name":"carol"`) {
			t.Errorf("carol was not created: %s", r)
		}

		// A refused file: FAILED, with its errors in the report and the CSV.
		r = e.do("POST", "/api/v1/imports", "manager", "", usersUpload("G1", "name,password,email\r\ndave,,\r\ndave,,\r\n"))
		if r.status != http.StatusAccepted {
			t.Fatalf("submit: %s", r)
		}
		if err := json.Unmarshal([]byte(r.body), &job); err != nil {
			t.Fatal(err)
		}
		done = e.poll(itoa(job.ID), "manager")
		if !strings.Contains(done.body, `"status":"FAILED"`) || !strings.Contains(done.body, `{"row":3,"column":"name","message":"The name dave appears already in row 2`) {
			t.Errorf("refused job: %s", done)
		}
		csv := e.do("GET", "/api/v1/imports/"+itoa(job.ID)+"/errors.csv", "manager", "", nil)
		if csv.status != 200 || !strings.Contains(csv.body, "3,name,error,The name dave appears already in row 2") {
			t.Errorf("errors.csv: %s", csv)
		}
		if r := e.do("GET", "/api/v1/groups/G1/users?q=dave", "manager", "", nil); strings.Contains(r.body, "dave") {
			t.Errorf("a refused file wrote: %s", r)
		}

		// An import of administrators (a manager of administrators only).
		var admins bytes.Buffer
		if _, err := e.svc.ExportAdmins(e.sys, &admins, "utf-8", false); err != nil {
			t.Fatal(err)
		}
		r = e.do("POST", "/api/v1/imports", "admin", "", &upload{fields: map[string]string{"format": "admins", "dryRun": "true"}, file: admins.Bytes()})
		if r.status != http.StatusAccepted {
			t.Fatalf("submit: %s", r)
		}
		if err := json.Unmarshal([]byte(r.body), &job); err != nil {
			t.Fatal(err)
		}
		done = e.poll(itoa(job.ID), "admin")
		if !strings.Contains(done.body, `"status":"SUCCESS"`) || !strings.Contains(done.body, `"dryRun":true`) || !strings.Contains(done.body, `"unchanged":9`) {
			t.Errorf("administrators job: %s", done)
		}
	})
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestUploadedFileWithPasswords: the download of an uploaded file
// (GET /api/v1/imports/{id}/file, authority 21) holds no password, like every
// other answer: once a job has run, its file is kept without its passwords
// but otherwise as it was. j1 succeeded and j2 failed, both with passwords.
func TestUploadedFileWithPasswords(t *testing.T) {
	e := newAPIEnv(t, "sqlite")
	e.t = t
	for _, job := range []struct{ key, want string }{
		{"j1", "name,password,email\r\nbob,,\r\n"},
		{"j2", "name,password,email\r\nyan,,\r\n"},
		{"j3", "name,password,email\r\nbob,,\r\n"},
	} {
		r := e.do("GET", "/api/v1/imports/{"+job.key+"}/file", "viewer", "", nil) // noSecrets checks the answer
		if r.status != 200 || r.body != job.want {
			t.Errorf("%s: %d %q, want 200 %q", job.key, r.status, r.body, job.want)
		}
	}
}
