package stream

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

func TestBudgetAcquireRelease(t *testing.T) {
	b := NewBudget(100)
	if b.Max() != 100 || b.InUse() != 0 {
		t.Fatalf("new budget: max %d in use %d", b.Max(), b.InUse())
	}
	if err := b.Acquire(t.Context(), 60); err != nil {
		t.Fatal(err)
	}
	if b.TryAcquire(50) {
		t.Fatal("TryAcquire(50) succeeded with 40 left")
	}
	if !b.TryAcquire(40) {
		t.Fatal("TryAcquire(40) failed with 40 left")
	}
	if b.InUse() != 100 {
		t.Fatalf("in use %d, want 100", b.InUse())
	}
	b.Release(100)
	if b.InUse() != 0 || b.Peak() != 100 {
		t.Fatalf("after release: in use %d peak %d", b.InUse(), b.Peak())
	}
	if err := b.Acquire(t.Context(), 101); !errors.Is(err, ErrOverBudget) {
		t.Fatalf("Acquire over the whole budget: %v, want ErrOverBudget", err)
	}
}

func TestBudgetAcquireWaitsAndGivesUp(t *testing.T) {
	b := NewBudget(100)
	if !b.TryAcquire(100) {
		t.Fatal("TryAcquire of the whole budget failed")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if err := b.Acquire(ctx, 10); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Acquire on a full budget: %v, want deadline exceeded", err)
	}

	got := make(chan error, 1)
	go func() { got <- b.Acquire(t.Context(), 70) }()
	time.Sleep(10 * time.Millisecond)
	select {
	case err := <-got:
		t.Fatalf("Acquire returned %v before any release", err)
	default:
	}
	// A waiter is first in line: TryAcquire must not take the room it
	// waits for.
	b.Release(50)
	if b.TryAcquire(10) {
		t.Fatal("TryAcquire jumped ahead of a waiter")
	}
	b.Release(50)
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if b.InUse() != 70 {
		t.Fatalf("in use %d, want 70", b.InUse())
	}
	b.Release(70)
}

func TestBudgetBuffersAreReused(t *testing.T) {
	b := NewBudget(1 << 20)
	buf, err := b.Alloc(t.Context(), 64<<10)
	if err != nil {
		t.Fatal(err)
	}
	if len(buf) != 64<<10 || b.InUse() != 64<<10 {
		t.Fatalf("len %d in use %d", len(buf), b.InUse())
	}
	buf[0] = 7
	b.Free(buf)
	// Kept on the free list, still counted.
	if b.InUse() != 64<<10 {
		t.Fatalf("after Free: in use %d, want the kept buffer counted", b.InUse())
	}
	again, ok := b.TryAlloc(64 << 10)
	if !ok || &again[0] != &buf[0] {
		t.Fatal("a buffer of the same size was not reused")
	}
	if b.InUse() != 64<<10 {
		t.Fatalf("in use %d after reuse", b.InUse())
	}
	b.Free(again)
	// Someone needing the whole budget makes the kept buffer go.
	if err := b.Acquire(t.Context(), 1<<20); err != nil {
		t.Fatalf("kept buffers blocked an Acquire: %v", err)
	}
	if b.InUse() != 1<<20 {
		t.Fatalf("in use %d", b.InUse())
	}
	b.Release(1 << 20)
}

// TestBudgetNeverExceeded hammers one budget from many goroutines and
// checks the high-water mark.
func TestBudgetNeverExceeded(t *testing.T) {
	const max = 1 << 20
	b := NewBudget(max)
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for range 300 {
				n := 1 + rng.IntN(max/3)
				switch rng.IntN(3) {
				case 0:
					if err := b.Acquire(t.Context(), int64(n)); err != nil {
						t.Error(err)
						return
					}
					b.Release(int64(n))
				case 1:
					if buf, ok := b.TryAlloc(n); ok {
						b.Free(buf)
					}
				default:
					buf, err := b.Alloc(t.Context(), []int{64 << 10, 128 << 10, n}[rng.IntN(3)])
					if err != nil {
						t.Error(err)
						return
					}
					b.Free(buf)
				}
			}
		})
	}
	wg.Wait()
	if b.Peak() > max {
		t.Fatalf("peak %d over the budget %d", b.Peak(), max)
	}
	b.mu.Lock()
	used := b.used
	b.mu.Unlock()
	if used != 0 {
		t.Fatalf("%d bytes still counted as used", used)
	}
}
