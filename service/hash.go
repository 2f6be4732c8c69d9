package service

import (
	"context"
	"sync"
	"sync/atomic"
)

// hashItem is a password to hash for a row of a file.
type hashItem struct {
	row      int
	password string
}

// hashAll hashes every item's password on HashWorkers goroutines at once and
// returns the hashes by row.
func (s *Service) hashAll(ctx context.Context, items []hashItem, done *atomic.Int64) (map[int]string, error) {
	out := make(map[int]string, len(items))
	if len(items) == 0 {
		return out, nil
	}
	type result struct {
		row  int
		hash string
		err  error
	}
	work := make(chan hashItem)
	results := make(chan result, s.cfg.HashWorkers)
	var wg sync.WaitGroup
	for range s.cfg.HashWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range work {
				h, err := s.hashPassword(it.password)
				results <- result{it.row, h, err}
			}
		}()
	}
	go func() {
		defer close(work)
		for _, it := range items {
			select {
			case work <- it:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	var firstErr error
	for res := range results {
		if res.err != nil && firstErr == nil {
			firstErr = res.err
		}
		out[res.row] = res.hash
		done.Add(1)
	}
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
