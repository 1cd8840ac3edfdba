package stream

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Budget is one memory budget in bytes shared by every Reader and Writer of
// a mount. Callers either account for memory they manage themselves
// (Acquire/TryAcquire/Release) or take byte slices from the budget
// (Alloc/TryAlloc/Free). Nothing is allocated up front: a buffer is made
// when first needed, and a few freed buffers are kept on a free list so a
// stream of same-sized parts does not churn the garbage collector. Kept
// buffers count as in use; they are dropped as soon as anyone needs the
// room.
//
// Waiters are served in arrival order, and TryAcquire/TryAlloc do not jump
// ahead of a waiter, so a large request is never starved by small ones.
// While someone waits, Readers that have not been read for ReclaimAfter
// give their read-ahead back, so idle open files cannot hold the budget
// forever.
// A Budget is safe for concurrent use.
type Budget struct {
	max     int64
	idleMax int64 // most bytes kept on the free list

	// mu guards every field below.
	mu      sync.Mutex
	used    int64    // bytes held by callers
	idle    int64    // bytes held by the free list; InUse = used + idle
	peak    int64    // highest used + idle seen
	free    [][]byte // free list, most recently freed last
	waiters []*waiter
	// reclaimers give memory back when asked; each is called without
	// b.mu held.
	reclaimers map[*reclaimer]struct{}
}

// reclaimer is a holder of memory that can give some back on request.
type reclaimer struct{ fn func() }

// reclaimInterval is how often a waiting Acquire asks holders again.
const reclaimInterval = 100 * time.Millisecond

// waiter is one blocked Acquire or Alloc.
type waiter struct {
	n     int64
	ready chan struct{} // closed once n bytes were granted
}

// NewBudget returns a budget of maxBytes. A budget of 0 or less grants
// nothing: every Acquire fails with ErrOverBudget.
func NewBudget(maxBytes int64) *Budget {
	if maxBytes < 0 {
		maxBytes = 0
	}
	return &Budget{
		max: maxBytes, idleMax: min(maxBytes/4, 64<<20),
		reclaimers: map[*reclaimer]struct{}{},
	}
}

// onWait registers fn to be called while an Acquire or Alloc waits; fn
// should give back memory it can spare (an idle reader's read-ahead). It
// is called without the budget's lock held. The returned func removes it.
func (b *Budget) onWait(fn func()) (remove func()) {
	r := &reclaimer{fn: fn}
	b.mu.Lock()
	b.reclaimers[r] = struct{}{}
	b.mu.Unlock()
	return func() {
		b.mu.Lock()
		delete(b.reclaimers, r)
		b.mu.Unlock()
	}
}

// reclaim calls every reclaimer.
func (b *Budget) reclaim() {
	b.mu.Lock()
	fns := make([]func(), 0, len(b.reclaimers))
	for r := range b.reclaimers {
		fns = append(fns, r.fn)
	}
	b.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// Max is the size of the budget in bytes.
func (b *Budget) Max() int64 { return b.max }

// InUse is the number of bytes currently counted against the budget,
// buffers kept on the free list included. It never exceeds Max.
func (b *Budget) InUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used + b.idle
}

// Peak is the highest InUse seen since the budget was made or since the
// last ResetPeak.
func (b *Budget) Peak() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.peak
}

// ResetPeak starts a new high-water mark from the current use.
func (b *Budget) ResetPeak() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.peak = b.used + b.idle
}

