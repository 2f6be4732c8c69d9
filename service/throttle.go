package service

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/meibo/meibo"
)

// Sign-in throttling (console, API login and portal). Every attempt is
// counted before its password is checked, in a transaction that holds the
// locks of its counters, so a burst of parallel guesses checks no more
// passwords than the counters allow. Three counters see an attempt:
//
//   - the pair (account, address): five failures are free, then each attempt
//     must wait twice as long as the one before, from one second up to
//     fifteen minutes. This is what stops a guesser, and it touches no one
//     else: the owner signing in from another address does not share it.
//   - the account, across addresses: ten failures are free, then attempts
//     are spaced by one second doubling up to four seconds, never more. It
//     slows guessing from many addresses but cannot keep the owner out for
//     longer than that.
//   - the address, across accounts: twenty failures are free, then waits
//     from one second up to fifteen minutes, so that one address spraying
//     many accounts is stopped without touching other addresses.
//
// A success forgets the pair's failures, takes its own attempt back from the
// account and the address (many people sign in from one office), and
// remembers the address as known for the account for thirty days: attempts
// from a known address count only against their pair, so neither guesses
// from elsewhere at the account nor spraying from a shared address at other
// accounts slow its owner down. Accounts are named by kind and, for portal
// users, group ("user:g1/alice"), so guesses at one account, known or not,
// never count against another, nor guesses in one group against another.
// Counters are forgotten an hour after their last attempt.
const (
	throttleWindow = time.Hour
	knownFor       = 30 * 24 * time.Hour
)

var (
	pairRule    = throttleRule{free: 5, base: time.Second, max: 15 * time.Minute}
	accountRule = throttleRule{free: 10, base: time.Second, max: 4 * time.Second}
	addressRule = throttleRule{free: 20, base: time.Second, max: 15 * time.Minute}
	// ownRule throttles a signed-in person's checks of their own password
	// (before a password change or a wipe), so a stolen session cannot
	// guess it.
	ownRule = throttleRule{free: 5, base: time.Second, max: 15 * time.Minute}
)

// Counter keys. An account is "admin:<login ID>" or "user:<group>/<name>"
// (the group in lower case, as group IDs are matched).
const (
	pairPrefix    = "pair:"  // "pair:<address> <account>"
	accountPrefix = "acct:"  // "acct:<account>"
	addressPrefix = "addr:"  // "addr:<address>"
	knownPrefix   = "known:" // "known:<address> <account>": signed in from there
	ownPrefix     = "own:"   // "own:<account>": checks of one's own password
	resetPrefix   = "reset:" // "reset:<group>/<name>": password reset requests
	resetAddr     = "reset-addr:"
)

// An account's counters are kept by its name as the account is found:
// composed (NFC), so that a name typed decomposed (macOS: カ + ゛) counts
// against the same account rather than against counters of its own.
func adminAccount(loginID string) string { return "admin:" + meibo.NormalizeName(loginID) }

func userAccount(groupID, name string) string {
	return "user:" + strings.ToLower(groupID) + "/" + meibo.TypedName(name)
}

// throttleRule is how many failures of a counter are free, the first wait
// after them and the longest (it doubles with every further attempt).
type throttleRule struct {
	free      int
	base, max time.Duration
}

// wait is the wait after the nth counted attempt.
func (r throttleRule) wait(n int) time.Duration {
	if n < r.free {
		return 0
	}
	return min(r.base<<min(n-r.free, 20), r.max)
}

// throttled is the one answer to an attempt that must wait.
func throttled(wait time.Duration) error {
	secs := int(wait.Seconds() + 1)
	if secs == 1 {
		return meibo.Errorf(meibo.CodeRateLimited, "login.throttled.one", secs)
	}
	return meibo.Errorf(meibo.CodeRateLimited, "login.throttled", secs)
}

// reserve counts an attempt on each key under its rule, or refuses with a
// rate-limited error (naming the longest wait) when any key must still wait.
func (s *Service) reserve(ctx context.Context, keys map[string]throttleRule) error {
	_, err := s.reserveCounted(ctx, keys)
	return err
}

// reserveCounted is reserve, returning what it counted (for giveBack).
func (s *Service) reserveCounted(ctx context.Context, keys map[string]throttleRule) (reservation, error) {
	var r reservation
	err := s.store.Update(ctx, func(tx meibo.Tx) error {
		if err := lockKeys(ctx, tx, slices.Collect(maps.Keys(keys))); err != nil {
			return err
		}
		var err error
		r, err = countAttempt(ctx, tx, keys)
		return err
	})
	return r, err
}

