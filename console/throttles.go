package console

import (
	"net/http"
	"strconv"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/web"
)

// The emergency procedure (sign-in), authority 26: the sign-in counters
// that hold accounts and addresses back, with buttons to lift them and to
// end every session and token of an account.
func (c *Console) throttleRoutes(a func(string, handler)) {
	a("GET "+Prefix+"/throttles", c.handleThrottles)
	a("POST "+Prefix+"/throttles/lift", c.handleThrottleLift)
	a("POST "+Prefix+"/throttles/end", c.handleEndSessions)
}

// throttlesData is the page of sign-in counters.
type throttlesData struct {
	Entries []service.ThrottleEntry
	Now     time.Time
	// The end-sessions form as typed, after an error.
	Kind, Group, Name string
}

func (c *Console) handleThrottles(q *req) {
	c.throttlesPage(q, http.StatusOK, throttlesData{Kind: "user"}, notice(q), nil)
}

// throttlesPage shows the counters, with err (if any) on the form.
func (c *Console) throttlesPage(q *req, status int, d throttlesData, message string, formErr error) {
	list, err := c.svc.Throttles(q.ctx)
	if err != nil {
		c.fail(q, err)
		return
	}
	d.Entries, d.Now = list, time.Now()
	if formErr != nil {
		c.form(q, status, "throttles", "throttles.title", d, formErr)
		return
	}
	c.page(q, status, "throttles", "throttles.title", d, message)
}

func (c *Console) handleThrottleLift(q *req) {
	if _, err := c.svc.LiftThrottle(q.ctx, q.r.PostFormValue("key")); err != nil {
		if meibo.ErrorCode(err) == meibo.CodeNotFound {
			// Lifted meanwhile, or never there: show the list as it is.
			c.redirect(q, Prefix+"/throttles", "throttle.gone")
			return
		}
		c.fail(q, err)
		return
	}
	c.redirect(q, Prefix+"/throttles", "throttle.lifted")
}

func (c *Console) handleEndSessions(q *req) {
	f := q.r.PostForm
	who := service.Account{Kind: f.Get("kind"), Group: f.Get("group"), Name: f.Get("name")}
	if id, err := strconv.ParseInt(f.Get("id"), 10, 64); err == nil {
		who.ID = id
	}
	acc, err := c.svc.EndSessions(q.ctx, who)
	if err != nil {
		switch meibo.ErrorCode(err) {
		case meibo.CodeNotFound, meibo.CodeInvalid:
			c.throttlesPage(q, http.StatusUnprocessableEntity, throttlesData{Kind: who.Kind, Group: who.Group, Name: who.Name}, "",
				meibo.Errorf(meibo.CodeInvalid, "throttle.end.unknown"))
		default:
			c.fail(q, err)
		}
		return
	}
	done := "sessions.ended.user"
	if acc.Kind == "admin" {
		done = "sessions.ended.admin"
	}
	c.redirect(q, Prefix+"/throttles", done)
}

func init() {
	meibo.RegisterMessages(map[string][2]string{
		"throttle.end.unknown": {"There is no such account (in the groups you manage).", "該当するアカウントはありません(管理対象のグループ内)。"},
	})
	web.AddLabels(map[string][2]string{
		"nav.throttles":             {"Sign-in lockouts", "サインイン制限"},
		"throttles.title":           {"Sign-in lockouts", "サインイン制限"},
		"throttles.intro":           {"Failed sign-ins are counted per account and address, per account, and per address; wrong second-factor codes per administrator. An address with failures for an account waits longer after each one; an account's own counter only slows new addresses down for a few seconds; an address failing at many accounts is stopped. Lifting a counter lets the account or address try again at once.", "サインインの失敗は、アカウントとアドレスの組、アカウント、アドレスごとに数えられます(2要素目の誤ったコードは管理者ごと)。あるアカウントで失敗したアドレスは失敗のたびに長く待たされます。アカウント自体のカウンターは新しいアドレスを数秒遅らせるだけです。多くのアカウントで失敗したアドレスは止められます。制限を解除すると、そのアカウントやアドレスはすぐに再試行できます。"},
		"throttles.none":            {"No account or address has failed to sign in recently.", "最近サインインに失敗したアカウントやアドレスはありません。"},
		"throttles.kind":            {"Counter", "カウンター"},
		"throttles.kind.account":    {"Account", "アカウント"},
		"throttles.kind.address":    {"Address", "アドレス"},
		"throttles.kind.pair":       {"Account from address", "アカウント×アドレス"},
		"throttles.kind.factor":     {"Second-factor codes", "2要素目のコード"},
		"throttles.account":         {"Account", "アカウント"},
		"throttles.address":         {"Address", "アドレス"},
		"throttles.failures":        {"Failures", "失敗回数"},
		"throttles.until":           {"Refused until", "制限中(まで)"},
		"throttles.free":            {"not refused", "制限なし"},
		"throttles.last":            {"Last attempt", "最終試行"},
		"throttles.actions":         {"Actions", "操作"},
		"throttles.unknown":         {"(no such account)", "(存在しないアカウント)"},
		"throttles.admin":           {"administrator", "管理者"},
		"throttles.user":            {"user", "ユーザー"},
		"throttles.lift":            {"Lift", "解除"},
		"throttles.end":             {"End sessions", "セッションを終了"},
		"throttles.end.title":       {"End every session and token of an account", "アカウントのすべてのセッションとトークンを終了"},
		"throttles.end.intro":       {"Signs the account out everywhere: a user's portal sessions and unused invitation and reset links, an administrator's console sessions and API tokens.", "アカウントをすべての場所からサインアウトさせます。ユーザーはポータルのセッションと未使用の招待・再設定リンク、管理者はコンソールのセッションとAPIトークンが対象です。"},
		"throttles.end.kind":        {"Account kind", "アカウントの種類"},
		"throttles.end.group":       {"Group ID (users)", "グループID(ユーザーのみ)"},
		"throttles.end.name":        {"User ID or administrator login ID", "ユーザーIDまたは管理者ログインID"},
		"done.throttle.lifted":      {"The lockout was lifted.", "制限を解除しました。"},
		"done.throttle.gone":        {"That counter was no longer there.", "そのカウンターはすでにありません。"},
		"done.sessions.ended.user":  {"Every session and link of the user has ended.", "ユーザーのすべてのセッションとリンクを終了しました。"},
		"done.sessions.ended.admin": {"Every session and API token of the administrator has ended.", "管理者のすべてのセッションとAPIトークンを終了しました。"},
	})
}
