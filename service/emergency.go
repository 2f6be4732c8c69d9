package service

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/meibo/meibo"
)

// The emergency procedure (sign-in), authority 26 under Log Viewer: see the
// sign-in counters that hold accounts and addresses back, lift them, and end
// every session and token of a user or administrator. Each act is audited.
// A department administrator sees and acts on the users of their groups and
// on addresses; other groups' users and administrators are "not found" to
// them.

func init() {
	meibo.RegisterMessages(map[string][2]string{
		"throttle.not_found": {"No such sign-in counter.", "該当するサインインのカウンターはありません。"},
		"account.kind":       {"Say whether the account is a user or an administrator.", "ユーザーか管理者かを指定してください。"},
	})
}

// Account names a user (Kind "user": Group and Name, or ID) or an
// administrator (Kind "admin": Name is the login ID, or ID).
type Account struct {
	Kind  string `json:"kind"`
	ID    int64  `json:"id,omitempty"` // 0 in a counter: no such account
	Group string `json:"group,omitempty"`
	Name  string `json:"name,omitempty"`
}

// ThrottleEntry is one sign-in counter: of an account across addresses, of
// an address across accounts, or of one account from one address.
type ThrottleEntry struct {
	Key       string     `json:"key"`
	Kind      string     `json:"kind"` // "account", "address" or "pair"
	Account   *Account   `json:"account,omitempty"`
	Address   string     `json:"address,omitempty"`
	Failures  int        `json:"failures"`
	Until     *time.Time `json:"until,omitempty"` // attempts are refused until then
	UpdatedAt time.Time  `json:"updatedAt"`
}

// Blocked reports whether the counter refuses attempts at now.
func (e ThrottleEntry) Blocked(now time.Time) bool { return e.Until != nil && e.Until.After(now) }

// throttleListMax bounds each kind of counter listed.
const throttleListMax = 500

// requireEmergency returns the actor when it holds the emergency procedure
// (sign-in).
func requireEmergency(ctx context.Context) (*meibo.Actor, error) {
	return require(ctx, meibo.AuthLogViewer, meibo.AuthLogEmergency)
}

// parseThrottleKey reads a counter's key; ok is false for keys the emergency
// procedure does not handle (own-password and reset counters, known
// addresses).
func parseThrottleKey(key string) (e ThrottleEntry, ok bool) {
	e.Key = key
	var account string
	switch {
	case strings.HasPrefix(key, pairPrefix):
		addr, acct, found := strings.Cut(strings.TrimPrefix(key, pairPrefix), " ")
		if !found {
			return e, false
		}
		e.Kind, e.Address, account = "pair", addr, acct
	case strings.HasPrefix(key, accountPrefix):
		e.Kind, account = "account", strings.TrimPrefix(key, accountPrefix)
	case strings.HasPrefix(key, factorPrefix):
		// Wrong second-factor codes of an administrator, from anywhere.
		e.Kind, account = "factor", strings.TrimPrefix(key, factorPrefix)
	case strings.HasPrefix(key, addressPrefix):
		e.Kind, e.Address = "address", strings.TrimPrefix(key, addressPrefix)
		return e, e.Address != ""
	default:
		return e, false
	}
	kind, rest, _ := strings.Cut(account, ":")
	switch kind {
	case "admin":
		e.Account = &Account{Kind: "admin", Name: rest}
	case "user":
		group, name, found := strings.Cut(rest, "/")
		if !found {
			return e, false
		}
		e.Account = &Account{Kind: "user", Group: group, Name: name}
	default:
		return e, false
	}
	return e, true
}

// seesAccount reports whether the actor may see and act on the account.
func seesAccount(a *meibo.Actor, acc *Account) bool {
	if acc == nil {
		return true
	}
	if acc.Kind == "admin" {
		return !a.Department()
	}
	return a.InScope(acc.Group)
}

// resolve fills in the ID of the account a counter names (0 when there is no
// such account).
func resolve(ctx context.Context, tx meibo.Tx, acc *Account) error {
	var err error
	switch acc.Kind {
	case "admin":
		var ad *meibo.Admin
		if ad, err = tx.AdminByLoginID(ctx, acc.Name); err == nil {
			acc.ID = ad.ID
		}
	case "user":
		var g *meibo.Group
		if g, err = tx.Group(ctx, acc.Group); err == nil {
			var u *meibo.User
			if u, err = tx.UserByName(ctx, g.ID, acc.Name); err == nil {
				acc.ID, acc.Group = u.ID, u.GroupID
			}
		}
	}
	if meibo.ErrorCode(err) == meibo.CodeNotFound {
		return nil
	}
	return err
}

