package stream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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

const testPart = 64 << 10

func newWriteStore(t *testing.T) *memstore.Store {
	t.Helper()
	s := memstore.New(memstore.Options{MinPartSize: testPart})
	t.Cleanup(func() { s.Close() })
	return s
}

// writeAll writes data through w in chunks of chunk bytes.
func writeAll(t *testing.T, w *Writer, data []byte, chunk int) {
	t.Helper()
	for off := 0; off < len(data); off += chunk {
		end := min(off+chunk, len(data))
		n, err := w.WriteAt(t.Context(), data[off:end], int64(off))
		if err != nil || n != end-off {
			t.Fatalf("WriteAt(%d, %d bytes) = %d, %v", off, end-off, n, err)
		}
	}
}

func getObject(t *testing.T, b storage.Backend, key string) ([]byte, storage.Object) {
	t.Helper()
	rc, obj, err := b.Get(t.Context(), key, storage.GetOptions{Length: -1})
	if err != nil {
		t.Fatalf("get %q: %v", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return data, obj
}

func TestWriterRoundTrip(t *testing.T) {
	sizes := []int{0, 1, testPart - 1, testPart, testPart + 1, 5*testPart + 7, 6 * testPart}
	for _, size := range sizes {
		for _, chunk := range []int{4 << 10, 100 << 10, 1 << 20} {
			s := newWriteStore(t)
			c := &counting{Backend: s}
			budget := NewBudget(4 * testPart)
			w := NewWriter(c, "f", WriterOptions{
				Budget: budget, PartSize: testPart, Concurrency: 2,
				Put: storage.PutOptions{Metadata: map[string]string{"mode": "0644"}, ContentType: "text/plain"},
			})
			data := storagetest.Data(uint64(size), size)
			writeAll(t, w, data, chunk)
			if w.Size() != int64(size) {
				t.Fatalf("Size %d after writing %d bytes", w.Size(), size)
			}
			obj, err := w.Close(t.Context())
			if err != nil {
				t.Fatalf("size %d chunk %d: Close: %v", size, chunk, err)
			}
			got, stored := getObject(t, s, "f")
			if !bytes.Equal(got, data) {
				t.Fatalf("size %d chunk %d: stored %d bytes that differ", size, chunk, len(got))
			}
			if obj.Size != int64(size) || obj.ETag != stored.ETag {
				t.Fatalf("Close returned %+v, store has %+v", obj, stored)
			}
			if stored.Metadata["mode"] != "0644" || stored.ContentType != "text/plain" {
				t.Fatalf("metadata not kept: %+v", stored)
			}
			multipart := size > testPart
			if multipart != (c.createTotal == 1) || multipart == (c.putsTotal == 1) {
				t.Fatalf("size %d: %d puts, %d uploads; want a single Put only up to one part",
					size, c.putsTotal, c.createTotal)
			}
			if multipart && c.partsTotal != (size+testPart-1)/testPart {
				t.Fatalf("size %d: %d parts", size, c.partsTotal)
			}
			if c.partsPeak > 2 {
				t.Fatalf("%d parts uploading at once, over the concurrency of 2", c.partsPeak)
			}
			if budget.Peak() > budget.Max() || inUseByReaders(budget) != 0 {
				t.Fatalf("budget peak %d of %d, %d left in use", budget.Peak(), budget.Max(), inUseByReaders(budget))
			}
			if _, err := w.WriteAt(t.Context(), []byte("x"), w.Size()); !errors.Is(err, ErrClosed) {
				t.Fatalf("write after Close: %v, want ErrClosed", err)
			}
		}
	}
}

func TestWriterNotSequential(t *testing.T) {
	s := newWriteStore(t)
	w := NewWriter(s, "f", WriterOptions{PartSize: testPart})
	data := storagetest.Data(1, 3*testPart)
	writeAll(t, w, data[:testPart+10], 1000)
	for _, off := range []int64{0, 5, testPart + 9, testPart + 11, 1 << 30} {
		n, err := w.WriteAt(t.Context(), []byte("zz"), off)
		if n != 0 || !errors.Is(err, ErrNotSequential) {
			t.Fatalf("WriteAt(%d) = %d, %v; want 0, ErrNotSequential", off, n, err)
		}
	}
	if w.Size() != testPart+10 {
		t.Fatalf("Size %d after refused writes", w.Size())
	}
	// The writer goes on where it was.
	n, err := w.WriteAt(t.Context(), data[testPart+10:], testPart+10)
	if err != nil || n != len(data)-testPart-10 {
		t.Fatalf("WriteAt at the end: %d, %v", n, err)
	}
	if _, err := w.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got, _ := getObject(t, s, "f"); !bytes.Equal(got, data) {
		t.Fatal("stored bytes differ")
	}
}

func TestWriterPartFailureAborts(t *testing.T) {
	for _, failAt := range []string{"write", "close", "complete"} {
		t.Run(failAt, func(t *testing.T) {
			s := newWriteStore(t)
			faults := wrap.NewFaults(1)
			switch failAt {
			case "write":
				faults.Set(wrap.Fault{Ops: []wrap.Op{wrap.OpWritePart}, Calls: []int{2}, Err: storage.ErrThrottled})
			case "close":
				faults.Set(wrap.Fault{Ops: []wrap.Op{wrap.OpWritePart}, Calls: []int{4}, Err: storage.ErrThrottled})
			case "complete":
				faults.Set(wrap.Fault{Ops: []wrap.Op{wrap.OpComplete}, Err: storage.ErrThrottled})
			}
			budget := NewBudget(8 * testPart)
			w := NewWriter(wrap.Faulty(s, faults), "f", WriterOptions{Budget: budget, PartSize: testPart, Concurrency: 2})
			data := storagetest.Data(2, 4*testPart-100)
			var err error
			for off := 0; off < len(data) && err == nil; off += 8 << 10 {
				_, err = w.WriteAt(t.Context(), data[off:min(off+8<<10, len(data))], int64(off))
				if err == nil && failAt == "write" && off > 2*testPart {
					// Give the failed part time to be seen.
					time.Sleep(time.Millisecond)
				}
			}
			if err == nil {
				_, err = w.Close(t.Context())
			}
			if !errors.Is(err, storage.ErrThrottled) {
				t.Fatalf("error %v, want the part's failure", err)
			}
			if _, herr := s.Head(t.Context(), "f"); !errors.Is(herr, storage.ErrNotFound) {
				t.Fatalf("object visible after a failed upload: %v", herr)
			}
			if n := s.PendingUploads(); n != 0 {
				t.Fatalf("%d uploads left open", n)
			}
			if _, cerr := w.Close(t.Context()); !errors.Is(cerr, storage.ErrThrottled) {
				t.Fatalf("Close after failure: %v, want the same failure", cerr)
			}
			if n := inUseByReaders(budget); n != 0 {
				t.Fatalf("%d budget bytes still used", n)
			}
		})
	}
}

// TestWriterFailureSeenByNextWrite checks that a part failing in the
// background fails the next WriteAt, not just Close.
func TestWriterFailureSeenByNextWrite(t *testing.T) {
	s := newWriteStore(t)
	faults := wrap.NewFaults(1, wrap.Fault{Ops: []wrap.Op{wrap.OpWritePart}, Calls: []int{1}, Err: storage.ErrPermission})
	w := NewWriter(wrap.Faulty(s, faults), "f", WriterOptions{PartSize: testPart})
	data := storagetest.Data(3, 2*testPart)
	writeAll(t, w, data[:testPart+1], testPart+1) // part 1 goes up and fails
	waitFor(t, func() bool { return w.partErr() != nil })
	if _, err := w.WriteAt(t.Context(), data[testPart+1:], testPart+1); !errors.Is(err, storage.ErrPermission) {
		t.Fatalf("WriteAt after a failed part: %v", err)
	}
	if s.PendingUploads() != 0 {
		t.Fatal("upload not aborted")
	}
}

func TestWriterBackpressure(t *testing.T) {
	s := newWriteStore(t)
	faults := wrap.NewFaults(1, wrap.Fault{Ops: []wrap.Op{wrap.OpWritePart}, Delay: 5 * time.Millisecond})
	c := &counting{Backend: wrap.Faulty(s, faults)}
	// Room for two part buffers only, though four may upload at once.
	budget := NewBudget(2 * testPart)
	w := NewWriter(c, "f", WriterOptions{Budget: budget, PartSize: testPart, Concurrency: 4})
	data := storagetest.Data(4, 12*testPart+3)
	writeAll(t, w, data, 32<<10)
	if _, err := w.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got, _ := getObject(t, s, "f"); !bytes.Equal(got, data) {
		t.Fatal("stored bytes differ")
	}
	if budget.Peak() > budget.Max() {
		t.Fatalf("peak %d over the budget %d", budget.Peak(), budget.Max())
	}
	if c.partsPeak > 2 {
		t.Fatalf("%d parts uploading at once with room for two buffers", c.partsPeak)
	}
}

// TestWriterBudgetShared runs writers and readers on one budget at once.
func TestWriterBudgetShared(t *testing.T) {
	s := newWriteStore(t)
	src := storagetest.Data(5, 3<<20)
	storagetest.MustPut(t, s, "src", src)
	obj, err := s.Head(t.Context(), "src")
	if err != nil {
		t.Fatal(err)
	}
	budget := NewBudget(6 * testPart)
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			w := NewWriter(s, "w"+string(rune('a'+i)), WriterOptions{Budget: budget, PartSize: testPart, Concurrency: 2})
			data := storagetest.Data(uint64(10+i), 10*testPart+i)
			for off := 0; off < len(data); off += 16 << 10 {
				if _, err := w.WriteAt(t.Context(), data[off:min(off+16<<10, len(data))], int64(off)); err != nil {
					t.Error(err)
					return
				}
			}
			if _, err := w.Close(t.Context()); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() {
			r := NewReader(s, refOf(obj), smallOpts(budget))
			defer r.Close()
			if got := readAll(t, r, 64<<10); !bytes.Equal(got, src) {
				t.Error("reader read wrong bytes")
			}
		})
	}
	wg.Wait()
	if budget.Peak() > budget.Max() || inUseByReaders(budget) != 0 {
		t.Fatalf("budget peak %d of %d, %d left", budget.Peak(), budget.Max(), inUseByReaders(budget))
	}
}

