package stream

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/storagetest"
	"github.com/a9de3765/cloudfuse/internal/storage/wrap"
)

// smallOpts shrinks every size so tests cross many parts quickly.
func smallOpts(b *Budget) ReaderOptions {
	return ReaderOptions{
		Budget: b, PartSize: 256 << 10, MaxWindow: 1 << 20,
		FirstRequest: 32 << 10, RandomRead: 16 << 10,
	}
}

// readAll reads the whole object through r in chunks of size chunk.
func readAll(t *testing.T, r *Reader, chunk int) []byte {
	t.Helper()
	var out []byte
	buf := make([]byte, chunk)
	for off := int64(0); ; {
		n, err := r.ReadAt(t.Context(), buf, off)
		out = append(out, buf[:n]...)
		off += int64(n)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("ReadAt(%d): %v", off, err)
		}
		if n != chunk {
			t.Fatalf("ReadAt(%d) returned %d of %d bytes without EOF", off, n, chunk)
		}
	}
}

func TestReaderSequential(t *testing.T) {
	for _, size := range []int{0, 1, 4095, 256 << 10, 3<<20 + 17} {
		for _, chunk := range []int{4 << 10, 128 << 10, 1 << 20} {
			s, obj, data := newStore(t, size)
			budget := NewBudget(4 << 20)
			r := NewReader(s, refOf(obj), smallOpts(budget))
			got := readAll(t, r, chunk)
			if !bytes.Equal(got, data) {
				t.Fatalf("size %d chunk %d: read %d bytes that differ from the object", size, chunk, len(got))
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			if budget.Peak() > budget.Max() {
				t.Fatalf("peak %d over budget %d", budget.Peak(), budget.Max())
			}
			if n := inUseByReaders(budget); n != 0 {
				t.Fatalf("size %d chunk %d: %d bytes still used after Close", size, chunk, n)
			}
		}
	}
}

// inUseByReaders is the budget's use not counting kept free buffers.
func inUseByReaders(b *Budget) int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

func TestReaderEOFSemantics(t *testing.T) {
	s, obj, data := newStore(t, 1000)
	r := NewReader(s, refOf(obj), ReaderOptions{})
	defer r.Close()
	ctx := t.Context()
	p := make([]byte, 100)
	if n, err := r.ReadAt(ctx, p, 900); n != 100 || err != nil {
		t.Fatalf("read ending at EOF: %d, %v; want 100, nil", n, err)
	}
	if n, err := r.ReadAt(ctx, p, 950); n != 50 || err != io.EOF || !bytes.Equal(p[:50], data[950:]) {
		t.Fatalf("read across EOF: %d, %v; want 50, EOF", n, err)
	}
	for _, off := range []int64{1000, 5000} {
		if n, err := r.ReadAt(ctx, p, off); n != 0 || err != io.EOF {
			t.Fatalf("read at %d: %d, %v; want 0, EOF", off, n, err)
		}
	}
	if n, err := r.ReadAt(ctx, p[:0], 10); n != 0 || err != nil {
		t.Fatalf("empty read: %d, %v", n, err)
	}
	if _, err := r.ReadAt(ctx, p, -1); err == nil {
		t.Fatal("negative offset accepted")
	}

	s2, empty, _ := newStore(t, 0)
	r2 := NewReader(s2, refOf(empty), ReaderOptions{})
	defer r2.Close()
	if n, err := r2.ReadAt(ctx, p, 0); n != 0 || err != io.EOF {
		t.Fatalf("empty object: %d, %v; want 0, EOF", n, err)
	}
}

func TestReaderRandom(t *testing.T) {
	s, obj, data := newStore(t, 5<<20+333)
	budget := NewBudget(2 << 20)
	r := NewReader(s, refOf(obj), smallOpts(budget))
	defer r.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	for range 400 {
		off := rng.Int64N(obj.Size + 1000)
		p := make([]byte, 1+rng.IntN(300<<10))
		n, err := r.ReadAt(t.Context(), p, off)
		checkRead(t, data, p, off, n, err)
	}
	if budget.Peak() > budget.Max() {
		t.Fatalf("peak %d over budget %d", budget.Peak(), budget.Max())
	}
}

// checkRead checks one ReadAt result against the source bytes.
func checkRead(t *testing.T, data, p []byte, off int64, n int, err error) {
	t.Helper()
	size := int64(len(data))
	want := max(0, min(int64(len(p)), size-off))
	if int64(n) != want {
		t.Fatalf("ReadAt(%d, len %d) = %d bytes, want %d (err %v)", off, len(p), n, want, err)
	}
	if want < int64(len(p)) && err != io.EOF {
		t.Fatalf("short read at %d without EOF: %v", off, err)
	}
	if want == int64(len(p)) && err != nil && err != io.EOF {
		t.Fatalf("ReadAt(%d): %v", off, err)
	}
	if n > 0 && !bytes.Equal(p[:n], data[off:off+int64(n)]) {
		t.Fatalf("ReadAt(%d, len %d): bytes differ from the object", off, len(p))
	}
}

// TestReaderConcurrent reads one Reader from many goroutines, the way the
// kernel issues concurrent reads of one handle: some walk the file
// sequentially with interleaved offsets, some read at random.
func TestReaderConcurrent(t *testing.T) {
	s, obj, data := newStore(t, 6<<20+5)
	budget := NewBudget(3 << 20)
	r := NewReader(s, refOf(obj), smallOpts(budget))
	var wg sync.WaitGroup
	const chunk = 128 << 10
	const walkers = 4
	for w := range walkers {
		wg.Go(func() {
			p := make([]byte, chunk)
			for off := int64(w * chunk); off < obj.Size; off += walkers * chunk {
				n, err := r.ReadAt(t.Context(), p, off)
				checkRead(t, data, p, off, n, err)
			}
		})
	}
	for g := range 3 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 9))
			for range 60 {
				off := rng.Int64N(obj.Size)
				p := make([]byte, 1+rng.IntN(64<<10))
				n, err := r.ReadAt(t.Context(), p, off)
				checkRead(t, data, p, off, n, err)
			}
		})
	}
	wg.Wait()
	r.Close()
	if budget.Peak() > budget.Max() {
		t.Fatalf("peak %d over budget %d", budget.Peak(), budget.Max())
	}
	if n := inUseByReaders(budget); n != 0 {
		t.Fatalf("%d bytes still used after Close", n)
	}
}