// Acquire counts n bytes against the budget, waiting until they are
// available or ctx is done. A request larger than Max fails at once with
// an error wrapping ErrOverBudget, since it could never be granted.
func (b *Budget) Acquire(ctx context.Context, n int64) error {
	if n <= 0 {
		return nil
	}
	if n > b.max {
		return fmt.Errorf("%w: %d bytes asked of a budget of %d", ErrOverBudget, n, b.max)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	if len(b.waiters) == 0 && b.take(n) {
		b.mu.Unlock()
		return nil
	}
	w := &waiter{n: n, ready: make(chan struct{})}
	b.waiters = append(b.waiters, w)
	b.mu.Unlock()

	// While waiting, ask idle holders to give memory back, now and then
	// again, since a holder may become idle later.
	b.reclaim()
	tick := time.NewTicker(reclaimInterval)
	defer tick.Stop()
	for waiting := true; waiting; {
		select {
		case <-w.ready:
			return nil
		case <-tick.C:
			b.reclaim()
		case <-ctx.Done():
			waiting = false
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-w.ready:
		// Granted while giving up: hand the bytes back.
		b.used -= n
	default:
		for i, o := range b.waiters {
			if o == w {
				b.waiters = append(b.waiters[:i], b.waiters[i+1:]...)
				break
			}
		}
	}
	b.grant()
	return ctx.Err()
}

// TryAcquire counts n bytes against the budget if they are available now
// and nobody is waiting, and reports whether it did.
func (b *Budget) TryAcquire(n int64) bool {
	if n <= 0 {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.waiters) == 0 && b.take(n)
}

// Release gives back n bytes taken with Acquire or TryAcquire.
func (b *Budget) Release(n int64) {
	if n <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= n
	if b.used < 0 {
		b.used = 0
	}
	b.grant()
}

// Alloc returns a buffer of length n counted against the budget, waiting
// like Acquire. Give it back with Free.
func (b *Budget) Alloc(ctx context.Context, n int) ([]byte, error) {
	if buf, ok := b.TryAlloc(n); ok {
		return buf, nil
	}
	if err := b.Acquire(ctx, int64(n)); err != nil {
		return nil, err
	}
	return b.buffer(n), nil
}

// TryAlloc returns a buffer of length n if the budget has room now and
// nobody is waiting.
func (b *Budget) TryAlloc(n int) ([]byte, bool) {
	if n <= 0 {
		return nil, n == 0
	}
	b.mu.Lock()
	if len(b.waiters) > 0 || b.used+int64(n) > b.max {
		b.mu.Unlock()
		return nil, false
	}
	if buf, ok := b.reuse(n); ok {
		b.mu.Unlock()
		return buf, true
	}
	b.take(int64(n))
	b.mu.Unlock()
	return make([]byte, n), true
}

// Free gives back a buffer from Alloc or TryAlloc for reuse. The caller
// must not touch buf afterwards. A buffer that something else may still
// read is given back with Release(int64(cap(buf))) instead, which never
// reuses it.
func (b *Budget) Free(buf []byte) {
	n := int64(cap(buf))
	if n == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= n
	if len(b.waiters) == 0 && n <= b.idleMax {
		// Keep it, making room by forgetting the oldest kept buffers.
		for b.idle+n > b.idleMax {
			b.dropIdle()
		}
		b.free = append(b.free, buf[:cap(buf)])
		b.idle += n
		return
	}
	b.grant()
}

// buffer returns a slice of length n whose n bytes the caller has already
// counted as used: a kept buffer of that exact size, else a new one.
func (b *Budget) buffer(n int) []byte {
	b.mu.Lock()
	buf, ok := b.reuse(n)
	if ok {
		// The kept bytes were counted twice, as used and as idle.
		b.used -= int64(n)
		b.grant()
	}
	b.mu.Unlock()
	if ok {
		return buf
	}
	return make([]byte, n)
}

// reuse moves a kept buffer of exactly n bytes from the free list to the
// caller, counting it as used. The caller holds b.mu.
func (b *Budget) reuse(n int) ([]byte, bool) {
	for i := len(b.free) - 1; i >= 0; i-- {
		if buf := b.free[i]; cap(buf) == n {
			b.free = append(b.free[:i], b.free[i+1:]...)
			b.idle -= int64(n)
			b.used += int64(n)
			return buf[:n], true
		}
	}
	return nil, false
}

// take counts n more bytes as used if they fit, dropping kept buffers to
// make room. The caller holds b.mu.
func (b *Budget) take(n int64) bool {
	if b.used+n > b.max {
		return false
	}
	for b.used+b.idle+n > b.max {
		b.dropIdle()
	}
	b.used += n
	b.peak = max(b.peak, b.used+b.idle)
	return true
}

// dropIdle forgets the oldest kept buffer. The caller holds b.mu and knows
// the free list is not empty.
func (b *Budget) dropIdle() {
	buf := b.free[0]
	b.free[0] = nil
	b.free = b.free[1:]
	b.idle -= int64(cap(buf))
}

// grant wakes waiters in order while the first one fits. The caller holds
// b.mu.
func (b *Budget) grant() {
	for len(b.waiters) > 0 && b.take(b.waiters[0].n) {
		close(b.waiters[0].ready)
		b.waiters[0] = nil
		b.waiters = b.waiters[1:]
	}
}
