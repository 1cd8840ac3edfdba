package wrap_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/memstore"
	"github.com/a9de3765/cloudfuse/internal/storage/storagetest"
	"github.com/a9de3765/cloudfuse/internal/storage/wrap"
)

// With no faults the decorator must be invisible.
func TestFaultyConformanceWithoutFaults(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		return wrap.Faulty(memstore.New(memstore.Options{MinPartSize: 64 << 10}), wrap.NewFaults(1))
	})
}

func newFaulty(t *testing.T, faults ...wrap.Fault) (storage.Backend, *wrap.Faults) {
	t.Helper()
	f := wrap.NewFaults(42)
	b := wrap.Faulty(memstore.New(memstore.Options{MinPartSize: 4}), f)
	storagetest.MustPut(t, b, "k", []byte("hello"))
	f.Set(faults...)
	return b, f
}

// pattern runs n heads and reports which failed.
func pattern(t *testing.T, b storage.Backend, n int) string {
	t.Helper()
	var sb strings.Builder
	for range n {
		_, err := b.Head(t.Context(), "k")
		switch {
		case err == nil:
			sb.WriteByte('.')
		case errors.Is(err, wrap.ErrInjected):
			sb.WriteByte('x')
		default:
			t.Fatalf("unexpected error %v", err)
		}
	}
	return sb.String()
}

func TestFaultySchedule(t *testing.T) {
	b, f := newFaulty(t, wrap.Fault{Ops: []wrap.Op{wrap.OpHead}, Calls: []int{2, 5}, Err: storage.ErrThrottled})
	if got := pattern(t, b, 6); got != ".x..x." {
		t.Fatalf("Calls 2,5: %s", got)
	}
	_, err := b.Head(t.Context(), "k")
	if err != nil {
		t.Fatal(err)
	}
	f.Set(wrap.Fault{Ops: []wrap.Op{wrap.OpHead}, Calls: []int{1}, Err: storage.ErrThrottled})
	_, err = b.Head(t.Context(), "k")
	storagetest.RequireKind(t, err, storage.ErrThrottled)
	if !errors.Is(err, wrap.ErrInjected) {
		t.Fatalf("%v does not match ErrInjected", err)
	}
	if got := f.Injected()[wrap.OpHead]; got != 1 {
		t.Fatalf("injected after Set: %d", got)
	}

	f.Set(wrap.Fault{Every: 3, Limit: 2})
	if got := pattern(t, b, 10); got != "..x..x...." {
		t.Fatalf("Every 3, Limit 2: %s", got)
	}
	f.Set(wrap.Fault{Ops: []wrap.Op{wrap.OpGet}})
	if got := pattern(t, b, 3); got != "..." {
		t.Fatalf("a get fault hit heads: %s", got)
	}
	f.Set(wrap.Fault{KeyPrefix: "other"})
	if got := pattern(t, b, 3); got != "..." {
		t.Fatalf("a fault for other keys hit k: %s", got)
	}
	f.Set(wrap.Fault{})
	if got := pattern(t, b, 3); got != "xxx" {
		t.Fatalf("an unscheduled fault fires always: %s", got)
	}
}

func TestFaultyProbabilityIsSeeded(t *testing.T) {
	fault := wrap.Fault{Prob: 0.3}
	b1, _ := newFaulty(t, fault)
	b2, _ := newFaulty(t, fault)
	p1, p2 := pattern(t, b1, 400), pattern(t, b2, 400)
	if p1 != p2 {
		t.Fatal("the same seed gave different failures")
	}
	if n := strings.Count(p1, "x"); n < 80 || n > 160 {
		t.Fatalf("probability 0.3 failed %d of 400", n)
	}
}

