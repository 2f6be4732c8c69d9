package meibo

import (
	"encoding/json"
	"fmt"
	"math/bits"
	"sort"
	"strconv"
	"strings"
)

// Authority is one administrator authority, numbered by its column in the
// administrator CSV file (manual 002).
type Authority uint8

// The authorities of DESIGN.md, by column.
const (
	AuthNoViewing      Authority = 4  // may sign in and change own password, nothing else
	AuthLogViewer      Authority = 5  // read the audit log
	AuthConsole        Authority = 6  // manage users, groups, profiles
	AuthBackup         Authority = 7  // run backup and restore
	AuthDepartment     Authority = 8  // scope limited to assigned groups
	AuthLogAttachments Authority = 21 // download uploaded import files and error reports
	AuthLogSaveCSV     Authority = 22 // export the audit log as CSV
	AuthLogConfig      Authority = 23 // see changes of settings, groups, profiles, administrators
	AuthLogMail        Authority = 24 // read and download outbox messages
	AuthLogBackup      Authority = 25 // see backup/restore history
	AuthLogEmergency   Authority = 26 // lift sign-in lockouts, end all sessions of a user
	AuthImport         Authority = 31 // start imports
	AuthExport         Authority = 32 // export users and administrators
	AuthDevices        Authority = 33 // manage devices and their assignments
	AuthDevicesOnly    Authority = 34 // restricted to device functions only
	AuthGroupSettings  Authority = 35 // manage group settings (portal options, licence view)
	AuthEmergency      Authority = 36 // send any remote command to any device in scope
)

// AllAuthorities lists every authority in the order the console shows them.
var AllAuthorities = []Authority{
	AuthNoViewing,
	AuthLogViewer, AuthLogAttachments, AuthLogSaveCSV, AuthLogConfig, AuthLogMail, AuthLogBackup, AuthLogEmergency,
	AuthConsole, AuthImport, AuthExport, AuthDevices, AuthDevicesOnly, AuthGroupSettings, AuthEmergency,
	AuthBackup,
	AuthDepartment,
}

type authorityInfo struct {
	name    string // JSON and form name
	en, ja  string // label
	parents []Authority
}

var authorityInfos = map[Authority]authorityInfo{
	AuthNoViewing:      {"noViewing", "No viewing authority", "閲覧権限なし", nil},
	AuthLogViewer:      {"logViewer", "Log Viewer", "ログビューア", nil},
	AuthConsole:        {"console", "Management Console", "管理コンソール", nil},
	AuthBackup:         {"backup", "Backup restoration", "バックアップ・リストア", nil},
	AuthDepartment:     {"department", "Department administrator", "部門管理者", nil},
	AuthLogAttachments: {"logAttachments", "View/save attached information", "添付情報の閲覧・保存", []Authority{AuthLogViewer}},
	AuthLogSaveCSV:     {"logSaveCSV", "Save log as CSV file", "ログのCSVファイル保存", []Authority{AuthLogViewer}},
	AuthLogConfig:      {"logConfig", "View configuration change log", "設定変更ログの閲覧", []Authority{AuthLogViewer}},
	AuthLogMail:        {"logMail", "Save e-mail contents", "メール内容の保存", []Authority{AuthLogViewer}},
	AuthLogBackup:      {"logBackup", "View backup log", "バックアップログの閲覧", []Authority{AuthLogViewer}},
	AuthLogEmergency:   {"logEmergency", "Emergency procedure (sign-in)", "緊急時の操作(サインイン)", []Authority{AuthLogViewer}},
	AuthImport:         {"import", "Import CSV file", "CSVファイルのインポート", []Authority{AuthConsole}},
	AuthExport:         {"export", "Save CSV file", "CSVファイルの保存", []Authority{AuthConsole}},
	AuthDevices:        {"devices", "Register/update/delete devices", "デバイスの登録・更新・削除", []Authority{AuthConsole}},
	AuthDevicesOnly:    {"devicesOnly", "Unable to use other functions", "その他の機能を使用不可", []Authority{AuthConsole, AuthDepartment, AuthDevices}},
	AuthGroupSettings:  {"groupSettings", "Register/update/delete group settings", "グループ設定の登録・更新・削除", []Authority{AuthConsole}},
	AuthEmergency:      {"emergency", "Emergency procedure (remote commands)", "緊急時の操作(リモート操作)", []Authority{AuthConsole}},
}

// Name is the authority's name in JSON and forms, e.g. "logViewer".
func (a Authority) Name() string { return authorityInfos[a].name }

// Label is the authority's name for a person in lang.
func (a Authority) Label(lang Lang) string {
	if lang == Japanese {
		return authorityInfos[a].ja
	}
	return authorityInfos[a].en
}

