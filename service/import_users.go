package service

import (
	"context"
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/csvio"
)

// usersImporter checks and writes rows of the users format (manual 001).
type usersImporter struct {
	r      *jobRun
	group  string
	update bool

	g                           *meibo.Group
	profiles                    map[string]*meibo.Profile
	def                         *meibo.Profile
	limit                       int // licence limit (0: none, and nothing to count)
	licence                     int // change of the unified user count
	created, updated, unchanged int
	invited                     int // invitations queued
	mailLang                    meibo.Lang
}

func (u *usersImporter) reset() {
	u.licence, u.created, u.updated, u.unchanged, u.invited = 0, 0, 0, 0, 0
}

func (u *usersImporter) counts() (int, int, int, int) { return u.created, u.updated, 0, u.unchanged }

// noop: every row of the file is a user as the data holds it. An import
// that allows weak hashes reports the group's count of them when it
// applies, and so applies.
func (u *usersImporter) noop() bool {
	return u.created == 0 && u.updated == 0 && !u.r.job.AllowWeakHashes
}

func (u *usersImporter) password(rec *csvio.Record) string {
	if rec.User == nil {
		return ""
	}
	return rec.User.Password
}

func (u *usersImporter) begin(ctx context.Context, tx meibo.Tx, apply bool) error {
	g, err := tx.Group(ctx, u.group)
	if err != nil {
		return err
	}
	u.g = g
	ps, err := tx.Profiles(ctx, u.group)
	if err != nil {
		return err
	}
	st, err := tx.Settings(ctx)
	if err != nil {
		return err
	}
	u.limit, u.mailLang = st.LicenceLimit, st.MailLanguage
	u.profiles = map[string]*meibo.Profile{}
	for _, p := range ps {
		u.profiles[p.Name] = p
		if p.Default {
			u.def = p
		}
	}
	if apply {
		return tx.Lock(ctx, "users")
	}
	return nil
}