func TestWriterTooLarge(t *testing.T) {
	s := memstore.New(memstore.Options{MinPartSize: 16})
	defer s.Close()
	w := NewWriter(s, "f", WriterOptions{PartSize: 16, Concurrency: 8})
	maxSize := int64(16 * s.Caps().MaxParts)
	if w.MaxSize() != maxSize {
		t.Fatalf("MaxSize %d, want %d", w.MaxSize(), maxSize)
	}
	data := storagetest.Data(6, int(maxSize))
	writeAll(t, w, data, 16<<10)
	n, err := w.WriteAt(t.Context(), []byte("x"), maxSize)
	if n != 0 || !errors.Is(err, storage.ErrTooLarge) || !strings.Contains(err.Error(), "at most") {
		t.Fatalf("write past the limit: %d, %v; want ErrTooLarge", n, err)
	}
	// The file up to the limit still completes.
	if _, err := w.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got, _ := getObject(t, s, "f"); !bytes.Equal(got, data) {
		t.Fatal("stored bytes differ")
	}
}

func TestWriterPartSizeFollowsStore(t *testing.T) {
	s := memstore.New(memstore.Options{MinPartSize: 1 << 20})
	defer s.Close()
	if w := NewWriter(s, "f", WriterOptions{PartSize: 4 << 10}); w.PartSize() != 1<<20 {
		t.Fatalf("part size %d, want the store's minimum", w.PartSize())
	}
}

