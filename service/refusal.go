package service

import (
	"context"
	"time"

	"github.com/meibo/meibo"
)

// Refused requests are audited: a request refused for want of an authority
// ("refused.authority") or for reaching a group, user, profile or device
// outside the actor's scope ("refused.scope"). So that the log cannot be
// flooded, at most one event is written per actor and kind per minute;
// the next one written says how many were left out before it. The events
// are written after the refusal, outside the request's transaction.
const refusalEvery = time.Minute

// refusalWindow is what the service remembers of one actor's refusals of
// one kind.
type refusalWindow struct {
	start      time.Time // the last event written
	suppressed int       // refusals since then not written
}

// refuser returns the Refused function of an actor the service builds.
func (s *Service) refuser(a *meibo.Actor) func(kind, detail string) {
	return func(kind, detail string) { s.noteRefusal(a, kind, detail) }
}

// noteRefusal writes an audit event for a refused request, or counts it
// when the actor had one of that kind within refusalEvery.
func (s *Service) noteRefusal(a *meibo.Actor, kind, detail string) {
	ok, suppressed := s.allowEvent(a.Kind + "\x00" + a.Name + "\x00" + kind)
	if !ok {
		return
	}
	details := map[string]any{"refused": detail}
	if suppressed > 0 {
		details["suppressed"] = suppressed
	}
	actor := &meibo.Actor{Kind: a.Kind, Name: a.Name, Addr: a.Addr, GroupID: a.GroupID, SCIMToken: a.SCIMToken}
	s.refusalWrites.Add(1)
	go func() {
		defer s.refusalWrites.Done()
		ctx := meibo.WithActor(context.Background(), actor)
		err := s.store.Update(ctx, func(tx meibo.Tx) error {
			return s.audit(ctx, tx, "refused."+kind, meibo.CategorySignIn, a.Kind, a.Name, a.GroupID, details)
		})
		if err != nil {
			s.log.Warn("audit a refused request", "err", err)
		}
	}()
}

// allowEvent reports whether an event of key may be written now (none was
// within refusalEvery), with how many were left out since the last one.
func (s *Service) allowEvent(key string) (ok bool, suppressed int) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refusals == nil {
		s.refusals = map[string]*refusalWindow{}
	}
	w := s.refusals[key]
	if w != nil && now.Sub(w.start) < refusalEvery {
		w.suppressed++
		return false, 0
	}
	if w != nil {
		suppressed = w.suppressed
	}
	s.refusals[key] = &refusalWindow{start: now}
	// Forget keys that have been quiet, so that the map stays small.
	if len(s.refusals) > 1000 {
		for k, old := range s.refusals {
			if now.Sub(old.start) > 2*refusalEvery {
				delete(s.refusals, k)
			}
		}
	}
	return true, suppressed
}

// WaitAudits waits for the audit events of refused requests being written
// (at shutdown, and in tests).
func (s *Service) WaitAudits() { s.refusalWrites.Wait() }

// refuse tells the actor of ctx (if any) of a refused request and returns
// err.
func refuse(a *meibo.Actor, kind, detail string, err error) error {
	a.Refuse(kind, detail)
	return err
}
