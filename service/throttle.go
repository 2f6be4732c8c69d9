package service

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/meibo/meibo"
)

// Sign-in throttling: each account and each address has a counter of recent
// failures. The first freeAttempts failures cost nothing; after that every
// attempt must wait twice as long as the one before, up to maxWait. An
// attempt is counted before its password is checked, in a transaction that
// holds the key's lock, so a burst of parallel guesses checks no more
// passwords than the limit allows. A success clears the account's counter;
// counters also expire after window without attempts.
const (
	throttleWindow   = 15 * time.Minute
	throttleMaxWait  = 15 * time.Minute
	accountFreeTries = 5
	addressFreeTries = 20
)

// throttleRule is how many attempts of a key are free, and the first wait
// after them (it doubles with every further attempt, up to throttleMaxWait).
type throttleRule struct {
	free int
	base time.Duration
}

// wait is the wait after the nth counted attempt.
func (r throttleRule) wait(n int) time.Duration {
	if n < r.free {
		return 0
	}
	return min(r.base<<min(n-r.free, 20), throttleMaxWait)
}

// throttleWait is the wait after the nth counted sign-in attempt with free
// free attempts.
func throttleWait(n, free int) time.Duration {
	return throttleRule{free: free, base: time.Second}.wait(n)
}

// reserveAttempt counts a sign-in attempt on each key, or refuses with a
// rate-limited error when any key must still wait.
func (s *Service) reserveAttempt(ctx context.Context, keys map[string]int) error {
	rules := make(map[string]throttleRule, len(keys))
	for k, free := range keys {
		rules[k] = throttleRule{free: free, base: time.Second}
	}
	return s.reserve(ctx, rules)
}

// reserve counts an attempt on each key under its rule, or refuses with a
// rate-limited error when any key must still wait.
func (s *Service) reserve(ctx context.Context, keys map[string]throttleRule) error {
	// Locks are taken in one order by every attempt, so that two attempts
	// never wait for each other's keys (a deadlock on PostgreSQL).
	names := slices.Sorted(maps.Keys(keys))
	return s.store.Update(ctx, func(tx meibo.Tx) error {
		now := tx.Now()
		for _, key := range names {
			if err := tx.Lock(ctx, "throttle:"+key); err != nil {
				return err
			}
		}
		var updates []meibo.Throttle
		for _, key := range names {
			rule := keys[key]
			th, err := tx.Throttle(ctx, key)
			if err != nil {
				return err
			}
			if th.NextAt != nil && th.NextAt.After(now) {
				return meibo.Errorf(meibo.CodeRateLimited, "login.throttled", int(th.NextAt.Sub(now).Seconds()+1))
			}
			if !th.UpdatedAt.IsZero() && now.Sub(th.UpdatedAt) > throttleWindow {
				th.Failures = 0
			}
			th.Failures++
			if w := rule.wait(th.Failures); w > 0 {
				th.NextAt = ptr(now.Add(w))
			} else {
				th.NextAt = nil
			}
			updates = append(updates, th)
		}
		for _, th := range updates {
			if err := tx.PutThrottle(ctx, th); err != nil {
				return err
			}
		}
		return nil
	})
}

// clearAttempts records a successful attempt: the account's failures are
// forgotten, and the attempt that reserveAttempt counted on the address is
// taken back, so that only failures count against an address (many people
// may sign in from one office). The address's earlier failures stay: a
// success on one account does not wipe guesses at others.
func (s *Service) clearAttempts(ctx context.Context, accountKey, addrKey string, addrFree int) error {
	return s.store.Update(ctx, func(tx meibo.Tx) error {
		if err := tx.DeleteThrottle(ctx, accountKey); err != nil {
			return err
		}
		if err := tx.Lock(ctx, "throttle:"+addrKey); err != nil {
			return err
		}
		th, err := tx.Throttle(ctx, addrKey)
		if err != nil || th.Failures == 0 {
			return err
		}
		th.Failures--
		if throttleWait(th.Failures, addrFree) == 0 {
			th.NextAt = nil
		}
		return tx.PutThrottle(ctx, th)
	})
}

// checkOwnPassword verifies the password of a signed-in person (before a
// password change or a wipe) under a throttle of its own, so that a stolen
// session cannot guess it: five free attempts, then waits doubling from one
// second. A right password clears the counter.
func (s *Service) checkOwnPassword(ctx context.Context, key, hash, password string) (bool, error) {
	if err := s.reserveAttempt(ctx, map[string]int{key: accountFreeTries}); err != nil {
		return false, err
	}
	ok, _ := s.verifyPassword(hash, password)
	if ok {
		if err := s.store.Update(ctx, func(tx meibo.Tx) error { return tx.DeleteThrottle(ctx, key) }); err != nil {
			return false, err
		}
	}
	return ok, nil
}
