package service

import (
	"sync/atomic"
)

// Import phases, in order.
const (
	PhaseValidate = "validating"
	PhaseHash     = "hashing"
	PhaseApply    = "applying"
)

// Progress is the live state of an import job that this process runs.
type Progress struct {
	JobID  int64
	phase  atomic.Value // string
	Rows   atomic.Int64 // data rows read so far (in the current pass)
	Bytes  atomic.Int64 // bytes of the file read so far (in the current pass)
	Size   int64        // bytes in the file
	Hashed atomic.Int64 // passwords hashed
	ToHash atomic.Int64 // passwords to hash
}

// Phase is the current phase.
func (p *Progress) Phase() string {
	s, _ := p.phase.Load().(string)
	return s
}

func (p *Progress) setPhase(s string) { p.phase.Store(s); p.Bytes.Store(0) }

// Fraction estimates how much of the job is done, from 0 to 1. Reading the
// file takes the first part, hashing (when there are passwords) most of the
// rest, writing the last part.
func (p *Progress) Fraction() float64 {
	read := 0.0
	if p.Size > 0 {
		read = min(1, float64(p.Bytes.Load())/float64(p.Size))
	}
	hashing := p.ToHash.Load() > 0
	switch p.Phase() {
	case PhaseValidate:
		if hashing {
			return 0.1 * read
		}
		return 0.5 * read
	case PhaseHash:
		return 0.1 + 0.8*float64(p.Hashed.Load())/float64(max(1, p.ToHash.Load()))
	case PhaseApply:
		if hashing {
			return 0.9 + 0.1*read
		}
		return 0.5 + 0.5*read
	}
	return 0
}

// EstimatedRows estimates the rows of the whole file from the rows and
// bytes read so far in the current pass; 0 when nothing was read yet.
func (p *Progress) EstimatedRows() int {
	rows, read := p.Rows.Load(), p.Bytes.Load()
	if rows == 0 || read <= 0 || p.Size <= 0 {
		return 0
	}
	if read >= p.Size {
		return int(rows)
	}
	return int(float64(rows) * float64(p.Size) / float64(read))
}
