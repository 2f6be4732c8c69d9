package service

import (
	"context"
	"strings"
	"time"

	"github.com/meibo/meibo"
)

// Metrics receives what the service does, for monitoring. The service knows
// nothing of how it is exported (cmd/meibo wires a Prometheus implementation
// from package metrics). Every label is a fixed word: a surface, an outcome,
// a format, an action — never an ID, a name or an address.
type Metrics interface {
	// SignIn counts a sign-in attempt on a surface (console, api, portal)
	// with its outcome (success, refused, throttled, error).
	SignIn(surface, outcome string)
	// SecondFactor counts a check of an administrator's second factor on
	// a surface (console, api) by factor (totp, recovery, passkey) with
	// its outcome (success, refused, throttled, error).
	SecondFactor(surface, factor, outcome string)
	// ImportFinished counts a finished import job by format and outcome
	// (success, failed) with its rows and how long it ran.
	ImportFinished(format, outcome string, rows int, took time.Duration)
	// ExportFinished counts a finished export by format and outcome.
	ExportFinished(format, outcome string, rows int, took time.Duration)
	// MailAttempt counts a delivery attempt's outcome (sent, retry, failed).
	MailAttempt(outcome string)
	// CommandDelivered counts a command handed to its device and how long
	// it waited in the queue.
	CommandDelivered(action string, waited time.Duration)
	// CommandFinished counts a command's end by action and outcome (done,
	// failed, cancelled).
	CommandFinished(action, outcome string)
}

// noMetrics is the Metrics of a service configured without any.
type noMetrics struct{}

func (noMetrics) SignIn(string, string)                             {}
func (noMetrics) SecondFactor(string, string, string)               {}
func (noMetrics) ImportFinished(string, string, int, time.Duration) {}
func (noMetrics) ExportFinished(string, string, int, time.Duration) {}
func (noMetrics) MailAttempt(string)                                {}
func (noMetrics) CommandDelivered(string, time.Duration)            {}
func (noMetrics) CommandFinished(string, string)                    {}

// metrics returns the configured Metrics, or one that drops everything.
func (s *Service) metrics() Metrics {
	if s.cfg.Metrics == nil {
		return noMetrics{}
	}
	return s.cfg.Metrics
}

// signInOutcome is the outcome label of a sign-in's error.
func signInOutcome(err error) string {
	if err == nil {
		return "success"
	}
	switch meibo.ErrorCode(err) {
	case meibo.CodeRateLimited:
		return "throttled"
	case meibo.CodeUnauthorized:
		return "refused"
	}
	return "error"
}

// countSignIn counts a sign-in on surface with the outcome err tells.
func (s *Service) countSignIn(surface string, err error) {
	s.metrics().SignIn(surface, signInOutcome(err))
}

// countSecondFactor counts a check of a second factor (totp, recovery,
// passkey) on surface with the outcome err tells (the words of a sign-in's
// outcome).
func (s *Service) countSecondFactor(surface, factor string, err error) {
	s.metrics().SecondFactor(surface, factor, signInOutcome(err))
}

// LoginFactor is Login with a second factor (see loginFactor), counted as
// a sign-in on the API.
func (s *Service) LoginFactor(ctx context.Context, loginID, password, code, addr string) (string, *meibo.Admin, error) {
	token, ad, err := s.loginFactor(ctx, loginID, password, code, addr)
	s.countSignIn("api", err)
	return token, ad, err
}

// countExport counts an export of format that wrote rows, was refused
// (authority, scope, a group that is not there) or failed while it wrote.
func (s *Service) countExport(format string, rows int, start time.Time, err error) {
	outcome := "success"
	switch code := meibo.ErrorCode(err); {
	case err == nil:
	case code == meibo.CodeForbidden || code == meibo.CodeNotFound || code == meibo.CodeInvalid || code == meibo.CodeBadRequest || code == meibo.CodeUnauthorized:
		outcome = "refused"
	default:
		outcome = "failed"
	}
	s.metrics().ExportFinished(format, outcome, rows, time.Since(start))
}

// MailBacklog is for monitoring: how many messages wait in the outbox and
// since when the oldest of them does (zero when none). It needs no actor:
// it tells counts and a time, nothing of any message.
func (s *Service) MailBacklog(ctx context.Context) (pending int, oldest time.Time, err error) {
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		var err error
		pending, oldest, err = tx.MailBacklog(ctx)
		return err
	})
	return pending, oldest, err
}

// lower is the label of a status word ("SUCCESS" → "success").
func lower(s string) string { return strings.ToLower(s) }

// ImportBacklog is for monitoring: how many import jobs wait and run, and
// when the longest-running of them started (zero when none runs). Jobs are
// claimed one at a time per server, so a thousand covers any real backlog.
func (s *Service) ImportBacklog(ctx context.Context) (queued, running int, oldestStart time.Time, err error) {
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		q, err := tx.ImportJobs(ctx, meibo.ImportFilter{Status: meibo.ImportQueued, Limit: 1000})
		if err != nil {
			return err
		}
		r, err := tx.ImportJobs(ctx, meibo.ImportFilter{Status: meibo.ImportRunning, Limit: 1000})
		if err != nil {
			return err
		}
		queued, running = len(q), len(r)
		for _, j := range r {
			if j.StartedAt != nil && (oldestStart.IsZero() || j.StartedAt.Before(oldestStart)) {
				oldestStart = *j.StartedAt
			}
		}
		return nil
	})
	return queued, running, oldestStart, err
}
