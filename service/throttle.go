package service

import (
	"context"
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

// throttleWait is the wait after the nth counted attempt with free free
// attempts.
func throttleWait(n, free int) time.Duration {
	if n < free {
		return 0
	}
	d := time.Second << min(n-free, 20)
	return min(d, throttleMaxWait)
}

// reserveAttempt counts an attempt on each key, or refuses with a
// rate-limited error when any key must still wait.
func (s *Service) reserveAttempt(ctx context.Context, keys map[string]int) error {
	return s.store.Update(ctx, func(tx meibo.Tx) error {
		now := tx.Now()
		for key := range keys {
			if err := tx.Lock(ctx, "throttle:"+key); err != nil {
				return err
			}
		}
		var updates []meibo.Throttle
		for key, free := range keys {
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
			if w := throttleWait(th.Failures, free); w > 0 {
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

// clearAttempts forgets the failures of key after a success.
func (s *Service) clearAttempts(ctx context.Context, key string) error {
	return s.store.Update(ctx, func(tx meibo.Tx) error { return tx.DeleteThrottle(ctx, key) })
}