// TestReaderMixed alternates sequential runs with seeks, backwards and
// forwards, near and far.
func TestReaderMixed(t *testing.T) {
	s, obj, data := newStore(t, 8<<20)
	r := NewReader(s, refOf(obj), smallOpts(NewBudget(2<<20)))
	defer r.Close()
	rng := rand.New(rand.NewPCG(3, 4))
	off := int64(0)
	for range 300 {
		switch rng.IntN(10) {
		case 0:
			off = rng.Int64N(obj.Size)
		case 1:
			off = max(0, off-rng.Int64N(1<<20))
		case 2:
			off += rng.Int64N(2 << 20)
		}
		p := make([]byte, 4<<10+rng.IntN(200<<10))
		n, err := r.ReadAt(t.Context(), p, off)
		checkRead(t, data, p, off, n, err)
		off += int64(n)
		if off >= obj.Size {
			off = 0
		}
	}
}

// TestReaderManyReadersShareBudget runs several readers on a budget too
// small for all their windows: everything still reads correctly and the
// budget is never exceeded.
func TestReaderManyReadersShareBudget(t *testing.T) {
	s, obj, data := newStore(t, 4<<20+99)
	budget := NewBudget(1 << 20)
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			r := NewReader(s, refOf(obj), smallOpts(budget))
			defer r.Close()
			got := readAll(t, r, []int{4 << 10, 64 << 10, 128 << 10}[i%3])
			if !bytes.Equal(got, data) {
				t.Errorf("reader %d read wrong bytes", i)
			}
		})
	}
	wg.Wait()
	if budget.Peak() > budget.Max() {
		t.Fatalf("peak %d over budget %d", budget.Peak(), budget.Max())
	}
	if n := inUseByReaders(budget); n != 0 {
		t.Fatalf("%d bytes still used after Close", n)
	}
}

// TestReaderWithoutRoom reads through a budget smaller than any buffer:
// every read goes straight to the store and nothing waits.
func TestReaderWithoutRoom(t *testing.T) {
	s, obj, data := newStore(t, 1<<20)
	budget := NewBudget(1 << 10)
	r := NewReader(s, refOf(obj), smallOpts(budget))
	defer r.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	p := make([]byte, 100<<10)
	for off := int64(0); off < obj.Size; off += int64(len(p)) {
		n, err := r.ReadAt(ctx, p, off)
		checkRead(t, data, p, off, n, err)
	}
	if budget.Peak() != 0 {
		t.Fatalf("peak %d: a buffer was taken from a budget too small for one", budget.Peak())
	}
	// Another holder has taken the whole budget: reads still go on.
	full := NewBudget(1 << 20)
	if !full.TryAcquire(1 << 20) {
		t.Fatal("could not fill the budget")
	}
	r2 := NewReader(s, refOf(obj), smallOpts(full))
	defer r2.Close()
	if got := readAll(t, r2, 64<<10); !bytes.Equal(got, data) {
		t.Fatal("reads with a full budget returned wrong bytes")
	}
}