func TestWriterAbort(t *testing.T) {
	s := newWriteStore(t)
	budget := NewBudget(4 * testPart)
	w := NewWriter(s, "f", WriterOptions{Budget: budget, PartSize: testPart})
	writeAll(t, w, storagetest.Data(7, 3*testPart+5), 8<<10)
	if err := w.Abort(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Head(t.Context(), "f"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("object visible after Abort: %v", err)
	}
	if s.PendingUploads() != 0 || inUseByReaders(budget) != 0 {
		t.Fatalf("after Abort: %d uploads open, %d bytes used", s.PendingUploads(), inUseByReaders(budget))
	}
	if _, err := w.Close(t.Context()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Close after Abort: %v, want ErrClosed", err)
	}
	if err := w.Abort(t.Context()); err != nil {
		t.Fatalf("second Abort: %v", err)
	}
}

// TestWriterAbortWakesBlockedWrite aborts a writer whose WriteAt waits for
// budget held elsewhere.
func TestWriterAbortWakesBlockedWrite(t *testing.T) {
	s := newWriteStore(t)
	budget := NewBudget(testPart)
	if !budget.TryAcquire(testPart) {
		t.Fatal("could not fill the budget")
	}
	w := NewWriter(s, "f", WriterOptions{Budget: budget, PartSize: testPart})
	done := make(chan error, 1)
	go func() {
		_, err := w.WriteAt(context.Background(), []byte("abc"), 0)
		done <- err
	}()
	time.Sleep(10 * time.Millisecond)
	if err := w.Abort(t.Context()); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("blocked WriteAt returned %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Abort did not wake a WriteAt waiting for the budget")
	}
}

