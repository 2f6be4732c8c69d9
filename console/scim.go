package console

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/web"
)

func init() {
	web.AddLabels(map[string][2]string{
		"scim.link":          {"Provisioning (SCIM)", "プロビジョニング(SCIM)"},
		"scim.title":         {"Provisioning (SCIM)", "プロビジョニング(SCIM)"},
		"scim.intro":         {"Entra ID, Okta or Google Workspace create, change, disable and delete this group's users themselves through SCIM 2.0. Give the identity provider the tenant URL below and a token; its changes are audited as scim:NAME and follow your authorities and the licence limit.", "Entra ID・Okta・Google Workspace が SCIM 2.0 でこのグループのユーザーを作成・変更・無効化・削除します。下のテナント URL とトークンを ID プロバイダーに設定してください。変更は scim:名前 として監査ログに記録され、あなたの権限とライセンス上限に従います。"},
		"scim.url":           {"Tenant URL", "テナント URL"},
		"scim.tokens":        {"Tokens", "トークン"},
		"scim.tokens.none":   {"No token yet.", "トークンはまだありません。"},
		"scim.name":          {"Name", "名前"},
		"scim.name.hint":     {"Which identity provider holds it, e.g. entra or okta.", "どの ID プロバイダーで使うか(例: entra、okta)"},
		"scim.days":          {"Valid for (days)", "有効期間(日)"},
		"scim.create":        {"Make a token", "トークンを作成"},
		"scim.new":           {"The new token. Copy it into the identity provider now: it is shown only this once.", "新しいトークンです。今すぐ ID プロバイダーに貼り付けてください。表示されるのはこの一度だけです。"},
		"scim.createdby":     {"Made by", "作成者"},
		"scim.created":       {"Made", "作成"},
		"scim.expires":       {"Expires", "有効期限"},
		"scim.lastused":      {"Last used", "最終使用"},
		"scim.revoke":        {"Revoke", "無効にする"},
		"done.scim.revoked":  {"The token was revoked: the identity provider holding it is refused from now on.", "トークンを無効にしました。このトークンを使う ID プロバイダーは以後拒否されます。"},
		"scim.days.invalid":  {"Enter a number of days from 1 to 1826.", "1〜1826 の日数を入力してください。"},
		"scim.manage.denied": {"Only an administrator who manages this group's users can make SCIM tokens.", "SCIM トークンを作成できるのは、このグループのユーザーを管理する管理者だけです。"},
	})
}

func (c *Console) scimRoutes(a func(string, handler)) {
	a("GET "+Prefix+"/groups/{group}/scim", c.handleSCIM)
	a("POST "+Prefix+"/groups/{group}/scim", c.handleSCIMCreate)
	a("POST "+Prefix+"/groups/{group}/scim/{id}/revoke", c.handleSCIMRevoke)
}

type scimData struct {
	Group  *meibo.Group
	URL    string
	Tokens []*meibo.SCIMToken
	Secret string
	Name   string
	Days   string
	Failed bool
}

func (c *Console) scimData(q *req) (*scimData, error) {
	g, _, err := c.groupAndProfiles(q, q.r.PathValue("group"))
	if err != nil {
		return nil, err
	}
	ks, err := c.svc.SCIMTokens(q.ctx, g.ID)
	if err != nil {
		return nil, err
	}
	scheme := "http"
	if web.IsHTTPS(q.r) {
		scheme = "https"
	}
	return &scimData{Group: g, URL: scheme + "://" + q.r.Host + "/scim/v2/" + g.ID, Tokens: ks, Days: "365"}, nil
}

func (c *Console) handleSCIM(q *req) {
	d, err := c.scimData(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	c.page(q, http.StatusOK, "scim", "scim.title", d, notice(q))
}

func (c *Console) handleSCIMCreate(q *req) {
	d, err := c.scimData(q)
	if err != nil {
		c.fail(q, err)
		return
	}
	d.Name, d.Days = strings.TrimSpace(q.r.PostFormValue("name")), strings.TrimSpace(q.r.PostFormValue("days"))
	days, err := strconv.Atoi(d.Days)
	if err != nil || days < 1 || days > 1826 {
		d.Failed = true
		c.form(q, http.StatusUnprocessableEntity, "scim", "scim.title", d, meibo.FieldError("days", "scim.token.ttl"))
		return
	}
	secret, _, err := c.svc.CreateSCIMToken(q.ctx, d.Group.ID, d.Name, time.Duration(days)*24*time.Hour)
	if err != nil {
		d.Failed = true
		c.retypeOrFail(q, "scim", "scim.title", d, err)
		return
	}
	if d, err = c.scimData(q); err != nil {
		c.fail(q, err)
		return
	}
	d.Secret = secret
	c.page(q, http.StatusOK, "scim", "scim.title", d, "")
}

func (c *Console) handleSCIMRevoke(q *req) {
	id, err := strconv.ParseInt(q.r.PathValue("id"), 10, 64)
	if err != nil {
		c.fail(q, meibo.NotFound("not_found"))
		return
	}
	group := q.r.PathValue("group")
	if err := c.svc.RevokeSCIMToken(q.ctx, group, id); err != nil {
		c.fail(q, err)
		return
	}
	c.redirect(q, Prefix+"/groups/"+group+"/scim", "scim.revoked")
}

func init() {
	web.AddLabels(map[string][2]string{
		"user.identity.display":  {"Display name", "表示名"},
		"user.identity.given":    {"Given name", "名"},
		"user.identity.family":   {"Family name", "姓"},
		"user.identity.external": {"External ID", "外部 ID"},
		"user.identity.hint":     {"From the identity provider (SCIM); it changes them there.", "ID プロバイダー(SCIM)から設定された値です。変更は ID プロバイダー側で行います。"},
	})
}

// identity returns what an identity provider told of user u, or nil.
func (c *Console) identity(q *req, u *meibo.User) (*meibo.UserIdentity, error) {
	ids, err := c.svc.UserIdentities(q.ctx, u.GroupID, []*meibo.User{u})
	if err != nil {
		return nil, err
	}
	if id, ok := ids[u.ID]; ok && !id.IsZero() {
		return &id, nil
	}
	return nil, nil
}
