package stream

import (
	"context"
	"sync"
)

// part is one ranged GET of the object into a buffer from the budget.
// Reads copy bytes out of it while it is still filling.
type part struct {
	off, end int64
	buf      []byte
	cancel   context.CancelFunc

	// Guarded by Reader.mu.
	refs     int  // the reader's list, the running fetch, each read using it
	users    int  // reads using it
	inList   bool // still in Reader.parts
	fetching bool // its GET is running
	stream   bool // requested ahead of the reader, not for a read
	side     bool // fetched for a read behind the stream
	counted  bool // a read has reached it (the window grew for it)

	// mu guards filled, err and wake; the fetch writes buf[filled:] only,
	// so bytes below filled may be read without holding mu.
	mu     sync.Mutex
	filled int64
	err    error
	wake   chan struct{} // closed and replaced whenever filled or err changes
}

func newPart(off int64, buf []byte, cancel context.CancelFunc) *part {
	return &part{
		off: off, end: off + int64(len(buf)), buf: buf, cancel: cancel,
		refs: 2, inList: true, fetching: true, wake: make(chan struct{}),
	}
}

// progress publishes that the first n bytes of buf are filled.
func (p *part) progress(n int64) {
	p.mu.Lock()
	p.filled = n
	close(p.wake)
	p.wake = make(chan struct{})
	p.mu.Unlock()
}

// finish publishes the end of the fetch; err is nil on success.
func (p *part) finish(err error) {
	p.mu.Lock()
	p.err = err
	close(p.wake)
	p.wake = make(chan struct{})
	p.mu.Unlock()
}

// view returns the part's bytes at pos, at most n and up to the part's
// end, once they have arrived. If the fetch failed before reaching them
// it returns what did arrive and the fetch's error. The slice stays valid
// while the caller holds a use of the part.
func (p *part) view(ctx context.Context, pos, n int64) ([]byte, error) {
	from := pos - p.off
	need := min(p.end-p.off, from+n)
	for {
		p.mu.Lock()
		filled, err, wake := p.filled, p.err, p.wake
		p.mu.Unlock()
		if filled >= need {
			return p.buf[from:need], nil
		}
		if err != nil {
			if filled > from {
				return p.buf[from:filled], err
			}
			return nil, err
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