func (u *usersImporter) batch(ctx context.Context, tx meibo.Tx, recs []*csvio.Record, apply bool) error {
	r := u.r
	existing, ambiguous, err := usersNamed(ctx, tx, u.group, recs, func(rec *csvio.Record) string {
		if rec.User == nil {
			return ""
		}
		return rec.User.Name
	})
	if err != nil {
		return err
	}
	type change struct {
		rec       *csvio.Record
		cur       *meibo.User // before, when updated
		user      *meibo.User
		oldKey    meibo.UnifiedKey
		create    bool
		passwordC bool
		disables  bool // an enabled user becomes disabled
		// endTokens: the user may hold personal API tokens before the
		// row and no longer after it (disabled, API access off, or a
		// profile without it).
		endTokens bool
	}
	var changes []change
	var keys []meibo.UnifiedKey
	for _, rec := range recs {
		in := rec.User
		if in == nil {
			continue
		}
		if names := ambiguous[in.Name]; names != nil {
			r.cp932Ambiguous(rec, "name", in.Name, names)
			continue
		}
		cur := existing[in.Name]
		if cur != nil {
			// A name or address read from Shift_JIS as the user's read
			// back: the user's own.
			in.Name, in.Email = cur.Name, csvio.KeepStored(rec, cur.Email, in.Email)
		}
		if cur != nil && !u.update {
			r.problemAt(rec, "name", meibo.M("import.user.exists", in.Name))
			continue
		}
		if cur == nil && !hasErrorAt(rec, "name") {
			if bad := meibo.CheckNewUserName(in.Name); bad != nil {
				if err := r.problemErr(rec, "name", bad); err != nil {
					return err
				}
			}
		}
		// The checks of one row that do not depend on each other all run,
		// so that a row's every error is listed at once.
		profile, bad := u.def, false
		if cur != nil && !in.HasProfile {
			profile = &meibo.Profile{ID: cur.ProfileID, Name: cur.ProfileName, APIAccess: u.profileAPI(cur.ProfileName)}
		} else if in.Profile != "" {
			switch named, several := u.profileNamed(rec, in.Profile, cur); {
			case hasErrorAt(rec, "profile"):
				bad = true // unreadable (bytes not of the encoding): said already
			case several != nil:
				r.problemAt(rec, "profile", meibo.M("import.cp932.ambiguous.profile", in.Profile, strings.Join(several, ", ")))
				bad = true
			case named == nil:
				r.problemAt(rec, "profile", meibo.M("profile.not_found", in.Profile))
				bad = true
			default:
				profile = named
			}
		}
		if !r.hashAllowed(rec, "passwordHash", in.PasswordHash) {
			bad = true
		}
		if in.Password != "" {
			if err := meibo.CheckPassword(in.Password, in.Name, in.Email, u.group); err != nil {
				if err := r.problemErr(rec, "password", err); err != nil {
					return err
				}
				bad = true
			}
		}
		if bad {
			continue
		}
		next := &meibo.User{GroupID: u.group, Name: in.Name, Email: in.Email, ProfileID: profile.ID, ProfileName: profile.Name,
			Admin: in.Admin, APIAccess: in.APIAccess, Disabled: in.Disabled}
		if cur != nil {
			next.ID, next.PasswordHash, next.PasswordChangedAt, next.CreatedAt = cur.ID, cur.PasswordHash, cur.PasswordChangedAt, cur.CreatedAt
			if !in.HasAdmin {
				next.Admin = cur.Admin
			}
			if !in.HasAPIAccess {
				next.APIAccess = cur.APIAccess
			}
			if !in.HasDisabled {
				next.Disabled = cur.Disabled
			}
		}
		if next.APIAccess && !profile.APIAccess {
			r.problemAt(rec, "apiAccess", meibo.M("profile.api", profile.Name))
			continue
		}
		if rec.HasErrors() {
			continue
		}
		if cur == nil && r.job.SendInvitations && next.Email == "" && in.Password == "" && !apply {
			r.problem(csvio.Problem{Row: rec.Row, Column: "email", Msg: meibo.M("import.no_email", next.Name), Warning: true})
		}
		c := change{rec: rec, cur: cur, user: next, create: cur == nil, passwordC: in.Password != "" || in.PasswordHash != "",
			disables:  cur != nil && !cur.Disabled && next.Disabled,
			endTokens: cur != nil && cur.APIAccess && !cur.Disabled && !(next.APIAccess && !next.Disabled && profile.APIAccess)}
		switch {
		case cur == nil:
			keys = append(keys, next.UnifiedKey())
		case next.UnifiedKey() != cur.UnifiedKey():
			c.oldKey = cur.UnifiedKey()
			keys = append(keys, next.UnifiedKey(), c.oldKey)
		}
		if cur != nil && !c.passwordC && sameUser(cur, next) {
			u.unchanged++
			continue
		}
		changes = append(changes, c)
	}
	// Licence: names are unique in a file and in a group, so no two rows
	// touch the same unified key; each row's change is independent.
	if len(keys) > 0 && u.limit > 0 {
		members, err := tx.UnifiedMembers(ctx, keys)
		if err != nil {
			return err
		}
		for _, c := range changes {
			k := c.user.UnifiedKey()
			if c.create || c.oldKey != (meibo.UnifiedKey{}) {
				if members[k] == 0 {
					u.licence++
				}
			}
			if c.oldKey != (meibo.UnifiedKey{}) && members[c.oldKey] == 1 {
				u.licence--
			}
		}
	}
	var creates, updates []*meibo.User
	var ended []int64     // users whose sessions and links end
	var tokensEnd []int64 // users whose personal API tokens end
	for _, c := range changes {
		if c.create {
			u.created++
		} else {
			u.updated++
		}
		if !apply {
			continue
		}
		if c.passwordC {
			c.user.PasswordHash = r.hashes[c.rec.Row]
			if h := c.rec.User.PasswordHash; h != "" {
				c.user.PasswordHash = h // never hashed again
			}
			c.user.PasswordChangedAt = ptr(tx.Now())
		}
		r.recordChange(c.rec.Row, meibo.ChangeUser, c.user.Name, c.cur, c.user, c.passwordC)
		if c.create {
			creates = append(creates, c.user)
		} else {
			updates = append(updates, c.user)
			if c.passwordC || c.disables {
				ended = append(ended, c.user.ID)
			}
			if c.endTokens {
				tokensEnd = append(tokensEnd, c.user.ID)
			}
		}
	}
	if !apply || r.errors > 0 {
		return nil
	}
	if err := tx.CreateUsers(ctx, creates); err != nil {
		return err
	}
	if r.job.SendInvitations {
		// Invitations of the new users go to the outbox in the import's own
		// transaction: all of them, or (when it rolls back) none.
		var mails []*meibo.MailMessage
		for _, nu := range creates {
			if nu.Email == "" || nu.HasPassword() || nu.Disabled {
				continue // invited: users with an address, no password, enabled
			}
			m, err := r.s.linkMail(ctx, tx, nu, u.g, meibo.MailInvitation, u.mailLang, false)
			if err != nil {
				return err
			}
			mails = append(mails, m)
		}
		if err := tx.CreateMails(ctx, mails); err != nil {
			return err
		}
		u.invited += len(mails)
	}
	if err := tx.UpdateUsers(ctx, updates); err != nil {
		return err
	}
	// The batch's users who lost the right to personal tokens lose the
	// tokens now, in the import's transaction: a statement per 500 users.
	if _, err := tx.DeletePersonalTokensOf(ctx, tokensEnd); err != nil {
		return err
	}
	return endUsersAccess(ctx, tx, ended)
}

