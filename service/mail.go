package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/mailtext"
)

// Sender delivers one outbox message. An error that has a Temporary() method
// answering true is retried later; any other error fails the message.
type Sender interface {
	Send(ctx context.Context, m *meibo.MailMessage) error
}

func init() {
	meibo.RegisterMessages(map[string][2]string{
		"mail.no_sender":      {"No SMTP server is configured (--smtp-host); messages stay in the outbox.", "SMTPサーバーが設定されていません(--smtp-host)。メッセージは送信待ちのまま保存されます。"},
		"mail.gave_up":        {"Gave up after %d attempts: %s", "%d回試行しましたが送信できませんでした: %s"},
		"invitation.no_email": {"An invitation needs an e-mail address.", "招待メールを送るにはメールアドレスが必要です。"},
		"invitation.no_url":   {"Invitations need the public address of meibo (--public-url, MEIBO_PUBLIC_URL) for their links.", "招待メールのリンクには meibo の公開URL(--public-url、MEIBO_PUBLIC_URL)の設定が必要です。"},
		"invitation.disabled": {"The user is disabled; enable the user before sending an invitation.", "このユーザーは無効です。招待メールを送る前に有効にしてください。"},
		"import.no_email":     {"No e-mail address: no invitation will be sent to %s.", "メールアドレスがないため、%s には招待メールを送信しません。"},
	})
}

// mailLease is how long a worker holds a message it is sending; longer than
// any SMTP conversation (whose timeout is shorter), so that a message is
// only taken by another worker when its holder is gone.
const mailLease = 5 * time.Minute

// mailFinishGrace is how long a conversation with the SMTP server under way
// when the worker is stopped (the server shuts down) may go on: cut at
// once, a message the server was accepting would be sent again by the next
// attempt, after the lease, while the first copy may well have arrived.
const mailFinishGrace = 20 * time.Second

// send hands m to the SMTP server within a minute; a stop of ctx (the
// worker's) leaves it mailFinishGrace more to finish.
func (s *Service) send(ctx context.Context, m *meibo.MailMessage) error {
	sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(mailFinishGrace, cancel)
		context.AfterFunc(sendCtx, func() { t.Stop() })
	})
	defer stop()
	return s.cfg.Sender.Send(sendCtx, m)
}

// retryWait is the wait before attempt n+1 after n temporary failures: one
// minute, doubling, at most an hour.
func retryWait(n int) time.Duration {
	return min(time.Minute<<min(n-1, 10), time.Hour)
}

// nudgeMail wakes the mail worker after messages were committed.
func (s *Service) nudgeMail() {
	select {
	case s.mailWake <- struct{}{}:
	default:
	}
}

// RunMailWorker delivers the outbox until ctx ends. Without a Sender it
// returns at once: messages stay in the outbox, readable by administrators
// with Log Viewer authority 24, their links never minted (an administrator
// who may manage the user can issue one instead: IssuePasswordLink).
func (s *Service) RunMailWorker(ctx context.Context) {
	if s.cfg.Sender == nil {
		return
	}
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		if _, err := s.DeliverMail(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("deliver mail", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.mailWake:
		case <-tick.C:
		}
	}
}