func TestReaderSmallRandomReadIsSmallGet(t *testing.T) {
	s, obj, data := newStore(t, 16<<20)
	c := &counting{Backend: s}
	r := NewReader(c, refOf(obj), ReaderOptions{Budget: NewBudget(256 << 20)})
	defer r.Close()
	// Reads at least 1 MiB apart, in 2 MiB slots visited in random order.
	rng := rand.New(rand.NewPCG(5, 6))
	p := make([]byte, 4<<10)
	for range 3 {
		for _, slot := range rng.Perm(8) {
			off := int64(slot)<<21 + rng.Int64N(1<<20)
			n, err := r.ReadAt(t.Context(), p, off)
			checkRead(t, data, p, off, n, err)
		}
	}
	gets := c.getLog()
	for _, g := range gets {
		if g.Length != int64(len(p)) {
			t.Fatalf("a 4 KiB random read issued a GET of %d bytes", g.Length)
		}
		if g.IfMatch != obj.ETag {
			t.Fatalf("GET not pinned: IfMatch %q, want %q", g.IfMatch, obj.ETag)
		}
	}
	if len(gets) > 24 {
		t.Fatalf("24 random reads issued %d GETs", len(gets))
	}

	// The read right after a random one starts a stream that prefetches.
	off := int64(5 << 20)
	for range 3 {
		n, err := r.ReadAt(t.Context(), p, off)
		checkRead(t, data, p, off, n, err)
		off += int64(n)
	}
	waitFor(t, func() bool {
		for _, g := range c.getLog()[len(gets):] {
			if g.Offset >= 5<<20+DefaultRandomRead {
				return true
			}
		}
		return false
	})
}

// TestReaderPrefetchesInParallel checks that a sequential reader issues
// few, growing GETs, several at once, all pinned.
func TestReaderPrefetchesInParallel(t *testing.T) {
	s, obj, data := newStore(t, 16<<20)
	// Hold the GETs until two are open at once, then let everything go.
	gate := make(chan struct{})
	c := &counting{Backend: s, gate: gate}
	budget := NewBudget(64 << 20)
	opts := ReaderOptions{Budget: budget, PartSize: 1 << 20, MaxWindow: 8 << 20, FirstRequest: 128 << 10}
	r := NewReader(c, refOf(obj), opts)
	go func() {
		defer close(gate)
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
			c.mu.Lock()
			open := c.getsNow
			c.mu.Unlock()
			if open >= 2 {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	got := readAll(t, r, 128<<10)
	r.Close()
	if !bytes.Equal(got, data) {
		t.Fatal("sequential read returned wrong bytes")
	}
	gets := c.getLog()
	if len(gets) > 25 {
		t.Fatalf("a 16 MiB sequential read issued %d GETs", len(gets))
	}
	var largest int64
	for _, g := range gets {
		if g.Offset == 0 && g.Length != opts.FirstRequest {
			t.Fatalf("first GET %+v, want the first %d bytes", g, opts.FirstRequest)
		}
		largest = max(largest, g.Length)
		if g.IfMatch != obj.ETag {
			t.Fatalf("GET not pinned: %+v", g)
		}
	}
	if largest != opts.PartSize {
		t.Fatalf("largest GET %d, want the requests to grow to %d-byte parts", largest, opts.PartSize)
	}
	if c.getsPeak < 2 {
		t.Fatalf("at most %d GET at once: no parallel prefetch", c.getsPeak)
	}
	// A body is read into the whole rest of its part: an HTTP client's
	// buffered reader copies reads smaller than its buffer through it.
	if c.smallReads > 0 {
		t.Fatalf("%d of %d GET bodies were first read in pieces smaller than the part", c.smallReads, len(gets))
	}
	if r.heldPeak > opts.MaxWindow {
		t.Fatalf("one reader held %d bytes, over its cap %d", r.heldPeak, opts.MaxWindow)
	}
}

// TestReaderSeekCancelsPrefetch holds the GET bodies of the start of the
// object and checks that a far seek cancels the prefetches in flight.
func TestReaderSeekCancelsPrefetch(t *testing.T) {
	s, obj, data := newStore(t, 20<<20)
	gate := make(chan struct{})
	c := &counting{Backend: s, gate: gate, gateBelow: 16 << 20}
	budget := NewBudget(64 << 20)
	r := NewReader(c, refOf(obj), ReaderOptions{Budget: budget, FirstRequest: 1 << 20, MaxWindow: 16 << 20})
	defer r.Close()

	// Start a stream; its read waits at the gate with the prefetch.
	first := make(chan error, 1)
	go func() {
		p := make([]byte, 128<<10)
		n, err := r.ReadAt(t.Context(), p, 0)
		if err == nil && (n != len(p) || !bytes.Equal(p, data[:n])) {
			err = errors.New("wrong bytes")
		}
		first <- err
	}()
	waitFor(t, func() bool { return len(c.getLog()) >= 2 })
	// A read far away cancels the prefetch nobody waits for; the first
	// read's own part goes on.
	p := make([]byte, 4<<10)
	off := int64(18 << 20)
	n, err := r.ReadAt(t.Context(), p, off)
	checkRead(t, data, p, off, n, err)
	waitFor(t, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.cancelled >= 1
	})
	close(gate)
	if err := <-first; err != nil {
		t.Fatalf("the first read failed: %v", err)
	}
	// Only the first read's part and the far read's part are left.
	waitFor(t, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.held <= 1<<20+DefaultRandomRead && r.fetching == 0
	})
}

