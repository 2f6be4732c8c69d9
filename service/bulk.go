package service

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/meibo/meibo"
)

// A bulk action changes many users (or devices) of one group at once: a
// selection of IDs, or everything a filter matches, whatever its size. It
// runs as a job in the import jobs' table, with the format "bulk:" and the
// action, so that it is claimed by the same worker, shows the same progress,
// and lands in the same history:
//
//  1. submit: the actor's authority and the group's scope are checked, the
//     request is kept as the job's file, QUEUED.
//  2. run: in one transaction the selection is read (the filter is resolved
//     there, not in the browser), every member is checked against the rules
//     of the action, and the whole set is written in batches; a refusal of
//     any member writes nothing and fails the job with the refusals.
//     The job's outcome, one audit event with the counts, and the list of
//     what changed per member (kept as the job's file, a CSV) commit with
//     the changes.
//
// A dry run does step 2 in a read transaction: the counts of what would
// change, the refusals, and the list of changes, but no write.

// The bulk actions.
const (
	BulkDisable  = "users.disable"
	BulkEnable   = "users.enable"
	BulkDelete   = "users.delete"
	BulkProfile  = "users.profile"
	BulkInvite   = "users.invite"
	BulkReset    = "users.reset"
	BulkSignOut  = "users.signout"
	BulkCommand  = "devices.command"
	BulkRevoke   = "devices.revoke"
	bulkPrefix   = "bulk:"
	bulkMaxIDs   = 10_000
	bulkPageSize = 500
)

// BulkActions lists the actions in the order the console offers them.
var BulkActions = []string{BulkDisable, BulkEnable, BulkProfile, BulkInvite, BulkReset, BulkSignOut, BulkDelete, BulkCommand, BulkRevoke}

// IsBulkFormat reports whether a job's format is a bulk action's.
func IsBulkFormat(format string) bool { return strings.HasPrefix(format, bulkPrefix) }

// BulkAction returns the action of a bulk job's format ("" for an import).
func BulkAction(format string) string {
	a, ok := strings.CutPrefix(format, bulkPrefix)
	if !ok {
		return ""
	}
	return a
}

func bulkOnDevices(action string) bool { return strings.HasPrefix(action, "devices.") }

// BulkFilter selects the members of a group as the users list (or the
// devices list) filters them. Profile names a profile of the group.
type BulkFilter struct {
	Keyword   string `json:"keyword,omitempty"`
	Disabled  *bool  `json:"disabled,omitempty"`
	Admin     *bool  `json:"admin,omitempty"`
	ProfileID *int64 `json:"profileId,omitempty"`
	Profile   string `json:"profile,omitempty"`
	// Invitation keeps the users whose invitation is in this state.
	Invitation meibo.InvitationState `json:"invitation,omitempty"`
}

// BulkRequest is one bulk action: on the members of IDs, or, when Filter
// is set, on every member of the group the filter matches.
type BulkRequest struct {
	Action  string      `json:"action"`
	GroupID string      `json:"group"`
	Filter  *BulkFilter `json:"filter,omitempty"`
	IDs     []int64     `json:"ids,omitempty"`
	// Profile is the profile users move to (users.profile).
	Profile string `json:"profile,omitempty"`
	// Command and Message are the remote command (devices.command).
	Command string `json:"command,omitempty"`
	Message string `json:"message,omitempty"`
	// DeleteProfile deletes the profile of the filter once its users have
	// moved (users.profile with a filter on one profile).
	DeleteProfile bool `json:"deleteProfile,omitempty"`
	// DeleteGroup deletes the group once all its users are deleted
	// (users.delete on all of the group).
	DeleteGroup bool `json:"deleteGroup,omitempty"`
	// Confirm must repeat the group ID to delete users (users.delete),
	// any number of them, a preview included.
	Confirm string `json:"confirm,omitempty"`
	DryRun  bool   `json:"dryRun"`
	// Confirms is the preview this job applies (ConfirmImport); not part
	// of the request a job keeps.
	Confirms int64 `json:"-"`
}

