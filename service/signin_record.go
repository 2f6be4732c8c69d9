package service

import (
	"context"
	"errors"

	"github.com/meibo/meibo"
)

// errHashChanged ends a sign-in's transaction that found a password hash
// other than the one its password was checked against.
var errHashChanged = errors.New("the password hash changed since it was checked")

// errAccountClosed ends a sign-in's transaction that found its account
// disabled or deleted since its password was checked.
var errAccountClosed = errors.New("the account can no longer sign in")

// signInAccount is what recordSignIn needs of a portal user's or an
// administrator's account, in the transaction that records a sign-in.
type signInAccount struct {
	// swap writes hash as the account's password hash if it still is old,
	// and reports whether it was.
	swap func(ctx context.Context, tx meibo.Tx, old, hash string) (bool, error)
	// current returns the account's password hash now, or errAccountClosed
	// when it can no longer sign in.
	current func(ctx context.Context, tx meibo.Tx) (string, error)
	// record writes the sign-in (session or token, audit).
	record func(ctx context.Context, tx meibo.Tx) error
}

// recordSignIn records a sign-in whose password was checked against
// checked outside any transaction (rehash: it is to be hashed anew). A
// password changed meanwhile, or an account disabled or deleted meanwhile,
// refuses it (refused). The hash is compared and set first (to its new
// form, or to itself), which keeps the row locked to the end: a change
// that comes later waits. A hash found changed is the new form another
// sign-in with the same password made (two tabs, an app and a browser), or
// a new password: the password is checked once more against it; unchecked
// is that check's refusal (a full verification queue), the attempt given
// back to the throttles.
func (s *Service) recordSignIn(ctx context.Context, r reservation, password, checked string, rehash bool, acct signInAccount) (refused bool, unchecked, err error) {
	for again := true; ; again = false {
		newHash := checked
		if rehash {
			if h, err := s.hashPassword(password); err == nil {
				newHash = h
			}
		}
		found := ""
		err = s.store.Update(ctx, func(tx meibo.Tx) error {
			same, err := acct.swap(ctx, tx, checked, newHash)
			if err != nil {
				return err
			}
			cur, err := acct.current(ctx, tx)
			if err != nil {
				return err
			}
			if !same {
				found = cur
				return errHashChanged
			}
			return acct.record(ctx, tx)
		})
		switch {
		case errors.Is(err, errAccountClosed):
			return true, nil, nil
		case found != "" && again:
			var ok bool
			if ok, rehash, err = s.verifyPassword(ctx, found, password); err != nil {
				return false, s.notChecked(ctx, r, err), nil
			}
			if !ok {
				return true, nil, nil
			}
			checked = found
		case found != "":
			return true, nil, nil
		default:
			return false, nil, err
		}
	}
}
