package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/meibo/meibo"
)

// TOTP reads an administrator's authenticator.
func (t *Tx) TOTP(ctx context.Context, adminID int64) (*meibo.TOTP, error) {
	return one(ctx, t, func(r scanner) (*meibo.TOTP, error) {
		var o meibo.TOTP
		var confirmed sql.Null[time.Time]
		if err := r.Scan(&o.AdminID, &o.Secret, &o.LastStep, &o.CreatedAt, &confirmed); err != nil {
			return nil, err
		}
		o.CreatedAt = o.CreatedAt.UTC()
		o.ConfirmedAt = nullTime(confirmed)
		return &o, nil
	}, meibo.NotFound("not_found"), "read totp",
		`SELECT admin_id, secret, last_step, created_at, confirmed_at FROM admin_totp WHERE admin_id = $1`, adminID)
}

// PutTOTP writes an administrator's authenticator whole.
func (t *Tx) PutTOTP(ctx context.Context, o *meibo.TOTP) error {
	if o.CreatedAt.IsZero() {
		o.CreatedAt = t.now
	}
	var confirmed any
	if o.ConfirmedAt != nil {
		confirmed = o.ConfirmedAt.UTC()
	}
	_, err := t.execContext(ctx, `INSERT INTO admin_totp (admin_id, secret, last_step, created_at, confirmed_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (admin_id) DO UPDATE SET secret = excluded.secret, last_step = excluded.last_step,
		created_at = excluded.created_at, confirmed_at = excluded.confirmed_at`,
		o.AdminID, o.Secret, o.LastStep, o.CreatedAt.UTC(), confirmed)
	switch {
	case t.d.IsForeignKey(err):
		return meibo.NotFound("admin.not_found", o.AdminID)
	case err != nil:
		return fmt.Errorf("write totp: %w", err)
	}
	return nil
}

// DeleteTOTP forgets an administrator's authenticator.
func (t *Tx) DeleteTOTP(ctx context.Context, adminID int64) error {
	_, err := t.exec(ctx, "delete totp", `DELETE FROM admin_totp WHERE admin_id = $1`, adminID)
	return err
}

// UseTOTPStep records a step as used when it is later than the last.
func (t *Tx) UseTOTPStep(ctx context.Context, adminID, step int64) (bool, error) {
	res, err := t.exec(ctx, "use totp step", `UPDATE admin_totp SET last_step = $1 WHERE admin_id = $2 AND last_step < $1`, step, adminID)
	if err != nil {
		return false, err
	}
	return affected(res) == 1, nil
}

// ReplaceRecoveryCodes replaces an administrator's recovery codes.
func (t *Tx) ReplaceRecoveryCodes(ctx context.Context, adminID int64, hashes []string) error {
	if _, err := t.exec(ctx, "delete recovery codes", `DELETE FROM admin_recovery_codes WHERE admin_id = $1`, adminID); err != nil {
		return err
	}
	for _, h := range hashes {
		if _, err := t.exec(ctx, "write recovery code", `INSERT INTO admin_recovery_codes (hash, admin_id, created_at) VALUES ($1, $2, $3)`,
			h, adminID, t.now); err != nil {
			return err
		}
	}
	return nil
}

// UseRecoveryCode marks an unused code of the administrator used.
func (t *Tx) UseRecoveryCode(ctx context.Context, adminID int64, hash string, at time.Time) (bool, error) {
	res, err := t.exec(ctx, "use recovery code", `UPDATE admin_recovery_codes SET used_at = $1 WHERE hash = $2 AND admin_id = $3 AND used_at IS NULL`,
		at.UTC(), hash, adminID)
	if err != nil {
		return false, err
	}
	return affected(res) == 1, nil
}

// RecoveryCodesLeft counts an administrator's unused recovery codes.
func (t *Tx) RecoveryCodesLeft(ctx context.Context, adminID int64) (int, error) {
	var n int
	if err := t.queryRowContext(ctx, `SELECT COUNT(*) FROM admin_recovery_codes WHERE admin_id = $1 AND used_at IS NULL`, adminID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count recovery codes: %w", err)
	}
	return n, nil
}

const passkeyCols = `id, admin_id, credential_id, name, data, created_at, last_used_at`

func scanPasskey(r scanner) (*meibo.Passkey, error) {
	var p meibo.Passkey
	var used sql.Null[time.Time]
	if err := r.Scan(&p.ID, &p.AdminID, &p.CredentialID, &p.Name, &p.Data, &p.CreatedAt, &used); err != nil {
		return nil, err
	}
	p.CreatedAt = p.CreatedAt.UTC()
	p.LastUsedAt = nullTime(used)
	return &p, nil
}