// In is the authority's label in lang, so that messages render it per language.
func (a Authority) In(lang Lang) string { return a.Label(lang) }

// Column is the authority's column in the administrator CSV file.
func (a Authority) Column() int { return int(a) }

// Parents are the authorities that must be set for a to be set.
func (a Authority) Parents() []Authority { return authorityInfos[a].parents }

// Valid reports whether a is a known authority.
func (a Authority) Valid() bool { _, ok := authorityInfos[a]; return ok }

func (a Authority) String() string { return fmt.Sprintf("%s(%d)", a.Name(), a) }

// AuthorityByName returns the authority named name.
func AuthorityByName(name string) (Authority, bool) {
	for a, info := range authorityInfos {
		if info.name == name {
			return a, true
		}
	}
	return 0, false
}

// Authorities is a set of authorities; bit n is the authority of column n.
type Authorities uint64

// NewAuthorities returns the set holding as.
func NewAuthorities(as ...Authority) Authorities {
	var s Authorities
	for _, a := range as {
		s |= 1 << a
	}
	return s
}

// EveryAuthority is what the built-in admin holds: every authority that grants
// something, without the restricting ones (4, 8 and 34).
var EveryAuthority = func() Authorities {
	var s Authorities
	for _, a := range AllAuthorities {
		if a != AuthNoViewing && a != AuthDepartment && a != AuthDevicesOnly {
			s = s.With(a)
		}
	}
	return s
}()

// Has reports whether a is in the set.
func (s Authorities) Has(a Authority) bool { return s&(1<<a) != 0 }

// With returns the set with a added.
func (s Authorities) With(as ...Authority) Authorities { return s | NewAuthorities(as...) }

// Without returns the set with a removed.
func (s Authorities) Without(as ...Authority) Authorities { return s &^ NewAuthorities(as...) }

// List returns the authorities in the set, in column order.
func (s Authorities) List() []Authority {
	var out []Authority
	for v := uint64(s); v != 0; v &= v - 1 {
		out = append(out, Authority(bits.TrailingZeros64(v)))
	}
	return out
}

// Validate checks the dependencies between authorities. Each broken rule is
// reported under the dependent authority's name.
func (s Authorities) Validate() error {
	var v Validation
	for _, a := range s.List() {
		if !a.Valid() {
			v.Add("authorities", "auth.unknown", fmt.Sprint(int(a)))
			continue
		}
		var missing missingAuthorities
		for _, p := range a.Parents() {
			if !s.Has(p) {
				missing = append(missing, p)
			}
		}
		switch len(missing) {
		case 0:
		case 1:
			v.Add(a.Name(), "auth.depends", a, a.Column(), missing[0], missing[0].Column())
		default:
			// Every one it lacks, so that one correction is enough.
			v.Add(a.Name(), "auth.depends.many", a, a.Column(), missing)
		}
	}
	if s.Has(AuthNoViewing) && s&NewAuthorities(AuthLogViewer, AuthConsole, AuthBackup) != 0 {
		v.Add(AuthNoViewing.Name(), "auth.exclusive", AuthNoViewing, AuthNoViewing.Column())
	}
	return v.Err()
}

// missingAuthorities names authorities with their columns for a person:
// "Department administrator (column 8) and Register/update/delete device
// (column 33)".
type missingAuthorities []Authority

func (m missingAuthorities) In(lang Lang) string {
	parts := make([]string, len(m))
	for i, a := range m {
		parts[i] = M("auth.with_column", a, a.Column()).In(lang)
	}
	if lang == Japanese {
		return strings.Join(parts, "と")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// MarshalJSON writes the set as a sorted list of authority names.
func (s Authorities) MarshalJSON() ([]byte, error) {
	names := []string{}
	for _, a := range s.List() {
		names = append(names, a.Name())
	}
	sort.Strings(names)
	return json.Marshal(names)
}

// UnmarshalJSON reads a list of authority names, or of their columns in
// the administrators' CSV file ("6"), as the command line takes them.
func (s *Authorities) UnmarshalJSON(b []byte) error {
	var names []string
	if err := json.Unmarshal(b, &names); err != nil {
		return err
	}
	var out Authorities
	for _, n := range names {
		a, ok := AuthorityByName(n)
		if col, err := strconv.Atoi(strings.TrimSpace(n)); err == nil && Authority(col).Valid() {
			a, ok = Authority(col), true
		}
		if !ok {
			return FieldError("authorities", "auth.unknown", n)
		}
		out = out.With(a)
	}
	*s = out
	return nil
}
