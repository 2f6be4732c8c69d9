package service

import "time"

// Hooks for the tests of the queue of verifications of hashes from other
// systems (verify_queue_test.go).

// HoldLegacySlots takes every slot of the queue until release is called.
func HoldLegacySlots(s *Service) (release func()) {
	for range cap(s.legacySlots) {
		s.legacySlots <- struct{}{}
	}
	return func() {
		for range cap(s.legacySlots) {
			<-s.legacySlots
		}
	}
}

// SetLegacyWait sets how long a verification waits for a slot.
func SetLegacyWait(s *Service, d time.Duration) { s.legacyWait = d }

// LegacyWaiting is how many verifications wait for a slot.
func LegacyWaiting(s *Service) int { return int(s.legacyWaiting.Load()) }

// LegacyQueue is how many verifications may wait for a slot.
func LegacyQueue(s *Service) int { return int(s.legacyQueue) }