// DeliverMail attempts each message that is due once, until none is, and
// returns how many attempts it made: one round of the mail worker (tests
// call it between moves of their clock). Without a Sender it does nothing.
func (s *Service) DeliverMail(ctx context.Context) (int, error) {
	if s.cfg.Sender == nil {
		return 0, nil
	}
	total := 0
	for ctx.Err() == nil {
		n, err := s.deliverDue(ctx)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
	return total, ctx.Err()
}

// deliverDue claims a due message and attempts it once; it returns how many
// it attempted. Messages are claimed one at a time, so that a lease covers
// one SMTP conversation only: a batch of slow conversations could outlive
// its lease, and another worker would send the rest of the batch again.
func (s *Service) deliverDue(ctx context.Context) (int, error) {
	var msgs []*meibo.MailMessage
	err := s.store.Update(ctx, func(tx meibo.Tx) error {
		var err error
		msgs, err = tx.ClaimMails(ctx, s.cfg.Worker, tx.Now().Add(mailLease), 1)
		return err
	})
	if err != nil {
		return 0, err
	}
	for _, m := range msgs {
		if err := s.attempt(ctx, m); err != nil {
			return 0, err
		}
	}
	return len(msgs), nil
}

// attempt sends one claimed message and records the outcome.
func (s *Service) attempt(ctx context.Context, m *meibo.MailMessage) error {
	// The link is minted now and lives only in the copy handed to the
	// server; m keeps the placeholder.
	out, err := s.mintLink(ctx, m)
	if errors.Is(err, errMailLost) {
		s.log.Warn("an outbox message was taken over before it was sent", "mail", m.ID)
		return nil
	}
	refused := meibo.ErrorCode(err) == meibo.CodeConflict
	if err != nil && !refused {
		return err
	}
	if !refused {
		err = s.send(ctx, out)
		if err != nil && ctx.Err() != nil {
			return ctx.Err() // shutting down: the lease runs out and another attempt follows
		}
	}
	// The outcome is recorded even when the worker is stopping: a message
	// handed over must not stay pending, to be sent again when its lease
	// runs out.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), mailFinishGrace)
	defer cancel()
	now := s.now()
	m.Attempts++
	switch {
	case refused:
		m.Status, m.LastError = meibo.MailFailed, meibo.AsError(err).Msg.In(meibo.English)
	case err == nil:
		m.Status, m.SentAt, m.LastError = meibo.MailSent, &now, ""
	case isTemporary(err) && now.Before(m.GiveUpAt):
		// The last attempt is made at the give-up time, not before it.
		m.NextAttemptAt, m.LastError = minTime(now.Add(retryWait(m.Attempts)), m.GiveUpAt), err.Error()
	case isTemporary(err):
		m.Status, m.LastError = meibo.MailFailed, meibo.M("mail.gave_up", m.Attempts, err.Error()).In(meibo.English)
	default:
		m.Status, m.LastError = meibo.MailFailed, err.Error()
	}
	switch {
	case m.Status == meibo.MailSent:
		s.metrics().MailAttempt("sent")
	case m.Status == meibo.MailFailed:
		s.metrics().MailAttempt("failed")
	default:
		s.metrics().MailAttempt("retry")
	}
	if err != nil {
		s.log.Warn("mail delivery failed", "mail", m.ID, "attempt", m.Attempts, "status", m.Status, "err", err)
	}
	return s.store.Update(ctx, func(tx meibo.Tx) error {
		ok, err := tx.FinishMail(ctx, m, s.cfg.Worker)
		if err != nil {
			return err
		}
		if !ok {
			s.log.Warn("an outbox message was taken over while it was sent", "mail", m.ID)
			return nil
		}
		if m.Status == meibo.MailPending {
			return nil
		}
		e := &meibo.AuditEvent{ActorKind: meibo.ActorSystem, ActorName: "meibo", Action: "mail." + string(m.Status),
			Category: meibo.CategoryMail, ObjectKind: "mail", ObjectID: idString(m.ID), GroupID: m.GroupID,
			Details: map[string]any{"kind": m.Kind, "to": m.To, "attempts": m.Attempts}}
		return tx.AddAudit(ctx, e)
	})
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func isTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// Mails lists outbox messages for holders of Log Viewer with "save e-mail
// contents" (24); department administrators see their groups' messages.
func (s *Service) Mails(ctx context.Context, f meibo.MailFilter) ([]*meibo.MailMessage, error) {
	a, err := require(ctx, meibo.AuthLogViewer, meibo.AuthLogMail)
	if err != nil {
		return nil, err
	}
	if scope := a.Scope(); scope != nil {
		f.GroupIDs = scope
	}
	var out []*meibo.MailMessage
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		out, err = tx.Mails(ctx, f)
		return err
	})
	for _, m := range out {
		redactMail(m)
	}
	return out, err
}

// Mail returns one outbox message (Log Viewer with authority 24).
func (s *Service) Mail(ctx context.Context, id int64) (*meibo.MailMessage, error) {
	a, err := require(ctx, meibo.AuthLogViewer, meibo.AuthLogMail)
	if err != nil {
		return nil, err
	}
	var m *meibo.MailMessage
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		m, err = tx.Mail(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if a.Department() && (m.GroupID == "" || !a.InScope(m.GroupID)) {
		return nil, meibo.NotFound("not_found")
	}
	redactMail(m)
	return m, nil
}

// SendTestMail sends the test message to address at once, through the
// configured SMTP server, and reports what the server said. Only the system
// (the command line) and managers may.
func (s *Service) SendTestMail(ctx context.Context, address string, lang meibo.Lang) error {
	if _, err := requireManager(ctx); err != nil {
		return err
	}
	if err := meibo.CheckEmail("address", address); err != nil {
		return err
	}
	if s.cfg.Sender == nil {
		return meibo.Errorf(meibo.CodeInvalid, "mail.no_sender")
	}
	subject, text, html, err := mailtext.Render(meibo.MailTest, lang, mailtext.Data{Product: s.cfg.Product})
	if err != nil {
		return err
	}
	m := &meibo.MailMessage{Kind: meibo.MailTest, Lang: lang, To: address, Subject: subject, Text: text, HTML: html, CreatedAt: s.now()}
	if err := s.cfg.Sender.Send(ctx, m); err != nil {
		return fmt.Errorf("send the test message: %w", err)
	}
	return s.store.Update(ctx, func(tx meibo.Tx) error {
		return s.audit(ctx, tx, "mail.test", meibo.CategoryMail, "mail", "", "", map[string]any{"to": address})
	})
}
