package meibo

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// fieldErr returns the field messages of err, failing the test when err is
// not an invalid-value *Error.
func fieldErr(t *testing.T, err error) map[string]Msg {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	if e.Code != CodeInvalid {
		t.Fatalf("code %q, want %q (%v)", e.Code, CodeInvalid, err)
	}
	return e.Fields
}

func TestAuthorityCatalogue(t *testing.T) {
	wantCols := []int{4, 5, 21, 22, 23, 24, 25, 26, 6, 31, 32, 33, 34, 35, 36, 7, 8}
	if len(AllAuthorities) != len(wantCols) {
		t.Fatalf("%d authorities, want %d", len(AllAuthorities), len(wantCols))
	}
	names := map[string]bool{}
	for i, a := range AllAuthorities {
		if a.Column() != wantCols[i] {
			t.Errorf("authority %d is column %d, want %d", i, a.Column(), wantCols[i])
		}
		if !a.Valid() || a.Name() == "" || a.Label(English) == "" || a.Label(Japanese) == "" || a.Label(English) == a.Label(Japanese) {
			t.Errorf("authority %d: valid %v, name %q, labels %q / %q", a, a.Valid(), a.Name(), a.Label(English), a.Label(Japanese))
		}
		if names[a.Name()] {
			t.Errorf("name %q used twice", a.Name())
		}
		names[a.Name()] = true
		if b, ok := AuthorityByName(a.Name()); !ok || b != a {
			t.Errorf("AuthorityByName(%q) = %v, %v", a.Name(), b, ok)
		}
	}
	for _, col := range []Authority{0, 1, 3, 9, 20, 27, 30, 37, 63} {
		if col.Valid() {
			t.Errorf("column %d is a valid authority", col)
		}
	}
}

// TestAuthorityDependencies checks every rule of DESIGN.md: 21–26 need 5;
// 31, 32, 33, 35 and 36 need 6; 34 needs 6, 8 and 33; 4 excludes 5, 6 and 7.
func TestAuthorityDependencies(t *testing.T) {
	needs := map[Authority][]Authority{
		AuthLogAttachments: {AuthLogViewer},
		AuthLogSaveCSV:     {AuthLogViewer},
		AuthLogConfig:      {AuthLogViewer},
		AuthLogMail:        {AuthLogViewer},
		AuthLogBackup:      {AuthLogViewer},
		AuthLogEmergency:   {AuthLogViewer},
		AuthImport:         {AuthConsole},
		AuthExport:         {AuthConsole},
		AuthDevices:        {AuthConsole},
		AuthGroupSettings:  {AuthConsole},
		AuthEmergency:      {AuthConsole},
		AuthDevicesOnly:    {AuthConsole, AuthDepartment, AuthDevices},
	}
	for _, a := range AllAuthorities {
		parents := needs[a]
		if !slices.Equal(a.Parents(), parents) && !(len(parents) == 0 && len(a.Parents()) == 0) {
			t.Errorf("%v: parents %v, want %v", a, a.Parents(), parents)
		}
		full := NewAuthorities(a).With(parents...)
		if err := full.Validate(); err != nil {
			t.Errorf("%v with its parents %v: %v", a, parents, err)
		}
		// Without any one parent the set is refused, under the dependent
		// authority's name, with the dependency message.
		for _, p := range parents {
			s := full.Without(p)
			err := s.Validate()
			if err == nil {
				t.Errorf("%v without %v was accepted", a, p)
				continue
			}
			f := fieldErr(t, err)
			// Removing 6 also breaks 33 when 34 is tested; every
			// other field must be a dependent of the removed one too.
			m, ok := f[a.Name()]
			if !ok || m.Key != "auth.depends" {
				t.Errorf("%v without %v: fields %v, want %q: auth.depends", a, p, f, a.Name())
			}
			for name := range f {
				if b, _ := AuthorityByName(name); !slices.Contains(b.Parents(), p) {
					t.Errorf("%v without %v: unexpected field %q", a, p, name)
				}
			}
			if ok && (m.Args[2] != p || m.Args[3] != p.Column()) {
				t.Errorf("%v without %v: message names %v (column %v)", a, p, m.Args[2], m.Args[3])
			}
		}
	}
	// The message names the missing column in both languages.
	err := NewAuthorities(AuthLogConfig).Validate()
	m := fieldErr(t, err)["logConfig"]
	if got := m.In(English); got != "View configuration change log (column 23) needs Log Viewer (column 5)." {
		t.Errorf("English message %q", got)
	}
	if got := m.In(Japanese); got != "設定変更ログの閲覧(列23)を設定するにはログビューア(列5)が必要です。" {
		t.Errorf("Japanese message %q", got)
	}
	// Several missing are named at once: 34 with 6 alone lacks 8 and 33.
	m = fieldErr(t, NewAuthorities(AuthDevicesOnly, AuthConsole).Validate())[AuthDevicesOnly.Name()]
	want := fmt.Sprintf("%s (column 34) needs %s (column 8) and %s (column 33).", AuthDevicesOnly.Label(English), AuthDepartment.Label(English), AuthDevices.Label(English))
	if m.Key != "auth.depends.many" || m.In(English) != want {
		t.Errorf("34 lacking 8 and 33: %q, want %q", m.In(English), want)
	}
	if got := m.In(Japanese); !strings.Contains(got, "(列8)と") || !strings.Contains(got, "(列33)が必要です。") {
		t.Errorf("34 lacking 8 and 33, in Japanese: %q", got)
	}
	// 31 needs 6, not 5 (the manual's "No.5" is a misprint).
	if err := NewAuthorities(AuthLogViewer, AuthImport).Validate(); err == nil {
		t.Error("31 with 5 but without 6 was accepted")
	}
}

