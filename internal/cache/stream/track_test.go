package stream

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/storagetest"
	"github.com/a9de3765/cloudfuse/internal/storage/wrap"
)

// tracker records what a Writer reports through WriterOptions.Track.
type tracker struct {
	meter *wrap.Meter
	err   error // what Track returns

	mu       sync.Mutex
	started  []string // upload IDs
	released []string
	early    bool // a part was sent before Track was called
}

func (tr *tracker) track(_ context.Context, up storage.Upload) (func(), error) {
	if tr.err != nil {
		return nil, tr.err
	}
	id := storage.UploadIDOf(up)
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.started = append(tr.started, id)
	if tr.meter.Stats()[wrap.OpWritePart].Requests > 0 {
		tr.early = true
	}
	return func() {
		tr.mu.Lock()
		defer tr.mu.Unlock()
		tr.released = append(tr.released, id)
	}, nil
}

// TestWriterTrack checks that a streamed multipart upload is reported
// before its first part and released once completed or aborted, and that
// a file small enough for one Put is never reported.
func TestWriterTrack(t *testing.T) {
	for _, end := range []string{"complete", "abort", "small"} {
		t.Run(end, func(t *testing.T) {
			s := newWriteStore(t)
			tr := &tracker{meter: wrap.NewMeter()}
			b := wrap.Instrument(s, tr.meter)
			w := NewWriter(b, "f", WriterOptions{PartSize: testPart, Concurrency: 2, Track: tr.track})
			size := 3*testPart + 5
			if end == "small" {
				size = testPart - 1
			}
			writeAll(t, w, storagetest.Data(3, size), 16<<10)
			var err error
			if end == "abort" {
				err = w.Abort(t.Context())
			} else {
				_, err = w.Close(t.Context())
			}
			if err != nil {
				t.Fatal(err)
			}
			tr.mu.Lock()
			defer tr.mu.Unlock()
			if end == "small" {
				if len(tr.started) != 0 {
					t.Fatalf("single Put was tracked: %q", tr.started)
				}
				return
			}
			if len(tr.started) != 1 || tr.started[0] == "" {
				t.Fatalf("tracked %q, want one upload with an ID", tr.started)
			}
			if tr.early {
				t.Fatal("a part was sent before the upload was tracked")
			}
			if !slices.Equal(tr.released, tr.started) {
				t.Fatalf("released %q, want %q", tr.released, tr.started)
			}
		})
	}
}

// TestWriterTrackFails checks that a failing Track fails the write and
// leaves no upload behind.
func TestWriterTrackFails(t *testing.T) {
	s := newWriteStore(t)
	boom := errors.New("journal full")
	tr := &tracker{meter: wrap.NewMeter(), err: boom}
	w := NewWriter(s, "f", WriterOptions{PartSize: testPart, Track: tr.track})
	data := storagetest.Data(4, 2*testPart)
	_, err := w.WriteAt(t.Context(), data, 0)
	if err == nil {
		_, err = w.Close(t.Context())
	}
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want Track's", err)
	}
	if n := s.PendingUploads(); n != 0 {
		t.Fatalf("%d uploads left open", n)
	}
	if _, herr := s.Head(t.Context(), "f"); !errors.Is(herr, storage.ErrNotFound) {
		t.Fatalf("object visible: %v", herr)
	}
}

// TestWriterTrackKeptWhenAbortFails checks that an upload whose abort
// failed stays tracked, so whoever keeps the record can retry it.
func TestWriterTrackKeptWhenAbortFails(t *testing.T) {
	s := newWriteStore(t)
	faults := wrap.NewFaults(1, wrap.Fault{Ops: []wrap.Op{wrap.OpAbort}, Err: storage.ErrThrottled})
	tr := &tracker{meter: wrap.NewMeter()}
	w := NewWriter(wrap.Faulty(s, faults), "f", WriterOptions{PartSize: testPart, Track: tr.track})
	writeAll(t, w, storagetest.Data(5, 2*testPart+1), 32<<10)
	if err := w.Abort(t.Context()); !errors.Is(err, storage.ErrThrottled) {
		t.Fatalf("abort: %v, want the injected failure", err)
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if len(tr.started) != 1 || len(tr.released) != 0 {
		t.Fatalf("started %q released %q, want one upload still tracked", tr.started, tr.released)
	}
	if n := s.PendingUploads(); n != 1 {
		t.Fatalf("%d uploads open, want the one whose abort failed", n)
	}
}