// Messages of bulk actions.
func init() {
	meibo.RegisterMessages(map[string][2]string{
		"bulk.action":         {"Unknown bulk action %q.", "不明な一括操作「%s」です。"},
		"bulk.selection":      {"Select users (or devices), or everything a filter matches.", "ユーザー(またはデバイス)を選択するか、条件に一致するすべてを選択してください。"},
		"bulk.too_many":       {"At most %d members can be selected one by one; select everything the filter matches instead.", "個別に選択できるのは %d 件までです。条件に一致するすべてを選択してください。"},
		"bulk.profile":        {"Choose the profile to move the users to.", "移動先のプロファイルを選択してください。"},
		"bulk.profile.same":   {"The users are in this profile already: choose another one.", "ユーザーは既にこのプロファイルに属しています。別のプロファイルを選択してください。"},
		"bulk.delete_profile": {"To delete a profile, move the users of that one profile (filter on it).", "プロファイルを削除するには、そのプロファイルのユーザー(条件で指定)を移動してください。"},
		"bulk.delete_group":   {"To delete the group, delete all its users (no filter).", "グループを削除するには、すべてのユーザーを削除してください(条件なし)。"},
		"bulk.confirm":        {"What was typed is not the group ID %s.", "入力された文字はグループID %s と一致しません。"},
		"bulk.confirm.all":    {"This deletes every user of group %s: type the group ID to confirm.", "グループ %s のすべてのユーザーを削除します。確認のためグループIDを入力してください。"},
		"bulk.confirm.delete": {"This deletes users of group %s: type the group ID to confirm.", "グループ %s のユーザーを削除します。確認のためグループIDを入力してください。"},
		"bulk.not_in_group":   {"User %d is not in this group.", "ユーザー %d はこのグループに属していません。"},
		"bulk.device_missing": {"Device %d is not in this group.", "デバイス %d はこのグループに属していません。"},
		"bulk.summary":        {"%s changed, %s deleted, %s unchanged.", "変更 %s件、削除 %s件、変更なし %s件。"},
		"bulk.failed":         {"Refused: %d problems; nothing was written.", "実行できませんでした。問題 %d件、何も書き込まれていません。"},
		"bulk.failed.one":     {"Refused: %d problem; nothing was written.", "実行できませんでした。問題 %d件、何も書き込まれていません。"},
		"bulk.refused.api":    {"%s has API access, which profile %s does not allow.", "%s は API アクセスが有効ですが、プロファイル %s では許可されていません。"},
		"bulk.refused.self":   {"%s is the account you are signed in with.", "%s はサインイン中のアカウントです。"},
	})
}