// CreatePasskey stores a passkey and sets its ID.
func (t *Tx) CreatePasskey(ctx context.Context, p *meibo.Passkey) error {
	p.CreatedAt = t.now
	err := t.queryRowContext(ctx, `INSERT INTO admin_passkeys (admin_id, credential_id, name, data, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		p.AdminID, p.CredentialID, p.Name, p.Data, p.CreatedAt).Scan(&p.ID)
	switch {
	case t.d.IsForeignKey(err):
		return meibo.NotFound("admin.not_found", p.AdminID)
	case t.d.IsUnique(err):
		return meibo.Conflict("conflict.token")
	case err != nil:
		return fmt.Errorf("create passkey: %w", err)
	}
	return nil
}

// Passkeys lists an administrator's passkeys, oldest first.
func (t *Tx) Passkeys(ctx context.Context, adminID int64) ([]*meibo.Passkey, error) {
	return all(ctx, t, scanPasskey, "list passkeys", `SELECT `+passkeyCols+` FROM admin_passkeys WHERE admin_id = $1 ORDER BY id`, adminID)
}

// PasskeyByCredential finds a passkey by its credential ID.
func (t *Tx) PasskeyByCredential(ctx context.Context, credentialID string) (*meibo.Passkey, error) {
	return one(ctx, t, scanPasskey, meibo.NotFound("mfa.passkey.notfound"), "read passkey",
		`SELECT `+passkeyCols+` FROM admin_passkeys WHERE credential_id = $1`, credentialID)
}

// UsePasskey records a sign-in with a passkey.
func (t *Tx) UsePasskey(ctx context.Context, id int64, data string, at time.Time) error {
	_, err := t.exec(ctx, "use passkey", `UPDATE admin_passkeys SET data = $1, last_used_at = $2 WHERE id = $3`, data, at.UTC(), id)
	return err
}

// DeletePasskey removes one passkey of an administrator.
func (t *Tx) DeletePasskey(ctx context.Context, adminID, id int64) error {
	res, err := t.exec(ctx, "delete passkey", `DELETE FROM admin_passkeys WHERE id = $1 AND admin_id = $2`, id, adminID)
	if err != nil {
		return err
	}
	if affected(res) == 0 {
		return meibo.NotFound("mfa.passkey.notfound")
	}
	return nil
}

// DeletePasskeys removes every passkey of an administrator.
func (t *Tx) DeletePasskeys(ctx context.Context, adminID int64) error {
	_, err := t.exec(ctx, "delete passkeys", `DELETE FROM admin_passkeys WHERE admin_id = $1`, adminID)
	return err
}

func scanSSOLink(r scanner) (*meibo.SSOLink, error) {
	var l meibo.SSOLink
	if err := r.Scan(&l.Provider, &l.Subject, &l.AdminID, &l.CreatedAt, &l.LastUsedAt); err != nil {
		return nil, err
	}
	l.CreatedAt, l.LastUsedAt = l.CreatedAt.UTC(), l.LastUsedAt.UTC()
	return &l, nil
}

// LinkSSO records or touches an identity provider's subject.
func (t *Tx) LinkSSO(ctx context.Context, l *meibo.SSOLink) error {
	l.CreatedAt, l.LastUsedAt = t.now, t.now
	_, err := t.execContext(ctx, `INSERT INTO admin_sso_links (provider, subject, admin_id, created_at, last_used_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (provider, subject) DO UPDATE SET admin_id = excluded.admin_id, last_used_at = excluded.last_used_at`,
		l.Provider, l.Subject, l.AdminID, l.CreatedAt, l.LastUsedAt)
	switch {
	case t.d.IsForeignKey(err):
		return meibo.NotFound("admin.not_found", l.AdminID)
	case err != nil:
		return fmt.Errorf("link sso: %w", err)
	}
	return nil
}

// SSOLinks lists an administrator's identities.
func (t *Tx) SSOLinks(ctx context.Context, adminID int64) ([]*meibo.SSOLink, error) {
	return all(ctx, t, scanSSOLink, "list sso links", `SELECT provider, subject, admin_id, created_at, last_used_at
		FROM admin_sso_links WHERE admin_id = $1 ORDER BY provider, subject`, adminID)
}

// SSOLink finds the administrator of an identity.
func (t *Tx) SSOLink(ctx context.Context, provider, subject string) (*meibo.SSOLink, error) {
	return one(ctx, t, scanSSOLink, meibo.NotFound("not_found"), "read sso link", `SELECT provider, subject, admin_id, created_at, last_used_at
		FROM admin_sso_links WHERE provider = $1 AND subject = $2`, provider, subject)
}

// DeleteSSOLinks forgets an administrator's identities of one provider (all
// of them when provider is empty).
func (t *Tx) DeleteSSOLinks(ctx context.Context, adminID int64, provider string) error {
	_, err := t.exec(ctx, "delete sso links", `DELETE FROM admin_sso_links WHERE admin_id = $1 AND ($2 = '' OR provider = $2)`, adminID, provider)
	return err
}

// SetSessionStage records a session's stage and methods.
func (t *Tx) SetSessionStage(ctx context.Context, hash, stage, methods string) error {
	_, err := t.exec(ctx, "set session stage", `UPDATE sessions SET stage = $1, methods = $2 WHERE hash = $3`, stage, methods, hash)
	return err
}

// SessionsOf lists an administrator's sessions that have not ended, newest
// first.
func (t *Tx) SessionsOf(ctx context.Context, adminID int64, at time.Time) ([]*meibo.Session, error) {
	return all(ctx, t, func(r scanner) (*meibo.Session, error) {
		s := meibo.Session{Kind: meibo.SessionConsole, AdminID: &adminID}
		var lang string
		if err := r.Scan(&s.Hash, &s.CSRF, &lang, &s.Addr, &s.UserAgent, &s.CreatedAt, &s.LastSeenAt, &s.ExpiresAt, &s.Methods, &s.Stage); err != nil {
			return nil, err
		}
		s.Lang = meibo.Lang(lang)
		s.CreatedAt, s.LastSeenAt, s.ExpiresAt = s.CreatedAt.UTC(), s.LastSeenAt.UTC(), s.ExpiresAt.UTC()
		return &s, nil
	}, "list sessions", `SELECT hash, csrf_token, lang, addr, user_agent, created_at, last_seen_at, expires_at, methods, stage
		FROM sessions WHERE kind = 'console' AND admin_id = $1 AND expires_at > $2 ORDER BY created_at DESC`, adminID, at.UTC())
}

// CreateCeremony stores a sign-in ceremony, replacing one under the same
// hash (begun again before it was finished).
func (t *Tx) CreateCeremony(ctx context.Context, c *meibo.Ceremony) error {
	_, err := t.exec(ctx, "create ceremony", `INSERT INTO sign_in_ceremonies (hash, kind, data, expires_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (hash) DO UPDATE SET kind = excluded.kind, data = excluded.data, expires_at = excluded.expires_at`,
		c.Hash, c.Kind, c.Data, c.ExpiresAt.UTC())
	if err != nil {
		return err
	}
	// Ceremonies nobody finished are forgotten as new ones begin.
	_, err = t.exec(ctx, "delete expired ceremonies", `DELETE FROM sign_in_ceremonies WHERE expires_at < $1`, t.now)
	return err
}

// TakeCeremony reads and deletes a live ceremony of kind.
func (t *Tx) TakeCeremony(ctx context.Context, hash, kind string, at time.Time) (*meibo.Ceremony, error) {
	c, err := one(ctx, t, func(r scanner) (*meibo.Ceremony, error) {
		var c meibo.Ceremony
		if err := r.Scan(&c.Hash, &c.Kind, &c.Data, &c.ExpiresAt); err != nil {
			return nil, err
		}
		c.ExpiresAt = c.ExpiresAt.UTC()
		return &c, nil
	}, meibo.NotFound("not_found"), "read ceremony", `SELECT hash, kind, data, expires_at FROM sign_in_ceremonies WHERE hash = $1`, hash)
	if err != nil {
		return nil, err
	}
	res, err := t.exec(ctx, "take ceremony", `DELETE FROM sign_in_ceremonies WHERE hash = $1`, hash)
	if err != nil {
		return nil, err
	}
	if affected(res) != 1 || c.Kind != kind || !at.Before(c.ExpiresAt) {
		return nil, meibo.NotFound("not_found")
	}
	return c, nil
}

// MFAPolicy reads the second-factor policy (none when unset).
func (t *Tx) MFAPolicy(ctx context.Context) (meibo.MFAPolicy, error) {
	var v string
	err := t.queryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, meibo.SettingMFARequired).Scan(&v)
	if err == sql.ErrNoRows {
		return meibo.MFAPolicy{}, nil
	} else if err != nil {
		return meibo.MFAPolicy{}, fmt.Errorf("read mfa policy: %w", err)
	}
	p, err := meibo.ParseMFAPolicy(v)
	if err != nil {
		// A value that no longer reads requires the most.
		return meibo.MFAPolicy{All: true}, nil
	}
	return p, nil
}

// PutMFAPolicy writes the second-factor policy.
func (t *Tx) PutMFAPolicy(ctx context.Context, p meibo.MFAPolicy) error {
	_, err := t.exec(ctx, "write mfa policy", `INSERT INTO settings (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, meibo.SettingMFARequired, p.String())
	return err
}