func TestAuthorityNoViewingExclusive(t *testing.T) {
	for _, other := range []Authority{AuthLogViewer, AuthConsole, AuthBackup} {
		err := NewAuthorities(AuthNoViewing, other).Validate()
		if err == nil {
			t.Errorf("4 with %d was accepted", other)
			continue
		}
		if m := fieldErr(t, err)["noViewing"]; m.Key != "auth.exclusive" {
			t.Errorf("4 with %d: %v", other, err)
		}
	}
	for _, ok := range []Authorities{NewAuthorities(AuthNoViewing), NewAuthorities(AuthNoViewing, AuthDepartment), 0} {
		if err := ok.Validate(); err != nil {
			t.Errorf("%v: %v", ok.List(), err)
		}
	}
}

func TestAuthorityUnknownAndEvery(t *testing.T) {
	err := Authorities(1 << 9).Validate()
	if m := fieldErr(t, err)["authorities"]; m.Key != "auth.unknown" {
		t.Errorf("bit 9: %v", err)
	}
	if err := EveryAuthority.Validate(); err != nil {
		t.Fatalf("EveryAuthority: %v", err)
	}
	for _, a := range []Authority{AuthNoViewing, AuthDepartment, AuthDevicesOnly} {
		if EveryAuthority.Has(a) {
			t.Errorf("EveryAuthority holds the restricting %v", a)
		}
	}
	if !EveryAuthority.ManagesAdmins() {
		t.Error("EveryAuthority cannot manage administrators")
	}
	for _, s := range []Authorities{
		EveryAuthority.With(AuthDepartment),
		EveryAuthority.Without(AuthConsole),
		NewAuthorities(AuthConsole, AuthDepartment, AuthDevices, AuthDevicesOnly),
		NewAuthorities(AuthNoViewing, AuthConsole),
	} {
		if s.ManagesAdmins() {
			t.Errorf("%v manages administrators", s.List())
		}
	}
}

func TestAuthoritiesJSON(t *testing.T) {
	s := NewAuthorities(AuthConsole, AuthImport, AuthLogViewer)
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `["console","import","logViewer"]` {
		t.Errorf("JSON %s", b)
	}
	var back Authorities
	if err := json.Unmarshal(b, &back); err != nil || back != s {
		t.Errorf("round trip: %v, %v", back.List(), err)
	}
	if b, _ := json.Marshal(Authorities(0)); string(b) != `[]` {
		t.Errorf("empty set as %s", b)
	}
	err = json.Unmarshal([]byte(`["console","root"]`), &back)
	if ErrorCode(err) != CodeInvalid {
		t.Errorf("unknown name: %v", err)
	}
	// Columns of the administrators' file, as the command line takes them.
	cols := fmt.Sprintf(`["%d","%d"]`, AuthConsole.Column(), AuthLogViewer.Column())
	if err := json.Unmarshal([]byte(cols), &back); err != nil || back != NewAuthorities(AuthConsole, AuthLogViewer) {
		t.Errorf("columns %s: %v, %v", cols, back.List(), err)
	}
	if err := json.Unmarshal([]byte(`["99"]`), &back); ErrorCode(err) != CodeInvalid {
		t.Errorf("an unknown column: %v", err)
	}
}