// reservation is what counting one attempt wrote: each counter as written,
// and its rule.
type reservation struct {
	counted []meibo.Throttle
	rules   map[string]throttleRule
}

// giveBack uncounts an attempt whose password was not checked (verifyBusy),
// so that it counts as no failure. A counter that no attempt changed since
// gets back the state before it: one failure fewer and no wait (the wait
// before had passed, or the attempt would have been refused). One counted
// again since loses one failure and keeps its wait unless its rule gives
// none. It runs even when ctx has ended (the client went away).
func (s *Service) giveBack(ctx context.Context, r reservation) error {
	if len(r.counted) == 0 {
		return nil
	}
	ctx = context.WithoutCancel(ctx)
	keys := make([]string, 0, len(r.counted))
	for _, th := range r.counted {
		keys = append(keys, th.Key)
	}
	err := s.store.Update(ctx, func(tx meibo.Tx) error {
		if err := lockKeys(ctx, tx, keys); err != nil {
			return err
		}
		for _, was := range r.counted {
			th, err := tx.Throttle(ctx, was.Key)
			if err != nil {
				return err
			}
			if th.Failures == 0 {
				continue
			}
			untouched := th.Failures == was.Failures && sameTime(th.NextAt, was.NextAt)
			th.Failures--
			if untouched || r.rules[was.Key].wait(th.Failures) == 0 {
				th.NextAt = nil
			}
			if err := tx.PutThrottle(ctx, th); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("give back a sign-in attempt: %w", err)
	}
	return nil
}

// notChecked gives back the attempt r of a password that was not checked
// (err, from verifyPassword: busy) and returns err, the answer. A failure to
// give back is logged: the answer stays the same.
func (s *Service) notChecked(ctx context.Context, r reservation, err error) error {
	if gerr := s.giveBack(ctx, r); gerr != nil {
		s.log.Error("password not checked", "err", gerr)
	}
	return err
}

// sameTime reports whether a and b are both unset or the same instant (to
// the microsecond the store keeps).
func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Truncate(time.Microsecond).Equal(b.Truncate(time.Microsecond))
}

// lockKeys takes the locks of keys in one order, the same for every attempt,
// so that two attempts never wait for each other's keys (a deadlock on
// PostgreSQL).
func lockKeys(ctx context.Context, tx meibo.Tx, keys []string) error {
	slices.Sort(keys)
	for _, key := range keys {
		if err := tx.Lock(ctx, "throttle:"+key); err != nil {
			return err
		}
	}
	return nil
}

// countAttempt refuses when a key must wait, and otherwise counts the
// attempt on every key and returns what it wrote. The caller holds the keys'
// locks.
func countAttempt(ctx context.Context, tx meibo.Tx, keys map[string]throttleRule) (reservation, error) {
	now := tx.Now()
	var updates []meibo.Throttle
	var wait time.Duration
	for _, key := range slices.Sorted(maps.Keys(keys)) {
		th, err := tx.Throttle(ctx, key)
		if err != nil {
			return reservation{}, err
		}
		if th.NextAt != nil && th.NextAt.After(now) {
			wait = max(wait, th.NextAt.Sub(now))
			continue
		}
		if !th.UpdatedAt.IsZero() && now.Sub(th.UpdatedAt) > throttleWindow {
			th.Failures = 0
		}
		th.Failures++
		th.NextAt = nil
		if w := keys[key].wait(th.Failures); w > 0 {
			th.NextAt = ptr(now.Add(w))
		}
		updates = append(updates, th)
	}
	if wait > 0 {
		return reservation{}, throttled(wait)
	}
	for _, th := range updates {
		if err := tx.PutThrottle(ctx, th); err != nil {
			return reservation{}, err
		}
	}
	return reservation{counted: updates, rules: keys}, nil
}

// signInAttempt is one sign-in attempt's counters.
type signInAttempt struct {
	account, addr string
	pair, acct    string
	addrKey       string
	known         string
}

func newSignInAttempt(account, addr string) signInAttempt {
	net := throttleAddress(addr)
	return signInAttempt{account: account, addr: addr, pair: pairPrefix + net + " " + account, acct: accountPrefix + account,
		addrKey: addressPrefix + net, known: knownPrefix + net + " " + account}
}

// throttleAddress is what the counters of a client address count: an IPv6
// client's /64 network, which one client commonly holds whole (a new
// address of it would otherwise start new counters); an IPv4 address as it
// is, also written as IPv6 (::ffff:192.0.2.1).
func throttleAddress(addr string) string {
	a, err := netip.ParseAddr(addr)
	switch {
	case err != nil:
		return addr
	case a.Is4In6():
		return a.Unmap().String()
	case a.Is6():
		return netip.PrefixFrom(a.WithZone(""), 64).Masked().String()
	}
	return addr
}

// reserveSignIn counts a sign-in attempt before its password is checked, or
// refuses it with a rate-limited error.
func (s *Service) reserveSignIn(ctx context.Context, at signInAttempt) (reservation, error) {
	var r reservation
	err := s.store.Update(ctx, func(tx meibo.Tx) error {
		if err := lockKeys(ctx, tx, []string{at.pair, at.acct, at.addrKey}); err != nil {
			return err
		}
		keys := map[string]throttleRule{at.pair: pairRule}
		known, err := isKnown(ctx, tx, at)
		if err != nil {
			return err
		}
		if !known {
			keys[at.acct], keys[at.addrKey] = accountRule, addressRule
		}
		r, err = countAttempt(ctx, tx, keys)
		return err
	})
	return r, err
}

// allowThrottledEvent reports whether a throttled attempt is audited: at
// most one a minute per account and address (allowEvent), so that hammering
// a throttled sign-in cannot flood the log.
func (s *Service) allowThrottledEvent(at signInAttempt) (bool, int) {
	return s.allowEvent("throttled\x00" + at.pair)
}

// isKnown reports whether the account signed in from the address in the
// last knownFor.
func isKnown(ctx context.Context, tx meibo.Tx, at signInAttempt) (bool, error) {
	k, err := tx.Throttle(ctx, at.known)
	if err != nil {
		return false, err
	}
	return k.NextAt != nil && k.NextAt.After(tx.Now()), nil
}

// signedIn records a successful attempt: the pair's failures are forgotten,
// the attempt counted on the account and address is taken back (only
// failures count against them), and the address becomes known for the
// account. The known record keeps its end in NextAt, so the cleaner keeps it
// until then.
func (s *Service) signedIn(ctx context.Context, at signInAttempt) error {
	return s.store.Update(ctx, func(tx meibo.Tx) error {
		if err := lockKeys(ctx, tx, []string{at.pair, at.acct, at.addrKey}); err != nil {
			return err
		}
		known, err := isKnown(ctx, tx, at)
		if err != nil {
			return err
		}
		if !known {
			for key, rule := range map[string]throttleRule{at.acct: accountRule, at.addrKey: addressRule} {
				if err := takeBack(ctx, tx, key, rule); err != nil {
					return err
				}
			}
		}
		if err := tx.DeleteThrottle(ctx, at.pair); err != nil {
			return err
		}
		return tx.PutThrottle(ctx, meibo.Throttle{Key: at.known, NextAt: ptr(tx.Now().Add(knownFor))})
	})
}

// takeBack uncounts one attempt of key.
func takeBack(ctx context.Context, tx meibo.Tx, key string, rule throttleRule) error {
	th, err := tx.Throttle(ctx, key)
	if err != nil || th.Failures == 0 {
		return err
	}
	th.Failures--
	if rule.wait(th.Failures) == 0 {
		th.NextAt = nil
	}
	return tx.PutThrottle(ctx, th)
}

// checkOwnPassword verifies the password of a signed-in person (before a
// password change or a wipe) under a counter of its own (ownRule). A right
// password clears the counter.
func (s *Service) checkOwnPassword(ctx context.Context, account, hash, password string) (bool, error) {
	key := ownPrefix + account
	r, err := s.reserveCounted(ctx, map[string]throttleRule{key: ownRule})
	if err != nil {
		return false, err
	}
	ok, _, err := s.verifyPassword(ctx, hash, password)
	if err != nil {
		return false, s.notChecked(ctx, r, err)
	}
	if ok {
		if err := s.store.Update(ctx, func(tx meibo.Tx) error { return tx.DeleteThrottle(ctx, key) }); err != nil {
			return false, err
		}
	}
	return ok, nil
}
