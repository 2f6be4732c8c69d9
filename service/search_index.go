package service

import (
	"context"
	"time"

	"github.com/meibo/meibo"
)

// Imports and restores leave the users they write waiting for the keyword
// index of two characters (meibo.Tx.DeferSearchIndex): indexing each of them
// in the import's own transaction cost most of its time. The indexer moves
// them into the index after the commit, a chunk per short transaction, so
// that other writers wait for at most one chunk. Searches find waiting users
// all the same, more slowly while many wait.

// indexChunk is how many waiting users one transaction of the indexer
// indexes: about a tenth of a second of work (other writers wait for it),
// and a sorted run of grams long enough to be written in key order.
const indexChunk = 2000

// nudgeIndex wakes the search indexer after users were committed waiting.
func (s *Service) nudgeIndex() {
	select {
	case s.indexWake <- struct{}{}:
	default:
	}
}

// IndexSearch indexes every user waiting for the keyword index, a chunk at
// a time, and returns how many it indexed; the command line runs it after
// an import or a restore, and the server's indexer (RunSearchIndexer) in
// the background.
func (s *Service) IndexSearch(ctx context.Context) (int, error) {
	total := 0
	for {
		var n int
		err := s.store.Update(ctx, func(tx meibo.Tx) error {
			var err error
			n, err = tx.IndexPendingUsers(ctx, indexChunk)
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		if n == 0 {
			return total, nil
		}
	}
}

// PendingSearchIndex counts the users waiting for the keyword index, up to
// max.
func (s *Service) PendingSearchIndex(ctx context.Context, max int) (int, error) {
	var n int
	err := s.store.View(ctx, func(tx meibo.Tx) error {
		var err error
		n, err = tx.PendingUsers(ctx, max)
		return err
	})
	return n, err
}

// RunSearchIndexer indexes waiting users when an import or a restore of
// this process commits, and every half minute for those of other processes
// (the command line, other servers), until ctx ends.
func (s *Service) RunSearchIndexer(ctx context.Context) {
	tick := time.NewTicker(30 * time.Second)
	defer tick.Stop()
	for {
		start := time.Now()
		n, err := s.IndexSearch(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Error("index users for search", "err", err)
		}
		if n > 0 {
			s.log.Info("indexed users for search", "users", n, "seconds", time.Since(start).Seconds())
		}
		select {
		case <-ctx.Done():
			return
		case <-s.indexWake:
		case <-tick.C:
		}
	}
}