func TestFaultyAfterCall(t *testing.T) {
	b, _ := newFaulty(t, wrap.Fault{Ops: []wrap.Op{wrap.OpPut}, AfterCall: true, Err: storage.ErrThrottled})
	_, err := b.Put(t.Context(), "new", strings.NewReader("written"), storage.PutOptions{})
	storagetest.RequireKind(t, err, storage.ErrThrottled)
	// The store did the work even though the caller saw a failure.
	storagetest.MustContain(t, b, "new", []byte("written"))

	b, _ = newFaulty(t, wrap.Fault{Ops: []wrap.Op{wrap.OpPut}, Err: storage.ErrThrottled})
	_, err = b.Put(t.Context(), "new", strings.NewReader("written"), storage.PutOptions{})
	storagetest.RequireKind(t, err, storage.ErrThrottled)
	storagetest.MustNotExist(t, b, "new")
}

func TestFaultyDelay(t *testing.T) {
	b, _ := newFaulty(t, wrap.Fault{Ops: []wrap.Op{wrap.OpHead}, Delay: 30 * time.Millisecond})
	start := time.Now()
	if _, err := b.Head(t.Context(), "k"); err != nil {
		t.Fatalf("a pure delay failed: %v", err)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("head took %v", d)
	}
	b, _ = newFaulty(t, wrap.Fault{Delay: time.Hour})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if _, err := b.Head(ctx, "k"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a delay ignored its context: %v", err)
	}
}

func TestFaultyTruncate(t *testing.T) {
	b, _ := newFaulty(t, wrap.Fault{Ops: []wrap.Op{wrap.OpGet}, Truncate: true, TruncateAt: 3})
	got, _, err := storagetest.GetBytes(t.Context(), b, "k", storage.GetOptions{Length: -1})
	if err != io.ErrUnexpectedEOF || string(got) != "hel" {
		t.Fatalf("cut body: %q %v", got, err)
	}
	// A body no longer than the cut ends normally.
	got, _, err = storagetest.GetBytes(t.Context(), b, "k", storage.GetOptions{Length: 3})
	if err != nil || string(got) != "hel" {
		t.Fatalf("short body: %q %v", got, err)
	}
}

func TestFaultyUploads(t *testing.T) {
	b, f := newFaulty(t, wrap.Fault{Ops: []wrap.Op{wrap.OpWritePart}, Calls: []int{2}, Err: storage.ErrThrottled})
	up, err := b.CreateUpload(t.Context(), "mp", storage.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p1, err := up.WritePart(t.Context(), 1, strings.NewReader("abcd"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = up.WritePart(t.Context(), 2, strings.NewReader("ef"))
	storagetest.RequireKind(t, err, storage.ErrThrottled)
	p2, err := up.WritePart(t.Context(), 2, strings.NewReader("ef")) // the retry
	if err != nil {
		t.Fatal(err)
	}
	f.Add(wrap.Fault{Ops: []wrap.Op{wrap.OpComplete}, Calls: []int{1}})
	if _, err := up.Complete(t.Context(), []storage.Part{p1, p2}); !errors.Is(err, wrap.ErrInjected) {
		t.Fatalf("complete: %v", err)
	}
	if _, err := up.Complete(t.Context(), []storage.Part{p1, p2}); err != nil {
		t.Fatal(err)
	}
	storagetest.MustContain(t, b, "mp", []byte("abcdef"))
}

func TestFaultyConcurrent(t *testing.T) {
	b, f := newFaulty(t, wrap.Fault{Prob: 0.5, Err: storage.ErrThrottled})
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	for range 8 {
		wg.Go(func() {
			for range 50 {
				if _, err := b.Head(t.Context(), "k"); err != nil {
					mu.Lock()
					failed++
					mu.Unlock()
				}
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			f.Add(wrap.Fault{Ops: []wrap.Op{wrap.OpDelete}})
			f.Injected()
		}
	})
	wg.Wait()
	if got := f.Injected()[wrap.OpHead]; got != failed {
		t.Fatalf("injected %d, saw %d failures", got, failed)
	}
}