// SubmitBulk checks a bulk action (authority, scope, what it names) and
// records it as a QUEUED job for the worker. Actions on users need the
// authority to manage users and the group in scope; actions on devices
// "register/update/delete device" (33), and sending a command also the
// emergency procedure authority (36). Deleting the group takes an
// administrator who is not restricted to departments.
func (s *Service) SubmitBulk(ctx context.Context, req BulkRequest) (*meibo.ImportJob, error) {
	a, err := bulkActor(ctx, req.Action)
	if err != nil {
		return nil, err
	}
	if err := req.check(); err != nil {
		return nil, err
	}
	if req.DeleteGroup && a.Department() {
		return nil, refuse(a, "authority", "groups", meibo.Forbidden("forbidden.department"))
	}
	if (req.Action == BulkInvite || req.Action == BulkReset) && s.cfg.PublicURL == "" {
		return nil, meibo.Errorf(meibo.CodeInvalid, "invitation.no_url")
	}
	var job *meibo.ImportJob
	err = s.store.Update(ctx, func(tx meibo.Tx) error {
		g, err := s.group(ctx, tx, a, req.GroupID)
		if err != nil {
			return err
		}
		req.GroupID = g.ID
		// Deleting users, any number of them (the group with them, or
		// not), is confirmed by the group's ID typed, as deleting the
		// group is; so is its preview, which can be applied as it is.
		if req.Action == BulkDelete && !strings.EqualFold(strings.TrimSpace(req.Confirm), g.ID) {
			switch {
			case strings.TrimSpace(req.Confirm) != "":
				return meibo.FieldError("confirm", "bulk.confirm", g.ID)
			case req.deletesAll():
				return meibo.FieldError("confirm", "bulk.confirm.all", g.ID)
			}
			return meibo.FieldError("confirm", "bulk.confirm.delete", g.ID)
		}
		if err := s.resolveBulkProfiles(ctx, tx, &req); err != nil {
			return err
		}
		data, err := json.Marshal(req)
		if err != nil {
			return fmt.Errorf("bulk request: %w", err)
		}
		sum := sha256.Sum256(data)
		job = &meibo.ImportJob{Format: bulkPrefix + req.Action, Encoding: "utf-8", GroupID: g.ID, DryRun: req.DryRun,
			FileName: "bulk-" + strings.ReplaceAll(req.Action, ".", "-") + "-" + g.ID + ".csv", Size: int64(len(data)),
			SHA256: hex.EncodeToString(sum[:]), CreatedBy: jobCreator(a), Status: meibo.ImportQueued, Request: string(data), Confirms: req.Confirms}
		// Bulk jobs wait in the imports' queue and count towards its
		// bounds.
		if err := s.checkActiveImports(ctx, tx, job); err != nil {
			return err
		}
		if err := tx.CreateImportJob(ctx, job, data); err != nil {
			return err
		}
		return s.audit(ctx, tx, "bulk.submit", bulkCategory(req.Action), "import", idString(job.ID), g.ID, req.details())
	})
	if err != nil {
		return nil, err
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return job, nil
}

// deletesAll reports whether the request deletes every user of its group
// (an empty filter).
func (req *BulkRequest) deletesAll() bool {
	return req.Action == BulkDelete && req.Filter != nil && *req.Filter == (BulkFilter{})
}

// check validates the request's shape (what needs no data).
func (req *BulkRequest) check() error {
	if req.GroupID == "" {
		return meibo.FieldError("group", "group.required")
	}
	if req.Filter == nil && len(req.IDs) == 0 {
		return meibo.FieldError("ids", "bulk.selection")
	}
	if req.Filter != nil {
		req.IDs = nil
	}
	if len(req.IDs) > bulkMaxIDs {
		return meibo.FieldError("ids", "bulk.too_many", bulkMaxIDs)
	}
	switch req.Action {
	case BulkProfile:
		if strings.TrimSpace(req.Profile) == "" {
			return meibo.FieldError("profile", "bulk.profile")
		}
	case BulkCommand:
		act := meibo.Action(req.Command)
		if !act.Valid() {
			return meibo.FieldError("command", "profile.action", req.Command)
		}
	}
	if req.DeleteProfile && (req.Action != BulkProfile || req.Filter == nil || req.Filter.ProfileID == nil && req.Filter.Profile == "" ||
		req.Filter.Keyword != "" || req.Filter.Disabled != nil || req.Filter.Admin != nil || req.Filter.Invitation != "") {
		return meibo.FieldError("deleteProfile", "bulk.delete_profile")
	}
	if req.DeleteGroup && (req.Action != BulkDelete || req.Filter == nil || *req.Filter != (BulkFilter{})) {
		return meibo.FieldError("deleteGroup", "bulk.delete_group")
	}
	return nil
}

// resolveBulkProfiles checks the profiles a request names in its group and
// records the filter's profile by ID.
func (s *Service) resolveBulkProfiles(ctx context.Context, tx meibo.Tx, req *BulkRequest) error {
	if f := req.Filter; f != nil && (f.Profile != "" || f.ProfileID != nil) {
		var p *meibo.Profile
		var err error
		if f.ProfileID != nil {
			p, err = tx.Profile(ctx, *f.ProfileID)
			if err == nil && p.GroupID != req.GroupID {
				err = meibo.NotFound("profile.not_found", idString(*f.ProfileID))
			}
		} else {
			p, err = tx.ProfileByName(ctx, req.GroupID, f.Profile)
		}
		if meibo.ErrorCode(err) == meibo.CodeNotFound {
			return meibo.FieldError("filter.profile", "profile.not_found", defaultString(f.Profile, "?"))
		} else if err != nil {
			return err
		}
		f.ProfileID, f.Profile = &p.ID, p.Name
		if req.DeleteProfile && p.Default {
			return meibo.Conflict("profile.default")
		}
	}
	if req.Action == BulkProfile {
		p, err := tx.ProfileByName(ctx, req.GroupID, strings.TrimSpace(req.Profile))
		if meibo.ErrorCode(err) == meibo.CodeNotFound {
			return meibo.FieldError("profile", "profile.not_found", req.Profile)
		} else if err != nil {
			return err
		}
		req.Profile = p.Name
		if req.DeleteProfile && *req.Filter.ProfileID == p.ID {
			return meibo.FieldError("profile", "bulk.profile.same")
		}
	}
	return nil
}

// bulkActor returns the actor when it may run the bulk action.
func bulkActor(ctx context.Context, action string) (a *meibo.Actor, err error) {
	switch action {
	case BulkDisable, BulkEnable, BulkDelete, BulkProfile, BulkInvite, BulkReset, BulkSignOut:
		return requireUsers(ctx)
	case BulkRevoke:
		return requireDevices(ctx)
	case BulkCommand:
		if a, err = requireDevices(ctx); err == nil {
			a, err = require(ctx, meibo.AuthConsole, meibo.AuthEmergency)
		}
		return a, err
	}
	return nil, meibo.FieldError("action", "bulk.action", action)
}

func (req *BulkRequest) details() map[string]any {
	d := map[string]any{"action": req.Action, "dryRun": req.DryRun}
	if req.Filter != nil {
		d["filter"] = req.Filter
	} else {
		d["ids"] = len(req.IDs)
	}
	if req.Profile != "" {
		d["profile"] = req.Profile
	}
	if req.Command != "" {
		d["command"] = req.Command
	}
	if req.DeleteProfile {
		d["deleteProfile"] = true
	}
	if req.DeleteGroup {
		d["deleteGroup"] = true
	}
	return d
}

func bulkCategory(action string) string {
	if bulkOnDevices(action) {
		return meibo.CategoryDevice
	}
	return meibo.CategoryUser
}

// BulkCount counts the members a filter selects, up to limit: it returns
// limit+1 when there are more. It is what the console's "select all N
// matching" says. Without a keyword it is one bounded index count; a
// keyword's matches are counted through the search, at most limit of them.
func (s *Service) BulkCount(ctx context.Context, groupID string, f BulkFilter, limit int) (int, error) {
	a, err := requireUsers(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		g, err := s.group(ctx, tx, a, groupID)
		if err != nil {
			return err
		}
		uf := userFilter(g.ID, f)
		if strings.TrimSpace(f.Keyword) == "" {
			n, err = tx.CountUsersUpTo(ctx, uf, limit+1)
			return err
		}
		return eachUserPage(ctx, tx, uf, func(us []*meibo.User) error {
			n += len(us)
			if n > limit {
				return errEnough
			}
			return nil
		})
	})
	if errors.Is(err, errEnough) || n > limit {
		return limit + 1, nil
	}
	return n, err
}

