package service

import (
	"sync/atomic"
)

// Progress is the live state of an import job that this process runs.
type Progress struct {
	Phase atomic.Value // string: reading, hashing, applying
	Rows  atomic.Int64 // data rows handled in the current phase
	Total atomic.Int64 // data rows in the file, once known
	Bytes atomic.Int64 // bytes read in the reading phase
	Size  int64
}
