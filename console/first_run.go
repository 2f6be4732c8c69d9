package console

import (
	"net/http"

	"github.com/meibo/meibo/web"
)

// The first run: the built-in admin holding the printed password chooses a
// new one before anything else, and an empty installation's overview walks
// through group, profile, users and devices.
func init() {
	web.AddLabels(map[string][2]string{
		"account.password.first": {"You signed in with the password printed at the first start. Choose a new password before anything else.",
			"初回起動時に表示されたパスワードでサインインしました。ほかの操作の前に、新しいパスワードを設定してください。"},
		"done.firstpassword":    {"Your new password is set. Next: set up the installation.", "新しいパスワードを設定しました。次にインストールを設定しましょう。"},
		"firstrun.title":        {"Getting started", "はじめに"},
		"firstrun.intro":        {"Four steps set up meibo: each is ticked when it is done.", "次の4つの手順で meibo を設定します。完了した手順にはチェックが付きます。"},
		"firstrun.group":        {"Create a group", "グループを作成する"},
		"firstrun.group.hint":   {"A group holds users, profiles and devices.", "グループにはユーザー、プロファイル、デバイスが属します。"},
		"firstrun.profile":      {"Create a profile", "プロファイルを作成する"},
		"firstrun.profile.hint": {"A profile holds the settings users share.", "プロファイルはユーザーが共有する設定です。"},
		"firstrun.users":        {"Add users", "ユーザーを追加する"},
		"firstrun.users.hint":   {"One by one, or many at once from a CSV file.", "1人ずつ、または CSV ファイルからまとめて追加します。"},
		"firstrun.users.import": {"Import a file", "ファイルをインポート"},
		"firstrun.devices":      {"Enrol devices", "デバイスを登録する"},
		"firstrun.devices.hint": {"Make an enrolment token and give it to meibo agent.", "登録トークンを作成し、meibo agent に渡します。"},
		"firstrun.done":         {"Done", "完了"},
		"firstrun.todo":         {"To do", "未完了"},
	})
}

// firstPassword sends the built-in admin still holding the printed password
// to their account page, where they choose a new one; only that page and
// signing out are open to them until then. It reports whether it answered.
func (c *Console) firstPassword(q *req) bool {
	if !q.actor.MustChangePassword {
		return false
	}
	switch q.r.URL.Path {
	case Prefix + "/account", Prefix + "/account/password", Prefix + "/signout":
		return false
	}
	http.Redirect(q.w, q.r, Prefix+"/account", http.StatusSeeOther)
	return true
}

// firstRun returns the steps of an installation not yet set up, nil when
// every step is done or the administrator does not manage the installation.
func (c *Console) firstRun(q *req) *firstRunData {
	f, err := c.svc.FirstRun(q.ctx)
	if err != nil {
		c.log.Error("first run steps", "err", err)
		return nil
	}
	if f == nil || f.Done() {
		return nil
	}
	return &firstRunData{Group: f.Group, Steps: []firstRunStep{
		{Key: "group", Done: f.Group != "", Link: Prefix + "/groups"},
		{Key: "profile", Done: f.Profile, Link: groupLink(f.Group, "/profiles")},
		{Key: "users", Done: f.Users, Link: groupLink(f.Group, "/users/new"), Import: f.Group != ""},
		{Key: "devices", Done: f.Devices, Link: Prefix + "/devices/enrolment?group=" + f.Group},
	}}
}

// groupLink is a page of the first group, or the groups page while there is
// none.
func groupLink(group, page string) string {
	if group == "" {
		return Prefix + "/groups"
	}
	return Prefix + "/groups/" + group + page
}

type firstRunData struct {
	Group string
	Steps []firstRunStep
}

type firstRunStep struct {
	Key    string
	Done   bool
	Link   string
	Import bool // offer the import page too
}
