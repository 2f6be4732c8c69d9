package service

import (
	"bytes"
	"context"
	"errors"
	"io"

	"github.com/meibo/meibo"
)

// An import job's file is read once per pass (the row limit, validation,
// apply), a stream each time: from the bytes of an upload, or from the
// chunks the database keeps (meibo.Tx.ImportFileChunkAfter), as for the
// command line's file once it is kept. A file of any size is thus never
// held whole in memory, except to rewrite it without its passwords
// (redactFile), which only files with passwords or errors need.

// jobFile is the file of a job.
type jobFile interface {
	open(ctx context.Context) (io.ReadCloser, error)
}

// bytesFile is a file held in memory (an upload).
type bytesFile []byte

func (b bytesFile) open(context.Context) (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(b)), nil
}

// storedFile is a job's file as the database keeps it, read a chunk at a
// time, each in a read transaction of its own.
type storedFile struct {
	s  *Service
	id int64
}

func (f storedFile) open(ctx context.Context) (io.ReadCloser, error) {
	return &chunkReader{ctx: ctx, f: f, seq: -1}, nil
}

type chunkReader struct {
	ctx  context.Context
	f    storedFile
	seq  int // the last chunk read
	buf  []byte
	done bool
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for len(c.buf) == 0 {
		if c.done {
			return 0, io.EOF
		}
		err := c.f.s.store.View(c.ctx, func(tx meibo.Tx) error {
			seq, b, err := tx.ImportFileChunkAfter(c.ctx, c.f.id, c.seq)
			if errors.Is(err, io.EOF) {
				c.done = true
				return nil
			}
			if err != nil {
				return err
			}
			c.seq, c.buf = seq, b
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}

func (c *chunkReader) Close() error { return nil }

// countLines counts the line breaks of a job's file, streaming.
func countLines(ctx context.Context, f jobFile) (int, error) {
	rc, err := f.open(ctx)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	buf := make([]byte, 256<<10)
	n := 0
	for {
		k, err := rc.Read(buf)
		n += bytes.Count(buf[:k], []byte{'\n'})
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// fileBytes returns the whole file of the job, for rewriting it: from
// memory when it came so, else from the database through tx.
func (r *jobRun) fileBytes(ctx context.Context, tx meibo.Tx) ([]byte, error) {
	if b, ok := r.file.(bytesFile); ok {
		return b, nil
	}
	return tx.ImportFile(ctx, r.job.ID)
}