var errEnough = errors.New("enough")

func userFilter(groupID string, f BulkFilter) meibo.UserFilter {
	return meibo.UserFilter{GroupID: groupID, Keyword: f.Keyword, Disabled: f.Disabled, Admin: f.Admin, ProfileID: f.ProfileID,
		Invitation: f.Invitation, Limit: bulkPageSize}
}

// eachUserPage walks every page of users f selects, through the users
// list's own search (FindUsers), so that a bulk action selects exactly
// what the list shows.
func eachUserPage(ctx context.Context, tx meibo.Tx, f meibo.UserFilter, fn func([]*meibo.User) error) error {
	f.Limit = bulkPageSize
	for {
		page, err := tx.FindUsers(ctx, f)
		if err != nil {
			return err
		}
		if len(page.Users) > 0 {
			if err := fn(page.Users); err != nil {
				return err
			}
		}
		if !page.HasNext || len(page.Users) == 0 {
			return nil
		}
		f.After, f.Before = page.Users[len(page.Users)-1].Name, ""
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// bulkRun is one run of a bulk job.
type bulkRun struct {
	*jobRun
	req     BulkRequest
	changes [][]string // id, name, what, before, after
	refused []meibo.ImportMessage
	// refusedRows counts the selected users or devices refused; with
	// those changed, deleted or left, they are the job's rows.
	refusedRows int
	updated     int
	deleted     int
	same        int
	mails       int
	woken       []int64 // devices whose polls are woken after the commit
}

func (b *bulkRun) change(id int64, name, what, before, after string) {
	b.changes = append(b.changes, []string{idString(id), name, what, before, after})
}

func (b *bulkRun) refuse(n int, field string, m meibo.Msg) {
	if len(b.refused) < b.s.maxMessages() {
		b.refused = append(b.refused, meibo.NewImportMessage(n, field, m, false))
	}
	if n > 0 {
		b.refusedRows++
	}
	b.errors++
}

// runBulk runs a claimed bulk job (from runClaimed).
func (r *jobRun) runBulk() error {
	ctx := r.ctx
	f, err := r.file.open(ctx)
	if err != nil {
		return err
	}
	data, err := io.ReadAll(f) // the action asked for: a small JSON document
	f.Close()
	if err != nil {
		return err
	}
	b := &bulkRun{jobRun: r}
	if err := json.Unmarshal(data, &b.req); err != nil {
		r.problemMsg(meibo.M("bulk.action", r.job.Format))
		return r.finishFailed(ctx)
	}
	r.job.DetectedEncoding = "utf-8"
	if r.job.DryRun {
		err = r.s.store.View(ctx, func(tx meibo.Tx) error { return b.apply(ctx, tx, false) })
		if err != nil {
			return err
		}
		if b.errors > 0 {
			return b.finishRefused(ctx)
		}
		return r.s.store.Update(ctx, func(tx meibo.Tx) error { return b.finish(ctx, tx) })
	}
	err = r.s.store.Update(ctx, func(tx meibo.Tx) error {
		if err := b.apply(ctx, tx, true); err != nil {
			return err
		}
		if b.errors > 0 {
			return errRefused
		}
		return b.finish(ctx, tx)
	})
	switch {
	case errors.Is(err, errRefused):
		return b.finishRefused(ctx)
	case errors.Is(err, errTakenOver):
		r.s.log.Warn("bulk job was taken for dead while it ran; its changes were rolled back", "job", r.job.ID)
		return nil
	case err != nil:
		var me *meibo.Error
		if errors.As(err, &me) && me.Code != meibo.CodeInternal {
			// A rule of the data (a profile deleted meanwhile, a group
			// that still has devices): the job fails with it.
			b.refused = append(b.refused, meibo.NewImportMessage(0, "", me.Msg, false))
			b.errors++
			return b.finishRefused(ctx)
		}
		return err
	}
	for _, id := range b.woken {
		r.s.waiters.wake(id)
	}
	if b.mails > 0 {
		r.s.nudgeMail()
	}
	return nil
}

func (r *jobRun) problemMsg(m meibo.Msg) {
	r.errors++
	r.pending = append(r.pending, meibo.NewImportMessage(0, "", m, false))
}

// apply reads the selection and checks (and, with write, makes) the change.
func (b *bulkRun) apply(ctx context.Context, tx meibo.Tx, write bool) error {
	b.changes, b.refused, b.errors, b.refusedRows = nil, nil, 0, 0
	b.updated, b.deleted, b.same, b.mails = 0, 0, 0, 0
	b.prog.setPhase(PhaseValidate)
	g, err := tx.Group(ctx, b.req.GroupID)
	if err != nil {
		return err
	}
	if write {
		if err := tx.Lock(ctx, "users"); err != nil {
			return err
		}
	}
	if bulkOnDevices(b.req.Action) {
		return b.applyDevices(ctx, tx, g, write)
	}
	return b.applyUsers(ctx, tx, g, write)
}

// finish writes the job's SUCCESS, its list of changes, and the audit event.
func (b *bulkRun) finish(ctx context.Context, tx meibo.Tx) error {
	r := b.jobRun
	now := r.s.now()
	j := r.job
	j.Status, j.FinishedAt, j.HeartbeatAt, j.Progress = meibo.ImportSuccess, &now, &now, 1
	j.Created, j.Updated, j.Deleted, j.Unchanged = 0, b.updated, b.deleted, b.same
	j.Rows = b.updated + b.deleted + b.same
	j.ErrorCount, j.WarningCount = 0, 0
	j.Message = meibo.M("bulk.summary", formatCount(b.updated), formatCount(b.deleted), formatCount(b.same)).In(meibo.English)
	if err := r.stillOurs(ctx, tx); err != nil {
		return err
	}
	file, err := b.changesFile()
	if err != nil {
		return err
	}
	if err := tx.ReplaceImportFile(ctx, j.ID, file); err != nil {
		return err
	}
	if ok, err := tx.FinishImportJob(ctx, j); err != nil {
		return err
	} else if !ok {
		return errTakenOver
	}
	d := b.req.details()
	d["updated"], d["deleted"], d["unchanged"] = b.updated, b.deleted, b.same
	if b.mails > 0 {
		d["mails"] = b.mails
	}
	return r.s.audit(ctx, tx, "bulk.success", bulkCategory(b.req.Action), "import", idString(j.ID), j.GroupID, d)
}

// BulkFailedMsg is the outcome of a bulk action refused for n problems, in
// the right number.
func BulkFailedMsg(n int) meibo.Msg {
	if n == 1 {
		return meibo.M("bulk.failed.one", n)
	}
	return meibo.M("bulk.failed", n)
}

// finishRefused fails the job with its refusals; nothing was written.
func (b *bulkRun) finishRefused(ctx context.Context) error {
	r := b.jobRun
	r.pending = append(r.pending, b.refused...)
	r.errors = b.errors
	r.job.Rows = b.updated + b.deleted + b.same + b.refusedRows
	err := r.s.store.Update(ctx, func(tx meibo.Tx) error {
		if err := r.stillOurs(ctx, tx); err != nil {
			return err
		}
		if err := tx.AddImportMessages(ctx, r.job.ID, r.pending); err != nil {
			return err
		}
		now := r.s.now()
		j := r.job
		j.Status, j.FinishedAt, j.HeartbeatAt, j.Progress = meibo.ImportFailed, &now, &now, 0
		j.Created, j.Updated, j.Deleted, j.Unchanged = 0, 0, 0, 0
		j.ErrorCount, j.WarningCount = r.errors, 0
		j.Message = BulkFailedMsg(r.errors).In(meibo.English)
		if ok, err := tx.FinishImportJob(ctx, j); err != nil {
			return err
		} else if !ok {
			return errTakenOver
		}
		d := b.req.details()
		d["errors"] = r.errors
		return r.s.audit(ctx, tx, "bulk.failed", bulkCategory(b.req.Action), "import", idString(j.ID), j.GroupID, d)
	})
	if errors.Is(err, errTakenOver) {
		return nil
	}
	r.pending = r.pending[:0]
	return err
}

// changesFile is the CSV of what the job changed (or, dry, would change),
// one line per member and field; it never holds a password.
func (b *bulkRun) changesFile() ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"id", "name", "change", "before", "after"})
	_ = w.WriteAll(b.changes)
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("bulk changes: %w", err)
	}
	return buf.Bytes(), nil
}

