package service

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/meibo/meibo"
)

// commandsChannel is the notification channel on which a new command names
// its device, so that a long-polling device learns of it at once, whichever
// server it is connected to.
const commandsChannel = "meibo_commands"

// waiters wakes the long polls of devices when a command is queued for them.
type waiters struct {
	mu    sync.Mutex
	m     map[int64]map[chan struct{}]struct{}
	ended chan struct{} // closed when the server shuts down
}

// endedCh returns the channel that is closed when long polls end.
func (w *waiters) endedCh() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ended == nil {
		w.ended = make(chan struct{})
	}
	return w.ended
}

// wait returns a channel that receives when device id gets a command, and
// a function to stop waiting.
func (w *waiters) wait(id int64) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	w.mu.Lock()
	if w.m == nil {
		w.m = map[int64]map[chan struct{}]struct{}{}
	}
	if w.m[id] == nil {
		w.m[id] = map[chan struct{}]struct{}{}
	}
	w.m[id][ch] = struct{}{}
	w.mu.Unlock()
	return ch, func() {
		w.mu.Lock()
		delete(w.m[id], ch)
		if len(w.m[id]) == 0 {
			delete(w.m, id)
		}
		w.mu.Unlock()
	}
}

// wake wakes every waiter of device id.
func (w *waiters) wake(id int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for ch := range w.m[id] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Waiting is how many long polls wait now (for tests and metrics).
func (s *Service) Waiting() int {
	s.waiters.mu.Lock()
	defer s.waiters.mu.Unlock()
	n := 0
	for _, m := range s.waiters.m {
		n += len(m)
	}
	return n
}

// EndLongPolls answers every waiting long poll at once, and every later one
// without waiting. A server calls it when it shuts down, so that devices do
// not hold the shutdown up for the length of a poll but come back when it
// (or another server) is up.
func (s *Service) EndLongPolls() {
	ch := s.waiters.endedCh()
	s.waiters.mu.Lock()
	defer s.waiters.mu.Unlock()
	select {
	case <-ch:
	default:
		close(s.waiters.ended)
	}
}

// commandWatch is how often a server on SQLite looks for commands queued
// by another process.
const commandWatch = 500 * time.Millisecond

// RunCommandListener passes the command notifications of other servers
// sharing the database to this server's long polls, until ctx ends. With
// SQLite there is one server, which wakes its polls itself, but another
// process (meibo device command, a bulk action's worker of another run)
// may queue commands in the same file: the server looks for new ones
// twice a second (a read of the commands' key above the last one seen).
func (s *Service) RunCommandListener(ctx context.Context) {
	if s.store.Engine() != "postgres" {
		s.watchCommands(ctx)
		return
	}
	err := s.store.Listen(ctx, commandsChannel, func(payload string) {
		if id, err := strconv.ParseInt(payload, 10, 64); err == nil {
			s.waiters.wake(id)
		}
	})
	if err != nil && ctx.Err() == nil {
		s.log.Error("listen for commands", "err", err)
	}
}

// watchCommands wakes the long polls of devices that got commands from
// another process, until ctx ends.
func (s *Service) watchCommands(ctx context.Context) {
	var last int64
	read := func() ([]int64, error) {
		var devices []int64
		err := s.store.View(ctx, func(tx meibo.Tx) error {
			var err error
			devices, last, err = tx.CommandsQueuedAfter(ctx, last)
			return err
		})
		return devices, err
	}
	if _, err := read(); err != nil && ctx.Err() == nil {
		s.log.Error("watch for commands", "err", err)
	}
	tick := time.NewTicker(commandWatch)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		devices, err := read()
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("watch for commands", "err", err)
			}
			continue
		}
		for _, id := range devices {
			s.waiters.wake(id)
		}
	}
}