// waitFor polls cond for up to five seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestReaderStaleAfterOverwrite(t *testing.T) {
	s, obj, data := newStore(t, 4<<20)
	r := NewReader(s, refOf(obj), smallOpts(NewBudget(1<<20)))
	defer r.Close()
	p := make([]byte, 64<<10)
	n, err := r.ReadAt(t.Context(), p, 0)
	checkRead(t, data, p, 0, n, err)

	storagetest.MustPut(t, s, "obj", storagetest.Data(99, 4<<20))
	var staleErr error
	for off := int64(len(p)); off < obj.Size; off += int64(len(p)) {
		n, err := r.ReadAt(t.Context(), p, off)
		if err != nil {
			staleErr = err
			break
		}
		// Bytes already fetched are the old version's, never the new one's.
		checkRead(t, data, p, off, n, err)
	}
	if !errors.Is(staleErr, ErrStale) || !errors.Is(staleErr, storage.ErrPrecondition) {
		t.Fatalf("read after overwrite: %v, want ErrStale matching storage.ErrPrecondition", staleErr)
	}
	if _, err := r.ReadAt(t.Context(), p, 0); !errors.Is(err, ErrStale) {
		t.Fatalf("a later read: %v, want ErrStale", err)
	}

	// A deleted object is stale too.
	s2, obj2, _ := newStore(t, 1<<20)
	r2 := NewReader(s2, refOf(obj2), smallOpts(nil))
	defer r2.Close()
	if err := s2.Delete(t.Context(), "obj"); err != nil {
		t.Fatal(err)
	}
	if _, err := r2.ReadAt(t.Context(), p, 0); !errors.Is(err, ErrStale) || !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("read of a deleted object: %v, want ErrStale matching storage.ErrNotFound", err)
	}
}

func TestReaderResumesTruncatedBodies(t *testing.T) {
	s, obj, data := newStore(t, 3<<20)
	faults := wrap.NewFaults(7, wrap.Fault{Ops: []wrap.Op{wrap.OpGet}, Every: 2, Truncate: true, TruncateAt: 10 << 10})
	r := NewReader(wrap.Faulty(s, faults), refOf(obj), smallOpts(NewBudget(2<<20)))
	defer r.Close()
	if got := readAll(t, r, 100<<10); !bytes.Equal(got, data) {
		t.Fatal("read with truncated bodies returned wrong bytes")
	}
	if faults.Injected()[wrap.OpGet] == 0 {
		t.Fatal("no body was truncated")
	}

	// Every body cut short: the read gives up after a bounded number of
	// tries.
	faults.Set(wrap.Fault{Ops: []wrap.Op{wrap.OpGet}, Truncate: true, TruncateAt: 1 << 10})
	r2 := NewReader(wrap.Faulty(s, faults), refOf(obj), smallOpts(NewBudget(2<<20)))
	defer r2.Close()
	p := make([]byte, 64<<10)
	if _, err := r2.ReadAt(t.Context(), p, 0); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("read with every body truncated: %v, want io.ErrUnexpectedEOF", err)
	}
	if gets := faults.Injected()[wrap.OpGet]; gets > 10 {
		t.Fatalf("%d GETs for one read: retries not bounded", gets)
	}
}