// changeDevice is the kind of a bulk action's change of a device.
const changeDevice = "device"

// bulkChanges lists what a bulk job changed, member by member, after the
// member numbered afterSeq, at most limit (0: all), read from its kept list
// (changesFile) as it streams: a member's lines become one change, its seq
// the member's place in the list and its row the line of the kept file
// where it begins. A dry run, or a job that did not succeed, changed
// nothing (its file is the preview or the request).
func (s *Service) bulkChanges(ctx context.Context, j *meibo.ImportJob, afterSeq, limit int) ([]meibo.ImportChange, error) {
	out := []meibo.ImportChange{}
	if j.Status != meibo.ImportSuccess || j.DryRun {
		return out, nil
	}
	kind := meibo.ChangeUser
	if bulkOnDevices(BulkAction(j.Format)) {
		kind = changeDevice
	}
	f, err := storedFile{s: s, id: j.ID}.open(ctx)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = 5 // id, name, change, before, after
	var (
		cur        meibo.ImportChange
		d          diff
		collecting bool
		seq        int
		id         string
	)
	end := func() {
		if collecting {
			cur.Changes = d.String()
			out = append(out, cur)
		}
	}
	for line := 0; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("bulk changes of job %d: %w", j.ID, err)
		}
		if line == 0 {
			continue // the header
		}
		if seq == 0 || rec[0] != id {
			end()
			if limit > 0 && len(out) == limit {
				return out, nil
			}
			seq, id = seq+1, rec[0]
			row, _ := cr.FieldPos(0)
			collecting = seq > afterSeq
			cur = meibo.ImportChange{Seq: seq, Row: row, Kind: kind, Action: meibo.ChangeUpdated, Name: rec[1]}
			d = diff{}
		}
		if !collecting {
			continue
		}
		if rec[2] == "deleted" {
			cur.Action = meibo.ChangeDeleted
			continue
		}
		d.change(rec[2], changeWord(rec[3]), changeWord(rec[4]))
	}
	end()
	return out, nil
}