// Throttles lists the sign-in counters with recent failures: those that
// refuse attempts now first, then the most recent.
func (s *Service) Throttles(ctx context.Context) ([]ThrottleEntry, error) {
	a, err := requireEmergency(ctx)
	if err != nil {
		return nil, err
	}
	var out []ThrottleEntry
	var now time.Time
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		now = tx.Now()
		for _, prefix := range []string{accountPrefix, addressPrefix, pairPrefix, factorPrefix} {
			ths, err := tx.Throttles(ctx, prefix, throttleListMax)
			if err != nil {
				return err
			}
			for _, th := range ths {
				e, ok := parseThrottleKey(th.Key)
				if !ok || th.Failures == 0 || now.Sub(th.UpdatedAt) > throttleWindow || !seesAccount(a, e.Account) {
					continue
				}
				e.Failures, e.Until, e.UpdatedAt = th.Failures, th.NextAt, th.UpdatedAt
				if e.Account != nil {
					if err := resolve(ctx, tx, e.Account); err != nil {
						return err
					}
				}
				out = append(out, e)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(x, y ThrottleEntry) int {
		if bx, by := x.Blocked(now), y.Blocked(now); bx != by {
			if bx {
				return -1
			}
			return 1
		}
		return y.UpdatedAt.Compare(x.UpdatedAt)
	})
	return out, nil
}

// LiftThrottle forgets the counter of key and what else holds its account or
// address back: lifting an account's counter lifts its pairs with every
// address, and an address's counter its pairs with every account. The
// account can sign in again at once.
func (s *Service) LiftThrottle(ctx context.Context, key string) (*ThrottleEntry, error) {
	a, err := requireEmergency(ctx)
	if err != nil {
		return nil, err
	}
	e, ok := parseThrottleKey(key)
	if !ok || !seesAccount(a, e.Account) {
		return nil, meibo.NotFound("throttle.not_found")
	}
	err = s.store.Update(ctx, func(tx meibo.Tx) error {
		keys := []string{key}
		var err error
		switch e.Kind {
		case "account":
			keys, err = pairsOf(ctx, tx, key, func(k string) bool {
				return strings.HasSuffix(k, " "+strings.TrimPrefix(key, accountPrefix))
			})
			// Its second-factor codes' counter too.
			keys = append(keys, factorPrefix+strings.TrimPrefix(key, accountPrefix))
		case "address":
			// A department administrator lifts the address's pairs with
			// the accounts they see only, and not the address's own
			// counter, which counts failures against every account.
			keys, err = pairsOf(ctx, tx, key, func(k string) bool {
				p, ok := parseThrottleKey(k)
				return ok && p.Address == e.Address && seesAccount(a, p.Account)
			})
			if a.Department() && len(keys) > 0 {
				keys = keys[1:]
			}
		}
		if err != nil {
			return err
		}
		if err := lockKeys(ctx, tx, slices.Clone(keys)); err != nil {
			return err
		}
		lifted := 0
		for _, k := range keys {
			th, err := tx.Throttle(ctx, k)
			if err != nil {
				return err
			}
			if th.UpdatedAt.IsZero() {
				continue
			}
			if err := tx.DeleteThrottle(ctx, k); err != nil {
				return err
			}
			if th.Failures > 0 {
				lifted++
			}
		}
		if lifted == 0 {
			return meibo.NotFound("throttle.not_found")
		}
		objectKind, objectID, group := "address", e.Address, ""
		if e.Account != nil {
			if err := resolve(ctx, tx, e.Account); err != nil {
				return err
			}
			objectKind, objectID = e.Account.Kind, e.Account.Name
			if e.Account.Kind == "user" {
				group = e.Account.Group
			}
		}
		return s.audit(ctx, tx, "signin.lift", meibo.CategorySignIn, objectKind, objectID, group,
			map[string]any{"counter": e.Kind, "address": e.Address, "counters": lifted})
	})
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// pairsOf returns key with the keys of the pair counters that match.
func pairsOf(ctx context.Context, tx meibo.Tx, key string, match func(string) bool) ([]string, error) {
	prefix := pairPrefix
	if strings.HasPrefix(key, addressPrefix) {
		prefix = pairPrefix + strings.TrimPrefix(key, addressPrefix) + " "
	}
	ths, err := tx.Throttles(ctx, prefix, 1_000_000)
	if err != nil {
		return nil, err
	}
	keys := []string{key}
	for _, th := range ths {
		if match(th.Key) {
			keys = append(keys, th.Key)
		}
	}
	return keys, nil
}

// EndSessions ends every session and token of a user (portal sessions,
// unused invitation and reset links, personal API tokens) or of an
// administrator (console sessions and API tokens), found by ID or by name.
func (s *Service) EndSessions(ctx context.Context, who Account) (*Account, error) {
	a, err := requireEmergency(ctx)
	if err != nil {
		return nil, err
	}
	var out Account
	err = s.store.Update(ctx, func(tx meibo.Tx) error {
		now := tx.Now()
		switch who.Kind {
		case "user":
			u, err := s.userFor(ctx, tx, who)
			if err != nil {
				return err
			}
			if err := inScope(a, u.GroupID); err != nil {
				if who.Name == "" {
					return meibo.NotFound("user.id.not_found", who.ID)
				}
				return meibo.NotFound("user.not_found", who.Name)
			}
			out = Account{Kind: "user", ID: u.ID, Group: u.GroupID, Name: u.Name}
			if err := tx.DeleteSessionsOf(ctx, meibo.SessionPortal, u.ID, ""); err != nil {
				return err
			}
			if err := tx.RevokeUserTokens(ctx, u.ID, now); err != nil {
				return err
			}
			if _, err := tx.DeletePersonalTokensOf(ctx, []int64{u.ID}); err != nil {
				return err
			}
			return s.audit(ctx, tx, "user.sessions.end", meibo.CategorySignIn, "user", u.Name, u.GroupID, nil)
		case "admin":
			if a.Department() {
				if who.Name == "" {
					return meibo.NotFound("not_found")
				}
				return meibo.NotFound("admin.not_found", who.Name)
			}
			var ad *meibo.Admin
			var err error
			if who.ID != 0 {
				ad, err = tx.Admin(ctx, who.ID)
			} else {
				ad, err = tx.AdminByLoginID(ctx, who.Name)
			}
			if err != nil {
				return err
			}
			out = Account{Kind: "admin", ID: ad.ID, Name: ad.LoginID}
			if err := tx.DeleteSessionsOf(ctx, meibo.SessionConsole, ad.ID, ""); err != nil {
				return err
			}
			if err := tx.DeleteAdminAPITokens(ctx, ad.ID); err != nil {
				return err
			}
			return s.audit(ctx, tx, "admin.sessions.end", meibo.CategorySignIn, "admin", ad.LoginID, "", nil)
		default:
			return meibo.FieldError("kind", "account.kind")
		}
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// userFor finds the user who names, by ID or by group and name; a user of a
// group outside the actor's scope is not found.
func (s *Service) userFor(ctx context.Context, tx meibo.Tx, who Account) (*meibo.User, error) {
	if who.ID != 0 {
		return tx.User(ctx, who.ID)
	}
	g, err := tx.Group(ctx, who.Group)
	if meibo.ErrorCode(err) == meibo.CodeNotFound {
		return nil, meibo.NotFound("user.not_found", who.Name)
	} else if err != nil {
		return nil, err
	}
	return tx.UserByName(ctx, g.ID, who.Name)
}

// EndOtherSessions ends the actor's console sessions but the one it acts
// in: an administrator who sees a session they do not recognise ends it
// without an emergency. Their API tokens stay (scripts use them; a new
// password or a manager's reset ends those too).
func (s *Service) EndOtherSessions(ctx context.Context) error {
	a, err := actor(ctx)
	if err != nil {
		return err
	}
	if a.Kind != meibo.ActorAdmin || a.Session == "" {
		return meibo.Forbidden("forbidden")
	}
	return s.store.Update(ctx, func(tx meibo.Tx) error {
		if err := tx.DeleteSessionsOf(ctx, meibo.SessionConsole, a.ID, a.Session); err != nil {
			return err
		}
		return s.audit(ctx, tx, "admin.sessions.end", meibo.CategorySignIn, "admin", a.Name, "", map[string]any{"own": true, "kept": "this session"})
	})
}
