package stream

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// A random read fetches the chunk around it whole; a later random read of
// that chunk, through another reader of the same version, costs no
// request and returns the same bytes.
func TestRangesServeRandomReadsAgain(t *testing.T) {
	s, obj, data := newStore(t, 4<<20)
	c := &counting{Backend: s}
	budget := NewBudget(16 << 20)
	ranges := NewRanges(budget, 256<<10)
	ctx := context.Background()
	read := func(off, n int64) {
		t.Helper()
		r := NewReader(c, refOf(obj), ReaderOptions{Budget: budget, Ranges: ranges})
		defer r.Close()
		buf := make([]byte, n)
		if _, err := r.ReadAt(ctx, buf, off); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf, data[off:off+n]) {
			t.Fatalf("read at %d: other bytes", off)
		}
	}
	read(3<<20+5000, 4096)
	if n := len(c.getLog()); n != 1 {
		t.Fatalf("%d GETs for the first random read", n)
	}
	if g := c.getLog()[0]; g.Offset != 3<<20 || g.Length != 256<<10 {
		t.Errorf("the random read fetched %d bytes at %d, want its whole chunk", g.Length, g.Offset)
	}
	read(3<<20+100_000, 4096) // same chunk, another reader
	read(3<<20+260_000, 8000) // spans into the next chunk: one more GET
	if n := len(c.getLog()); n != 2 {
		t.Errorf("%d GETs after reads within two chunks", n)
	}
	if got := ranges.Bytes(); got != 512<<10 {
		t.Errorf("the cache holds %d bytes, want two chunks", got)
	}
}

// The cache never holds memory a stream or a write waits for, and it
// stays within the budget, dropping its least recently used chunks.
func TestRangesGiveMemoryBack(t *testing.T) {
	s, obj, _ := newStore(t, 4<<20)
	budget := NewBudget(1 << 20)
	ranges := NewRanges(budget, 256<<10)
	ctx := context.Background()
	r := NewReader(s, refOf(obj), ReaderOptions{Budget: budget, Ranges: ranges})
	defer r.Close()
	buf := make([]byte, 4096)
	for _, off := range []int64{3 << 20, 1<<20 + 7, 2<<20 + 9, 3<<20 + 512<<10, 512<<10 + 3, 1<<20 + 600<<10} {
		if _, err := r.ReadAt(ctx, buf, off); err != nil {
			t.Fatal(err)
		}
		if budget.InUse() > budget.Max() {
			t.Fatalf("%d bytes in use of a %d-byte budget", budget.InUse(), budget.Max())
		}
	}
	if ranges.Bytes() == 0 {
		t.Fatal("nothing was kept")
	}
	acquired := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		acquired <- budget.Acquire(ctx, 1<<20)
	}()
	if err := <-acquired; err != nil {
		t.Fatalf("a waiter did not get the memory the cache held: %v", err)
	}
	if got := ranges.Bytes(); got != 0 {
		t.Errorf("the cache still holds %d bytes", got)
	}
	budget.Release(1 << 20)
}