// profileNamed returns the group's profile named name. For a record read
// as CP932 it is the one profile whose name reads back as name, that very
// name included; the user's own profile when it is one of them (an export
// imported again changes nothing); else several is every such profile,
// which the row cannot choose between.
func (u *usersImporter) profileNamed(rec *csvio.Record, name string, cur *meibo.User) (p *meibo.Profile, several []string) {
	if u.profiles[name] == nil {
		// Written decomposed (as macOS may save text): the same name.
		name = norm.NFC.String(name)
	}
	if !rec.CP932 {
		return u.profiles[name], nil
	}
	var found []*meibo.Profile
	if p := u.profiles[name]; p != nil {
		found = append(found, p)
	}
	for _, s := range csvio.CP932Spellings(name) {
		if p := u.profiles[s]; p != nil {
			found = append(found, p)
		}
	}
	for _, p := range found {
		if cur != nil && p.ID == cur.ProfileID {
			return p, nil
		}
	}
	switch len(found) {
	case 0:
		return nil, nil
	case 1:
		return found[0], nil
	}
	for _, p := range found {
		several = append(several, p.Name)
	}
	return nil, several
}

// profileAPI reports whether the profile named name allows API access.
func (u *usersImporter) profileAPI(name string) bool {
	if p := u.profiles[name]; p != nil {
		return p.APIAccess
	}
	return false
}

// sameUser reports whether next changes nothing of cur that a users file
// carries.
func sameUser(cur, next *meibo.User) bool {
	return cur.Email == next.Email && cur.ProfileID == next.ProfileID && cur.Admin == next.Admin &&
		cur.APIAccess == next.APIAccess && cur.Disabled == next.Disabled
}

func (u *usersImporter) end(ctx context.Context, tx meibo.Tx, apply bool) error {
	if err := u.r.reportWeakHashes(ctx, tx, u.group, apply); err != nil {
		return err
	}
	if u.limit <= 0 || u.licence <= 0 || u.r.errors > 0 {
		return nil
	}
	count, err := tx.UnifiedCount(ctx)
	if err != nil {
		return err
	}
	if apply {
		// The rows are written: the count includes them.
		count -= u.licence
	}
	if count+u.licence > u.limit {
		u.r.problem(csvio.Problem{Msg: meibo.M("licence.exceeded", count+u.licence, u.limit)})
	}
	return nil
}

// event is an audit event for one row written by the job.
func (r *jobRun) event(action, kind, id, group string, password bool) *meibo.AuditEvent {
	a := meibo.ActorFrom(r.ctx)
	details := map[string]any{"import": r.job.ID}
	if password {
		details["password"] = "changed"
	}
	cat := meibo.CategoryUser
	if kind == "admin" {
		cat = meibo.CategoryConfig
	}
	return &meibo.AuditEvent{ActorKind: a.Kind, ActorName: a.Name, Action: action, Category: cat, ObjectKind: kind, ObjectID: id, GroupID: group, Details: details}
}
