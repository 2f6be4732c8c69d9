// Package service holds meibo's use cases: every change and query that the
// JSON API, the console, the portal and the command line perform. It decides
// who may do what (authorities and department scope are checked here, once,
// above storage), validates, hashes passwords, counts licences and writes the
// audit trail in the same transaction as the change.
//
// It imports the domain, the CSV formats (csvio) and nothing of HTTP or SQL.
package service

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/passhash"
)

// Config holds what the service needs besides storage.
type Config struct {
	Hasher meibo.PasswordHasher
	Logger *slog.Logger
	// TokenTTL is how long a token from Login lives (default 12 h).
	TokenTTL time.Duration
	// ImportMaxBytes is the largest import file (default 64 MiB).
	ImportMaxBytes int64
	// ImportMaxRows is the most data rows of an import file (0: no limit).
	// ImportMaxMessages is how many errors and warnings a job keeps
	// (default 1000; its counts stay true). ImportMaxPerGroup and
	// ImportMaxPerAdmin bound the imports waiting or running at once of a
	// group and of one submitter (default 3; < 0: no limit). See import_limits.go.
	ImportMaxRows     int
	ImportMaxMessages int
	ImportMaxPerGroup int
	ImportMaxPerAdmin int
	// ImportMaxChanges is how many created, updated or deleted users and
	// administrators a job lists (default 100,000; see import_changes.go).
	ImportMaxChanges int
	// HashWorkers is how many passwords are hashed at once in bulk
	// (default: every core).
	HashWorkers int
	// Location is the time zone of times written in files (default UTC).
	Location *time.Location
	// Worker names this process in claimed import jobs.
	Worker string
	// Clock returns the current time (default time.Now); it times import
	// jobs, whose transactions fix their own clock at their start.
	Clock func() time.Time
	// Sender delivers the outbox; nil leaves messages in it.
	Sender Sender
	// PublicURL is meibo's address as people reach it (scheme, host, and a
	// path prefix if any); links in mail are built from it alone.
	PublicURL string
	// InvitationTTL and ResetTTL are how long links work (default 72 h, 1 h).
	InvitationTTL time.Duration
	ResetTTL      time.Duration
	// MailGiveUp is how long a message is retried before it is failed
	// (default 24 h).
	MailGiveUp time.Duration
	// Product names the product in mail (default "meibo").
	Product string
	// SessionIdle and SessionMax end portal sessions after so long without
	// a request and so long after sign-in (default 30 min, 12 h).
	SessionIdle time.Duration
	SessionMax  time.Duration
	// AdminSessionIdle and AdminSessionMax do the same for the console's
	// sessions, shorter since an administrator's session can do more
	// (default 15 min, 8 h).
	AdminSessionIdle time.Duration
	AdminSessionMax  time.Duration
	// Metrics receives counts and timings for monitoring (nil: none).
	Metrics Metrics
	// Factors configures second factors and single sign-on (factor.go).
	Factors FactorConfig
	// Backuper makes and restores backup files; nil: no backups.
	Backuper Backuper
}

// Service implements the use cases over a store.
type Service struct {
	store meibo.Store
	cfg   Config
	log   *slog.Logger

	mu        sync.Mutex
	progress  map[int64]*Progress // live progress of jobs this process runs
	wake      chan struct{}       // nudges the import worker
	mailWake  chan struct{}       // nudges the mail worker
	indexWake chan struct{}       // nudges the search indexer
	waiters   waiters             // long polls of devices

	refusals      map[string]*refusalWindow // by actor and kind (refusal.go)
	refusalWrites sync.WaitGroup

	// Verifications of hashes brought from other systems (verifyPassword):
	// at most cap(legacySlots) run, at most legacyQueue wait, each at most
	// legacyWait.
	legacySlots   chan struct{}
	legacyWaiting atomic.Int32
	legacyQueue   int32
	legacyWait    time.Duration
	busyLog       struct {
		mu   sync.Mutex
		last time.Time
		n    int
	}
	ownOnce sync.Once
	ownCost passhash.Cost
}

