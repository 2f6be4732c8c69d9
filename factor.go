package meibo

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Second factors and single sign-on of administrators.
//
// A console session keeps how it signed in (Session.Methods) and what it
// still lacks (Session.Stage): a session waiting for a second factor, or for
// one to be set up, reaches nothing but the pages that complete it.

// Session stages.
const (
	StageComplete = ""       // signed in
	StageSecond   = "second" // the password was right; a second factor is due
	StageSetup    = "setup"  // the policy requires a second factor the administrator must set up first
)

// Sign-in methods, as sessions record them ("password+totp", "passkey",
// "sso:entra+mfa"...).
const (
	MethodPassword = "password"
	MethodTOTP     = "totp"
	MethodRecovery = "recovery"
	MethodPasskey  = "passkey"
	MethodSSO      = "sso"
	MethodSession  = "session" // an API token made from a signed-in console session
)

// TOTP is an administrator's authenticator app (RFC 6238).
type TOTP struct {
	AdminID     int64
	Secret      string // base32, as the app was given it
	LastStep    int64  // the time step of the last code accepted
	CreatedAt   time.Time
	ConfirmedAt *time.Time // nil until a first code confirmed it
}

// Passkey is an administrator's WebAuthn credential.
type Passkey struct {
	ID           int64      `json:"id"`
	AdminID      int64      `json:"adminId"`
	CredentialID string     `json:"-"` // base64url of the raw ID
	Name         string     `json:"name"`
	Data         string     `json:"-"` // the credential as the WebAuthn library keeps it
	CreatedAt    time.Time  `json:"createdAt"`
	LastUsedAt   *time.Time `json:"lastUsedAt"`
}

// SSOLink is an identity of an identity provider that signed an
// administrator in.
type SSOLink struct {
	Provider   string    `json:"provider"`
	Subject    string    `json:"subject"`
	AdminID    int64     `json:"adminId"`
	CreatedAt  time.Time `json:"createdAt"`
	LastUsedAt time.Time `json:"lastUsedAt"`
}

// Ceremony is a sign-in step under way (a passkey challenge, an identity
// provider's state), kept by the hash of a cookie and taken once.
type Ceremony struct {
	Hash      string
	Kind      string
	Data      string
	ExpiresAt time.Time
}

// Factors is what an administrator has set up.
type Factors struct {
	TOTP          bool       `json:"totp"`
	Passkeys      []*Passkey `json:"passkeys"`
	RecoveryLeft  int        `json:"recoveryCodesLeft"`
	SSO           []*SSOLink `json:"sso"`
	TOTPCreatedAt *time.Time `json:"totpConfirmedAt,omitempty"`
}

// Any reports whether there is a second factor (TOTP or a passkey).
func (f *Factors) Any() bool { return f.TOTP || len(f.Passkeys) > 0 }

// FactorTx is the storage of second factors, part of Tx.
type FactorTx interface {
	// TOTP reads an administrator's authenticator (not found when none).
	TOTP(ctx context.Context, adminID int64) (*TOTP, error)
	// PutTOTP writes it whole; DeleteTOTP forgets it.
	PutTOTP(ctx context.Context, t *TOTP) error
	DeleteTOTP(ctx context.Context, adminID int64) error
	// UseTOTPStep records step as used when it is later than the last one
	// used; false when it was not (a code used already).
	UseTOTPStep(ctx context.Context, adminID, step int64) (bool, error)

	// ReplaceRecoveryCodes forgets an administrator's recovery codes and
	// keeps hashes instead (none: only forget).
	ReplaceRecoveryCodes(ctx context.Context, adminID int64, hashes []string) error
	// UseRecoveryCode marks a code used once; false when it is not an unused
	// code of the administrator.
	UseRecoveryCode(ctx context.Context, adminID int64, hash string, at time.Time) (bool, error)
	RecoveryCodesLeft(ctx context.Context, adminID int64) (int, error)

	CreatePasskey(ctx context.Context, p *Passkey) error
	Passkeys(ctx context.Context, adminID int64) ([]*Passkey, error)
	PasskeyByCredential(ctx context.Context, credentialID string) (*Passkey, error)
	// UsePasskey writes a passkey's data after a sign-in (its counter) and
	// its last use.
	UsePasskey(ctx context.Context, id int64, data string, at time.Time) error
	DeletePasskey(ctx context.Context, adminID, id int64) error
	DeletePasskeys(ctx context.Context, adminID int64) error

	// LinkSSO records (or touches) an identity provider's subject for an
	// administrator.
	LinkSSO(ctx context.Context, l *SSOLink) error
	SSOLinks(ctx context.Context, adminID int64) ([]*SSOLink, error)
	SSOLink(ctx context.Context, provider, subject string) (*SSOLink, error)
	DeleteSSOLinks(ctx context.Context, adminID int64, provider string) error

	// SetSessionStage completes a stage of a session and records its methods.
	SetSessionStage(ctx context.Context, hash, stage, methods string) error
	// SessionsOf lists the live sessions of an administrator.
	SessionsOf(ctx context.Context, adminID int64, at time.Time) ([]*Session, error)

	// CreateCeremony stores a ceremony, replacing one of the same hash.
	CreateCeremony(ctx context.Context, c *Ceremony) error
	// TakeCeremony reads and deletes a ceremony of kind that has not
	// expired (not found otherwise).
	TakeCeremony(ctx context.Context, hash, kind string, at time.Time) (*Ceremony, error)

	// MFAPolicy reads the second-factor policy; PutMFAPolicy writes it.
	MFAPolicy(ctx context.Context) (MFAPolicy, error)
	PutMFAPolicy(ctx context.Context, p MFAPolicy) error
}