// changeWord writes a value of the kept list as the imports' changes do:
// flags as yes and no.
func changeWord(v string) string {
	switch v {
	case "true":
		return "yes"
	case "false":
		return "no"
	}
	return v
}

// bulkScale is the Size of a bulk job's Progress: done members are
// counted in millionths of the selection in Bytes.
const bulkScale = 1_000_000

// progress records how many members of total are done (in the apply phase).
func (b *bulkRun) progress(done, total int) {
	if b.prog.Phase() != PhaseApply {
		b.prog.setPhase(PhaseApply)
	}
	b.prog.Rows.Store(int64(done))
	if total > 0 {
		b.prog.Bytes.Store(int64(done) * bulkScale / int64(total))
	}
}

// canSeeBulk reports whether a may see bulk job j: the authority its action
// needs (or Log Viewer with attached information), and its group in scope.
func canSeeBulk(a *meibo.Actor, j *meibo.ImportJob) bool {
	may := a.Has(meibo.AuthConsole) && !a.Has(meibo.AuthNoViewing)
	if bulkOnDevices(BulkAction(j.Format)) {
		may = may && a.Has(meibo.AuthDevices)
	} else {
		may = may && !a.Has(meibo.AuthDevicesOnly)
	}
	if !may && !(a.Has(meibo.AuthLogViewer) && a.Has(meibo.AuthLogAttachments)) {
		return false
	}
	return a.InScope(j.GroupID)
}

// ProfileUsage counts the users of a profile (what deleting it would have
// to move).
func (s *Service) ProfileUsage(ctx context.Context, id int64) (int, error) {
	a, err := requireUsers(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		p, err := s.profileInScope(ctx, tx, a, id)
		if err != nil {
			return err
		}
		n, err = tx.ProfileUsers(ctx, p.ID)
		return err
	})
	return n, err
}