// New returns a service.
func New(store meibo.Store, cfg Config) *Service {
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = 12 * time.Hour
	}
	if cfg.ImportMaxBytes <= 0 {
		cfg.ImportMaxBytes = 64 << 20
	}
	if cfg.HashWorkers <= 0 {
		cfg.HashWorkers = runtime.GOMAXPROCS(0)
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Worker == "" {
		cfg.Worker = "meibo"
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.InvitationTTL <= 0 {
		cfg.InvitationTTL = 72 * time.Hour
	}
	if cfg.ResetTTL <= 0 {
		cfg.ResetTTL = time.Hour
	}
	if cfg.MailGiveUp <= 0 {
		cfg.MailGiveUp = 24 * time.Hour
	}
	if cfg.Product == "" {
		cfg.Product = "meibo"
	}
	if cfg.SessionIdle <= 0 {
		cfg.SessionIdle = 30 * time.Minute
	}
	if cfg.SessionMax <= 0 {
		cfg.SessionMax = 12 * time.Hour
	}
	if cfg.AdminSessionIdle <= 0 {
		cfg.AdminSessionIdle = 15 * time.Minute
	}
	if cfg.AdminSessionMax <= 0 {
		cfg.AdminSessionMax = 8 * time.Hour
	}
	slots := (runtime.GOMAXPROCS(0) + 1) / 2
	return &Service{store: store, cfg: cfg, log: cfg.Logger, progress: map[int64]*Progress{}, wake: make(chan struct{}, 1),
		mailWake: make(chan struct{}, 1), indexWake: make(chan struct{}, 1),
		// Half the cores (and so at most that many times 256 MiB): a burst
		// of sign-ins at moved accounts leaves the rest to everything else.
		legacySlots: make(chan struct{}, slots), legacyQueue: int32(4 * slots), legacyWait: 2 * time.Second}
}

// Store returns the service's store (for adapters that need the engine name).
func (s *Service) Store() meibo.Store { return s.store }

// actor returns the actor of ctx or an unauthorized error.
func actor(ctx context.Context) (*meibo.Actor, error) {
	a := meibo.ActorFrom(ctx)
	if a == nil {
		return nil, meibo.Errorf(meibo.CodeUnauthorized, "unauthorized")
	}
	return a, nil
}

// require returns the actor when it holds every authority in auths.
func require(ctx context.Context, auths ...meibo.Authority) (*meibo.Actor, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	// Console functions are for administrators and the system; a portal
	// user or a device is never one, whatever it carries.
	if a.Kind != meibo.ActorAdmin && a.Kind != meibo.ActorSystem {
		return nil, refuse(a, "authority", "console", meibo.Forbidden("forbidden"))
	}
	if a.Has(meibo.AuthNoViewing) && a.Kind == meibo.ActorAdmin {
		return nil, refuse(a, "authority", meibo.AuthNoViewing.Name(), meibo.Forbidden("forbidden"))
	}
	for _, auth := range auths {
		if !a.Has(auth) {
			return nil, refuse(a, "authority", auth.Name(), meibo.Forbidden("forbidden.auth", auth))
		}
	}
	return a, nil
}

// requireUsers returns the actor when it may manage users, groups and
// profiles: Management Console, not restricted to device functions.
func requireUsers(ctx context.Context) (*meibo.Actor, error) {
	a, err := require(ctx, meibo.AuthConsole)
	if err != nil {
		return nil, err
	}
	if a.Has(meibo.AuthDevicesOnly) {
		return nil, refuse(a, "authority", meibo.AuthDevicesOnly.Name(), meibo.Forbidden("forbidden.auth", meibo.AuthConsole))
	}
	return a, nil
}

// requireManager returns the actor when it may manage administrators.
func requireManager(ctx context.Context) (*meibo.Actor, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if a.Kind != meibo.ActorSystem && (a.Kind != meibo.ActorAdmin || !a.Authorities.ManagesAdmins()) {
		return nil, refuse(a, "authority", "admins", meibo.Forbidden("forbidden.admins"))
	}
	return a, nil
}

// inScope checks that the actor may act on group g. A department
// administrator asking about a group outside their scope is told it does not
// exist, so that group IDs do not leak.
func inScope(a *meibo.Actor, groupID string) error {
	if !a.InScope(groupID) {
		return refuse(a, "scope", "group "+groupID, meibo.NotFound("group.not_found", groupID))
	}
	return nil
}

// group resolves a group ID (any case) to the group, checking scope.
func (s *Service) group(ctx context.Context, tx meibo.Tx, a *meibo.Actor, id string) (*meibo.Group, error) {
	if id == "" {
		return nil, meibo.FieldError("group", "group.required")
	}
	if err := inScope(a, id); err != nil {
		return nil, err
	}
	return tx.Group(ctx, id)
}

// audit records an event by the actor of ctx.
func (s *Service) audit(ctx context.Context, tx meibo.Tx, action, category, objectKind, objectID, groupID string, details map[string]any) error {
	a := meibo.ActorFrom(ctx)
	e := &meibo.AuditEvent{Action: action, Category: category, ObjectKind: objectKind, ObjectID: objectID, GroupID: groupID, Details: details}
	if a != nil {
		e.ActorKind, e.ActorName, e.Addr = a.Kind, a.Name, a.Addr
		if a.SCIMToken != 0 {
			// Tokens' names may repeat across groups and over time: the
			// ID tells which one acted.
			e.Details = maps.Clone(details)
			if e.Details == nil {
				e.Details = map[string]any{}
			}
			e.Details["scimToken"] = a.SCIMToken
		}
	} else {
		e.ActorKind, e.ActorName = meibo.ActorSystem, "meibo"
	}
	return tx.AddAudit(ctx, e)
}

// hashPassword normalises and hashes a password.
func (s *Service) hashPassword(pw string) (string, error) {
	return s.cfg.Hasher.Hash(meibo.NormalizePassword(pw))
}

// verifyPassword checks a password against a hash; an empty hash never
// matches, but costs the same time.
//
// A hash brought from another system is verified only if that costs at most
// passhash.MaxCost (an Argon2id hash: or meibo's own cost, when higher):
// import refuses costlier ones, but a hash stored before it did fails the
// sign-in, with a log line saying the account needs a new password, rather
// than take minutes and gigabytes at every attempt. A password so long that
// it alone would pass the bound (SHA-crypt hashes every byte at every round)
// against a hash within it is simply wrong: the hash is fine.
//
// These verifications run at most cap(legacySlots) at a time (legacySlot);
// when no slot comes soon enough the error is verifyBusy, and the caller
// must answer it as such — never as a wrong password — and give back the
// attempt it counted.
func (s *Service) verifyPassword(ctx context.Context, hash, pw string) (ok, rehash bool, err error) {
	pw = meibo.NormalizePassword(pw)
	if hash == "" {
		s.dummyVerify(pw)
		return false, false, nil
	}
	if !strings.HasPrefix(hash, "$argon2id$") {
		// A hash brought from another system: checked once, then replaced.
		release, err := s.legacySlot(ctx)
		if err != nil {
			return false, false, err
		}
		ok, err := passhash.Verify(hash, pw)
		release()
		if err != nil {
			if s.passwordTooCostly(hash, pw, err) {
				s.dummyVerify(pw) // the time of a wrong password
			} else {
				s.hashRefused(err)
			}
			return false, false, nil
		}
		return ok, true, nil
	}
	c, err := passhash.Estimate(hash)
	if err != nil {
		s.log.Error("password hash unreadable", "err", err)
		return false, false, nil
	}
	own := s.hasherCost()
	if !c.Within(passhash.MaxCost.Max(own)) {
		s.hashRefused(&passhash.CostError{Format: passhash.Argon2id, Params: strings.Split(hash, "$")[3], Cost: c})
		return false, false, nil
	}
	if !c.Within(own) {
		release, err := s.legacySlot(ctx)
		if err != nil {
			return false, false, err
		}
		defer release()
	}
	ok, rehash, err = s.cfg.Hasher.Verify(hash, pw)
	if err != nil {
		s.log.Error("password hash unreadable", "err", err)
		return false, false, nil
	}
	return ok, rehash, nil
}

// passwordTooCostly reports whether err, from verifying pw against hash, is
// a cost error of the password's length alone: the hash is within
// passhash.MaxCost for a password of typical length (passhash.Estimate).
// Such a password is taken as wrong. One longer than meibo's own passwords
// may be is anyone's, logged at Info; one within that length may be the
// person's own, which this hash can never let in: the operator is told, at
// Warn, that the account needs a new password.
func (s *Service) passwordTooCostly(hash, pw string, err error) bool {
	if _, ok := errors.AsType[*passhash.CostError](err); !ok {
		return false
	}
	if c, eerr := passhash.Estimate(hash); eerr != nil || !c.Within(passhash.MaxCost) {
		return false
	}
	if utf8.RuneCountInString(pw) > meibo.PasswordMaxLength {
		s.log.Info("password not verified: longer than any meibo takes, and too long for the cost of its account's hash; taken as wrong", "err", err)
	} else {
		s.log.Warn("password not verified: too long for the cost of its account's hash; if it is the person's own, the account needs a new password (a reset, or one given by an administrator)", "err", err)
	}
	return true
}

// verifyBusy is the answer to a verification that found no slot in time:
// the same rate-limited answer as a throttled sign-in ("wait 2 seconds"),
// which the console, the portal and the API give with 429 and Retry-After.
//
// Only sign-ins at accounts with a hash from another system (or a costlier
// Argon2id one) can get it: unknown names and meibo's own hashes never
// wait. So while the queue is full the busy answer tells that a name is such
// an account. We accept that rather than the alternatives: answering busy to
// unknown names too would instead tell apart the accounts with meibo's own
// hash (after an import, the active ones), and answering busy to every
// sign-in would let anyone who knows a few imported names keep everyone
// out. The answer is the throttle's own, which any name, known or not, can
// get, so it names neither the reason nor the account; the queue fills only
// under many sign-ins at once at such accounts, which the per-address
// throttles limit; and every account leaves the queue for good at its first
// sign-in, when its hash is replaced.
func verifyBusy() error { return throttled(time.Second) }

// legacySlot takes one of legacySlots, waiting at most legacyWait, and
// returns its release. Beyond legacyQueue waiters, or when ctx ends (the
// client went away), or when the wait is over, it fails with verifyBusy at
// once: nothing is verified later for a request no one waits for.
func (s *Service) legacySlot(ctx context.Context) (func(), error) {
	release := func() { <-s.legacySlots }
	select {
	case s.legacySlots <- struct{}{}:
		return release, nil
	default:
	}
	if s.legacyWaiting.Add(1) > s.legacyQueue {
		s.legacyWaiting.Add(-1)
		s.logBusy("password verifications refused: the queue of hashes from other systems was full")
		return nil, verifyBusy()
	}
	defer s.legacyWaiting.Add(-1)
	t := time.NewTimer(s.legacyWait)
	defer t.Stop()
	select {
	case s.legacySlots <- struct{}{}:
		return release, nil
	case <-ctx.Done():
		return nil, verifyBusy()
	case <-t.C:
		s.logBusy("password verifications refused: no slot for a hash from another system in time")
		return nil, verifyBusy()
	}
}

// logBusy logs refusals of a full verification queue at most once a
// minute, with how many there were since: a full queue is many requests
// at once, which would otherwise write a line each.
func (s *Service) logBusy(msg string) {
	s.busyLog.mu.Lock()
	s.busyLog.n++
	now := time.Now()
	if now.Sub(s.busyLog.last) < time.Minute {
		s.busyLog.mu.Unlock()
		return
	}
	n := s.busyLog.n
	s.busyLog.last, s.busyLog.n = now, 0
	s.busyLog.mu.Unlock()
	s.log.Info(msg, "refused", n, "wait", s.legacyWait)
}

// hashRefused logs why a stored hash was not verified.
func (s *Service) hashRefused(err error) {
	if _, ok := errors.AsType[*passhash.CostError](err); ok {
		s.log.Error("password hash not verified: it costs too much; the account needs a new password (a reset or an administrator)", "err", err)
		return
	}
	s.log.Error("password hash unreadable", "err", err)
}

// hasherCost is what verifying one of meibo's own hashes costs.
func (s *Service) hasherCost() passhash.Cost {
	s.ownOnce.Do(func() {
		if h, err := s.cfg.Hasher.Hash("meibo cost probe"); err == nil {
			s.ownCost, _ = passhash.Estimate(h)
		}
	})
	return s.ownCost
}

var (
	dummyOnce sync.Once
	dummyHash string
)

// dummyVerify spends the time of one verification, so that an unknown
// account answers as slowly as a wrong password.
func (s *Service) dummyVerify(pw string) {
	dummyOnce.Do(func() {
		h, err := s.cfg.Hasher.Hash("meibo dummy password")
		if err == nil {
			dummyHash = h
		}
	})
	if dummyHash != "" {
		s.cfg.Hasher.Verify(dummyHash, pw) //nolint:errcheck // only the time matters
	}
}

func ptr[T any](v T) *T { return &v }

// now is the service's clock in UTC, to the microsecond like the store's.
// Location is the configured time zone, in which people read times.
func (s *Service) Location() *time.Location { return s.cfg.Location }

func (s *Service) now() time.Time { return s.cfg.Clock().UTC().Truncate(time.Microsecond) }