func TestReaderRetriesAfterFailure(t *testing.T) {
	s, obj, data := newStore(t, 1<<20)
	faults := wrap.NewFaults(1, wrap.Fault{Ops: []wrap.Op{wrap.OpGet}, Err: storage.ErrThrottled})
	r := NewReader(wrap.Faulty(s, faults), refOf(obj), smallOpts(nil))
	defer r.Close()
	p := make([]byte, 4<<10)
	if _, err := r.ReadAt(t.Context(), p, 0); !errors.Is(err, storage.ErrThrottled) {
		t.Fatalf("first read: %v, want the store's error", err)
	}
	faults.Set()
	n, err := r.ReadAt(t.Context(), p, 0)
	checkRead(t, data, p, 0, n, err)
}

func TestReaderClose(t *testing.T) {
	s, obj, _ := newStore(t, 4<<20)
	budget := NewBudget(8 << 20)
	r := NewReader(s, refOf(obj), ReaderOptions{Budget: budget})
	p := make([]byte, 4<<10)
	if _, err := r.ReadAt(t.Context(), p, 0); err != nil {
		t.Fatal(err)
	}
	r.Close()
	r.Close()
	if _, err := r.ReadAt(t.Context(), p, 0); !errors.Is(err, ErrClosed) {
		t.Fatalf("read after Close: %v, want ErrClosed", err)
	}
	if n := inUseByReaders(budget); n != 0 {
		t.Fatalf("%d bytes still used after Close", n)
	}
}

func TestReaderCallerContext(t *testing.T) {
	s, obj, data := newStore(t, 2<<20)
	gate := make(chan struct{})
	c := &counting{Backend: s, gate: gate}
	r := NewReader(c, refOf(obj), smallOpts(nil))
	defer r.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	p := make([]byte, 4<<10)
	if _, err := r.ReadAt(ctx, p, 0); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("read past its deadline: %v", err)
	}
	close(gate)
	n, err := r.ReadAt(t.Context(), p, 0)
	checkRead(t, data, p, 0, n, err)
}

// TestIdleReaderGivesBackReadAhead checks that a reader left open and
// unread cannot keep a waiting Acquire (a writer's next part) waiting.
func TestIdleReaderGivesBackReadAhead(t *testing.T) {
	s, obj, data := newStore(t, 16<<20)
	budget := NewBudget(4 << 20)
	opts := ReaderOptions{Budget: budget, PartSize: 1 << 20, MaxWindow: 3 << 20,
		FirstRequest: 256 << 10, ReclaimAfter: 50 * time.Millisecond}
	r := NewReader(s, refOf(obj), opts)
	defer r.Close()
	p := make([]byte, 128<<10)
	var off int64
	for ; off < 2<<20; off += int64(len(p)) {
		n, err := r.ReadAt(t.Context(), p, off)
		checkRead(t, data, p, off, n, err)
	}
	waitFor(t, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.fetching == 0
	})
	if inUseByReaders(budget) == 0 {
		t.Fatal("the reader read nothing ahead")
	}
	// The whole budget: only what the idle reader holds stands between.
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := budget.Acquire(ctx, budget.Max()); err != nil {
		t.Fatalf("Acquire with an idle reader holding read-ahead: %v", err)
	}
	// The reader still reads, straight from the store, then streams again.
	n, err := r.ReadAt(t.Context(), p, off)
	checkRead(t, data, p, off, n, err)
	budget.Release(budget.Max())
	off += int64(n)
	for ; off < obj.Size; off += int64(len(p)) {
		n, err := r.ReadAt(t.Context(), p, off)
		checkRead(t, data, p, off, n, err)
	}
}

// streamOpts are small sizes for tests of the stream's moves.
func streamOpts() ReaderOptions {
	return ReaderOptions{
		Budget: NewBudget(64 << 20), PartSize: 1 << 20, MaxWindow: 8 << 20,
		FirstRequest: 128 << 10, RandomRead: 64 << 10,
	}
}