func TestAdminValidateNamesFields(t *testing.T) {
	a := &Admin{LoginID: "ops", Authorities: NewAuthorities(AuthLogAttachments, AuthImport)}
	f := fieldErr(t, a.Validate())
	for _, name := range []string{"authorities.logAttachments", "authorities.import"} {
		if f[name].Key != "auth.depends" {
			t.Errorf("field %q: %v (all: %v)", name, f[name], f)
		}
	}
	a = &Admin{LoginID: "bad id", Email: "a@example.com, b@example.com", Name: "x\ty"}
	f = fieldErr(t, a.Validate())
	if f["loginId"].Key != "admin.id.format" || f["email"].Key != "email.several" || f["name"].Key != "control_chars" {
		t.Errorf("fields %v", f)
	}
	backup := &Admin{LoginID: BuiltinBackup, Builtin: true, Authorities: BackupAuthorities}
	if err := backup.Validate(); err != nil {
		t.Errorf("AUTOBACKUPUSER: %v", err)
	}
	if backup.CanSignIn() || backup.IsManager() {
		t.Error("AUTOBACKUPUSER can sign in")
	}
	backup.PasswordHash = "$argon2id$x"
	if backup.CanSignIn() {
		t.Error("AUTOBACKUPUSER with a hash can sign in")
	}
	if f := fieldErr(t, backup.Validate()); f["authorities"].Key != "admin.backup.fixed" {
		t.Errorf("AUTOBACKUPUSER with a password: %v", f)
	}
	backup.PasswordHash = ""
	backup.Authorities = EveryAuthority
	if f := fieldErr(t, backup.Validate()); f["authorities"].Key != "admin.backup.fixed" {
		t.Errorf("AUTOBACKUPUSER with every authority: %v", f)
	}
	m := &Admin{LoginID: "m", PasswordHash: "h", Authorities: NewAuthorities(AuthConsole)}
	if !m.IsManager() {
		t.Error("an enabled console administrator with a password is not a manager")
	}
	m.Disabled = true
	if m.IsManager() {
		t.Error("a disabled administrator is a manager")
	}
	m.Disabled, m.PasswordHash = false, ""
	if m.IsManager() {
		t.Error("an administrator without a password is a manager")
	}
}

func TestActorScope(t *testing.T) {
	dep := &Actor{Kind: ActorAdmin, Authorities: NewAuthorities(AuthConsole, AuthDepartment), Groups: []string{"G001"}}
	if !dep.InScope("g001") || !dep.InScope("G001") || dep.InScope("G002") || dep.InScope("G00") {
		t.Error("department scope is wrong")
	}
	if s := dep.Scope(); !slices.Equal(s, []string{"G001"}) {
		t.Errorf("scope %v", s)
	}
	none := &Actor{Kind: ActorAdmin, Authorities: NewAuthorities(AuthConsole, AuthDepartment)}
	if s := none.Scope(); s == nil || len(s) != 0 || none.InScope("G001") {
		t.Errorf("department administrator without groups: scope %v", s)
	}
	all := &Actor{Kind: ActorAdmin, Authorities: NewAuthorities(AuthConsole)}
	if all.Scope() != nil || !all.InScope("anything") {
		t.Error("an unlimited administrator is limited")
	}
	var nobody *Actor
	if nobody.Has(AuthConsole) || nobody.InScope("G001") {
		t.Error("a nil actor has rights")
	}
	sys := System("cli")
	if !sys.Has(AuthConsole) || sys.Department() || sys.Scope() != nil {
		t.Error("the system actor is limited")
	}
}