// TestWriterCallerGivesUp checks that a WriteAt or Close whose context
// ends while waiting leaves the writer usable.
func TestWriterCallerGivesUp(t *testing.T) {
	s := newWriteStore(t)
	faults := wrap.NewFaults(1)
	budget := NewBudget(2 * testPart)
	w := NewWriter(wrap.Faulty(s, faults), "f", WriterOptions{Budget: budget, PartSize: testPart})
	data := storagetest.Data(8, 3*testPart+1)
	writeAll(t, w, data[:testPart], testPart)

	// Hold the budget and slow the part upload: the next part's buffer
	// must wait.
	faults.Set(wrap.Fault{Ops: []wrap.Op{wrap.OpWritePart}, Delay: 100 * time.Millisecond})
	if !budget.TryAcquire(testPart) {
		t.Fatal("could not take the rest of the budget")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	n, err := w.WriteAt(ctx, data[testPart:2*testPart], testPart)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WriteAt waiting for the budget: %d, %v", n, err)
	}
	budget.Release(testPart)
	faults.Set()
	writeAll2(t, w, data, testPart+n)

	// A slow part makes Close wait past its deadline, then a second Close
	// finishes the file.
	faults.Set(wrap.Fault{Ops: []wrap.Op{wrap.OpWritePart}, Delay: 100 * time.Millisecond})
	ctx2, cancel2 := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel2()
	if _, err := w.Close(ctx2); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close past its deadline: %v", err)
	}
	if _, err := w.Close(t.Context()); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if got, _ := getObject(t, s, "f"); !bytes.Equal(got, data) {
		t.Fatal("stored bytes differ")
	}
}

// writeAll2 writes data[from:] through w in one call.
func writeAll2(t *testing.T, w *Writer, data []byte, from int) {
	t.Helper()
	if n, err := w.WriteAt(t.Context(), data[from:], int64(from)); err != nil || n != len(data)-from {
		t.Fatalf("WriteAt(%d) = %d, %v", from, n, err)
	}
}

// A file's first part buffer starts small and grows as the file does, so
// many small files written at once hold little memory; a large file still
// uploads in whole parts, and the budget's accounting is as before.
func TestWriterFirstBufferGrows(t *testing.T) {
	s := memstore.New(memstore.Options{MinPartSize: 4 << 20})
	defer s.Close()
	const part = 16 << 20
	budget := NewBudget(64 * part)
	var ws []*Writer
	for i := range 16 {
		w := NewWriter(s, fmt.Sprintf("small%d", i), WriterOptions{Budget: budget, PartSize: part, Concurrency: 2})
		if _, err := w.WriteAt(t.Context(), []byte("a small file"), 0); err != nil {
			t.Fatal(err)
		}
		ws = append(ws, w)
	}
	held := 0
	for _, w := range ws {
		held += cap(w.cur)
	}
	if held > 16*firstBuffer {
		t.Errorf("16 open small files hold %d bytes of buffers, want at most %d", held, 16*firstBuffer)
	}
	// The budget is charged whole parts all the same, so no writer waits
	// for memory while it holds some.
	if got := budget.InUse(); got != 16*part {
		t.Errorf("the budget is charged %d, want 16 parts", got)
	}
	for _, w := range ws {
		if _, err := w.Close(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if got := budget.InUse(); got != 0 {
		t.Errorf("after the small files closed the budget holds %d", got)
	}
	w := NewWriter(s, "big", WriterOptions{Budget: budget, PartSize: part, Concurrency: 2})
	data := storagetest.Data(7, 2*part+5)
	writeAll(t, w, data, 100<<10)
	if _, err := w.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got, _ := getObject(t, s, "big"); !bytes.Equal(got, data) {
		t.Fatal("stored bytes differ")
	}
}