// readRange reads [from, to) through r in 128 KiB reads, checking bytes.
func readRange(t *testing.T, r *Reader, data []byte, from, to int64) {
	t.Helper()
	p := make([]byte, 128<<10)
	for off := from; off < to; off += int64(len(p)) {
		n, err := r.ReadAt(t.Context(), p, off)
		checkRead(t, data, p, off, n, err)
	}
}

func fetched(c *counting) int64 {
	var total int64
	for _, g := range c.getLog() {
		total += g.Length
	}
	return total
}

// TestReaderStragglerKeepsStream checks that one read far behind the
// stream (a late read of the kernel's) does not throw the stream away.
func TestReaderStragglerKeepsStream(t *testing.T) {
	s, obj, data := newStore(t, 32<<20)
	c := &counting{Backend: s}
	r := NewReader(c, refOf(obj), streamOpts())
	defer r.Close()
	readRange(t, r, data, 0, 16<<20)
	p := make([]byte, 128<<10)
	n, err := r.ReadAt(t.Context(), p, 1<<20) // the straggler
	checkRead(t, data, p, 1<<20, n, err)
	readRange(t, r, data, 16<<20, obj.Size)
	if got, limit := fetched(c), obj.Size+int64(len(p)); got > limit {
		t.Fatalf("fetched %d bytes for a %d-byte object and one straggler: the stream was refetched", got, obj.Size)
	}
}

// TestReaderBackwardSeekMovesStream checks that reading on from a point
// far behind moves the stream there and drops the old one.
func TestReaderBackwardSeekMovesStream(t *testing.T) {
	s, obj, data := newStore(t, 32<<20)
	c := &counting{Backend: s}
	opts := streamOpts()
	r := NewReader(c, refOf(obj), opts)
	defer r.Close()
	readRange(t, r, data, 16<<20, 24<<20)
	readRange(t, r, data, 0, 8<<20)
	r.mu.Lock()
	next, streak := r.next, r.streak
	var ahead int
	for _, pt := range r.parts {
		if pt.off >= 16<<20 {
			ahead++
		}
	}
	r.mu.Unlock()
	if streak == 0 || next != 8<<20 || ahead > 0 {
		t.Fatalf("after reading on from 0: streak %d at %d, %d old parts left", streak, next, ahead)
	}
	// The new stream prefetches: far fewer GETs than reads.
	before := len(c.getLog())
	readRange(t, r, data, 8<<20, 16<<20)
	if gets := len(c.getLog()) - before; gets > 12 {
		t.Fatalf("8 MiB of reads in the new stream issued %d GETs", gets)
	}
}

// TestReaderRandomBehindDropsStream checks that random reads behind the
// stream end it after a few, so its read-ahead is not held for nothing.
func TestReaderRandomBehindDropsStream(t *testing.T) {
	s, obj, data := newStore(t, 32<<20)
	r := NewReader(s, refOf(obj), streamOpts())
	defer r.Close()
	readRange(t, r, data, 0, 24<<20)
	rng := rand.New(rand.NewPCG(7, 8))
	p := make([]byte, 4<<10)
	for i := range maxSideReads {
		off := int64(i)<<21 + rng.Int64N(1<<20)
		n, err := r.ReadAt(t.Context(), p, off)
		checkRead(t, data, p, off, n, err)
	}
	waitFor(t, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.streak == 0 && r.held <= streamOpts().RandomRead
	})
}

// TestDemandAtTheFrontierHoldsThePosition pins the case a concurrent read
// found: a read just past the stream's end, with a short part already
// listed in the gap, must get a part that holds its own offset, not one
// cut short by the part in the gap.
func TestDemandAtTheFrontierHoldsThePosition(t *testing.T) {
	s, obj, _ := newStore(t, 2<<20)
	r := NewReader(s, refOf(obj), smallOpts(NewBudget(4<<20)))
	defer r.Close()
	r.mu.Lock()
	r.started, r.streak, r.next, r.fetchEnd, r.reqSize = true, 1, 0, 0, 256<<10
	if gap, _ := r.start(100_000, 50_000); gap == nil {
		r.mu.Unlock()
		t.Fatal("no part for the gap")
	}
	const pos = 200_000
	pt := r.demand(pos, pos+64<<10)
	r.mu.Unlock()
	if pt == nil {
		t.Fatal("demand found no room")
	}
	if pt.off > pos || pt.end <= pos {
		t.Fatalf("demand(%d) = part [%d, %d), which does not hold it", pos, pt.off, pt.end)
	}
}