// SettingMFARequired is the stored key of the second-factor policy.
const SettingMFARequired = "mfa_required"

// MFAPolicy says which administrators must have a second factor: all of
// them, or those holding any of Authorities.
type MFAPolicy struct {
	All         bool        `json:"all"`
	Authorities Authorities `json:"authorities"`
}

// Requires reports whether the policy requires a second factor of ad.
func (p MFAPolicy) Requires(ad *Admin) bool {
	return p.All || ad.Authorities&p.Authorities != 0
}

// String is the stored form: "all", "" (none) or columns ("6,7").
func (p MFAPolicy) String() string {
	if p.All {
		return "all"
	}
	var cols []string
	for _, a := range p.Authorities.List() {
		cols = append(cols, strconv.Itoa(a.Column()))
	}
	return strings.Join(cols, ",")
}

// ParseMFAPolicy reads the stored form of a policy.
func ParseMFAPolicy(s string) (MFAPolicy, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "", "none":
		return MFAPolicy{}, nil
	case "all":
		return MFAPolicy{All: true}, nil
	}
	var p MFAPolicy
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 || n > 63 || !Authority(n).Valid() {
			return MFAPolicy{}, FieldError(SettingMFARequired, "mfa.policy.invalid")
		}
		p.Authorities = p.Authorities.With(Authority(n))
	}
	return p, nil
}

// HasMethod reports whether methods ("password+totp") holds m.
func HasMethod(methods, m string) bool {
	return slices.Contains(strings.Split(methods, "+"), m)
}

func init() {
	RegisterMessages(map[string][2]string{
		"mfa.policy.invalid":   {"Say all, none, or authority columns separated by commas (6,7).", "all、none、またはカンマ区切りの権限の列番号(6,7)を指定してください。"},
		"mfa.code.invalid":     {"The code is not right, or was used already.", "コードが正しくないか、すでに使用されています。"},
		"mfa.code.required":    {"A second factor is required: give the code of your authenticator app.", "2要素目が必要です。認証アプリのコードを指定してください。"},
		"mfa.totp.none":        {"No authenticator app is being set up.", "設定中の認証アプリはありません。"},
		"mfa.totp.exists":      {"An authenticator app is set up already; remove it first.", "認証アプリはすでに設定されています。先に削除してください。"},
		"mfa.passkey.failed":   {"The passkey was not accepted.", "パスキーを確認できませんでした。"},
		"mfa.passkey.name":     {"Name the passkey (up to 64 characters).", "パスキーの名前を64文字以内で指定してください。"},
		"mfa.passkey.notfound": {"No such passkey.", "パスキーが見つかりません。"},
		"mfa.stage":            {"Complete the sign-in first.", "先にサインインを完了してください。"},
		"mfa.policy.self":      {"This policy would require a second factor of you, and you have none: set one up first (Sign-in security), then change the policy.", "このポリシーではあなた自身にも2要素目が必要ですが、登録されていません。先に登録してから(サインインのセキュリティ)、ポリシーを変更してください。"},
		"mfa.setup.required":   {"The second-factor policy requires a second factor of %s, who has none: set one up in the console (sign in there, which leads to it), then sign in again.", "2要素認証のポリシーにより %s には2要素目が必要ですが、登録されていません。コンソールで登録してから(コンソールにサインインすると登録画面に進みます)、もう一度サインインしてください。"},
		"mfa.last":             {"This is your last second factor, and one is required: set up another first.", "これが最後の2要素目で、2要素目は必須です。先に別のものを設定してください。"},
		"mfa.password.off":     {"Password sign-in is turned off for this administrator: sign in with the identity provider.", "この管理者はパスワードでサインインできません。IDプロバイダーでサインインしてください。"},
		"sso.failed":           {"The identity provider's sign-in was not accepted.", "IDプロバイダーのサインインを確認できませんでした。"},
		"sso.unknown":          {"No administrator matches this identity.", "このIDに一致する管理者はいません。"},
		"sso.provider":         {"No such identity provider.", "そのIDプロバイダーはありません。"},
	})
}
