package vfs

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/memstore"
	"github.com/a9de3765/cloudfuse/internal/storage/storagetest"
	"github.com/a9de3765/cloudfuse/internal/storage/wrap"
)

// stalling is a store whose multipart uploads send part 1 and then hang
// on every later part until unstall: a daemon killed mid-upload, seen
// from the store.
type stalling struct {
	storage.Backend
	stall chan struct{}
	wrote atomic.Int32 // parts written
}

func (s *stalling) CreateUpload(ctx context.Context, key string, opts storage.PutOptions) (storage.Upload, error) {
	up, err := s.Backend.CreateUpload(ctx, key, opts)
	if err != nil {
		return nil, err
	}
	return &stallingUpload{Upload: up, stall: s.stall, wrote: &s.wrote}, nil
}

type stallingUpload struct {
	storage.Upload
	stall chan struct{}
	wrote *atomic.Int32
}

func (u *stallingUpload) UploadID() string { return storage.UploadIDOf(u.Upload) }

func (u *stallingUpload) WritePart(ctx context.Context, n int, body io.ReadSeeker) (storage.Part, error) {
	if n > 1 {
		select {
		case <-u.stall:
		case <-ctx.Done():
			return storage.Part{}, ctx.Err()
		}
	}
	p, err := u.Upload.WritePart(ctx, n, body)
	if err == nil {
		u.wrote.Add(1)
	}
	return p, err
}

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func uploadRecords(t *testing.T, cacheDir string) int {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(cacheDir, "journal", "uploads"))
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// waitFor polls cond for up to ten seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// crashMidUpload starts writing a 3-part file on a mount whose uploads
// hang after part 1, and returns once the upload is open in the store and
// recorded: the moment a kill -9 would leave it behind. The hung mount is
// released at the end of the test.
func crashMidUpload(t *testing.T, s *memstore.Store, cacheDir string, stream bool, data []byte) string {
	t.Helper()
	st := &stalling{Backend: s, stall: make(chan struct{})}
	opts := Options{CacheDir: cacheDir, AttrTTL: time.Minute, PartSize: 1 << 20}
	if stream {
		opts.Stream = &StreamOptions{PartSize: 1 << 20, UploadConcurrency: 2}
	}
	v, err := testNew(t.Context(), st, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	h, _, err := v.Create(ctx, "f", OpenFlags{Write: true, Truncate: true}, 0o644, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Write(ctx, data, 0); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = h.Flush(ctx) // hangs until the stall ends
	}()
	t.Cleanup(func() {
		close(st.stall)
		<-done
	})
	// Part 1 written too: a part still on its way when the next mount
	// aborts the upload would fail the hung mount's flush, which could
	// then start an upload of its own and spoil the count.
	waitFor(t, "the upload to start", func() bool {
		return s.PendingUploads() == 1 && uploadRecords(t, cacheDir) == 1 && st.wrote.Load() >= 1
	})
	return killed(t, cacheDir)
}

// TestCrashedStagedUploadIsAborted kills a mount (in effect) between the
// parts of a staged file's multipart upload: the next mount over the same
// cache directory aborts the upload it left, logs it, and uploads the
// file whole from its staged copy; no part of a half upload shows.
func TestCrashedStagedUploadIsAborted(t *testing.T) {
	s := newMem()
	cacheDir := t.TempDir()
	data := storagetest.Data(11, 3<<20)
	cacheDir = crashMidUpload(t, s, cacheDir, false, data)
	if _, err := s.Head(t.Context(), "f"); err == nil {
		t.Fatal("object visible while its upload is unfinished")
	}

	var logs syncBuffer
	newTestFS(t, s, func(o *Options) {
		o.CacheDir = cacheDir
		o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	if n := s.PendingUploads(); n != 0 {
		t.Fatalf("%d multipart uploads left after the next mount", n)
	}
	if n := uploadRecords(t, cacheDir); n != 0 {
		t.Fatalf("%d upload records left", n)
	}
	if !bytes.Contains([]byte(logs.String()), []byte("aborted an unfinished multipart upload left by an earlier run")) {
		t.Fatalf("abort not logged:\n%s", logs.String())
	}
	got, _ := get(t, s, "f")
	if got != string(data) {
		t.Fatalf("recovered object has %d bytes, want the whole %d", len(got), len(data))
	}
}

// TestCrashedStreamUploadIsAborted is the same on the streaming data
// path: the data of a streamed file lives only in memory, so after the
// crash the object never appears, and its upload is aborted.
func TestCrashedStreamUploadIsAborted(t *testing.T) {
	s := newMem()
	cacheDir := t.TempDir()
	cacheDir = crashMidUpload(t, s, cacheDir, true, storagetest.Data(12, 3<<20))

	newTestFS(t, s, func(o *Options) { o.CacheDir = cacheDir })
	if n := s.PendingUploads(); n != 0 {
		t.Fatalf("%d multipart uploads left after the next mount", n)
	}
	if n := uploadRecords(t, cacheDir); n != 0 {
		t.Fatalf("%d upload records left", n)
	}
	if _, err := s.Head(t.Context(), "f"); err == nil {
		t.Fatal("a half-written streamed file became visible")
	}
}

// TestUploadRecordsGoAway checks that finished uploads, staged and
// streamed, leave no record and no open upload behind.
func TestUploadRecordsGoAway(t *testing.T) {
	for _, stream := range []bool{false, true} {
		s := newMem()
		cacheDir := t.TempDir()
		v := newTestFS(t, s, func(o *Options) {
			o.CacheDir = cacheDir
			if stream {
				o.Stream = &StreamOptions{PartSize: 1 << 20, UploadConcurrency: 2}
			}
		})
		data := string(storagetest.Data(13, 5<<20+3))
		writeFile(t, v, "big", data)
		if got, obj := get(t, s, "big"); got != data || !bytes.Contains([]byte(obj.ETag), []byte("-")) {
			t.Fatalf("stream=%v: object of %d bytes, etag %q; want a %d-byte multipart object", stream, len(got), obj.ETag, len(data))
		}
		if n := s.PendingUploads(); n != 0 {
			t.Fatalf("stream=%v: %d uploads open", stream, n)
		}
		if n := uploadRecords(t, cacheDir); n != 0 {
			t.Fatalf("stream=%v: %d upload records left", stream, n)
		}
	}
}

// noLister hides the store's UploadLister, as on Azure.
type noLister struct{ storage.Backend }

// TestLeftUploadWithoutLister checks that on a store with no way to abort
// an upload by ID the record of a crashed upload is logged and dropped.
func TestLeftUploadWithoutLister(t *testing.T) {
	s := newMem()
	cacheDir := t.TempDir()
	cacheDir = crashMidUpload(t, s, cacheDir, true, storagetest.Data(14, 3<<20))
	var logs syncBuffer
	newTestFS(t, noLister{s}, func(o *Options) {
		o.CacheDir = cacheDir
		o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	if n := uploadRecords(t, cacheDir); n != 0 {
		t.Fatalf("%d upload records left", n)
	}
	if !bytes.Contains([]byte(logs.String()), []byte("the store discards its uncommitted data by itself")) {
		t.Fatalf("left upload not logged:\n%s", logs.String())
	}
}

// clock is a settable clock for memstore.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// TestStaleUploadSweep checks the sweep after mount: uploads under the
// mount's root started longer ago than StaleUploadAge are aborted, newer
// ones and those outside the root stay, and the count is logged.
func TestStaleUploadSweep(t *testing.T) {
	clk := &clock{t: time.Now()}
	s := memstore.New(memstore.Options{MinPartSize: 1 << 20, Now: clk.now})
	ctx := t.Context()
	start := func(key string, age time.Duration) {
		clk.set(time.Now().Add(-age))
		if _, err := s.CreateUpload(ctx, key, storage.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	start("sub/old", 3*time.Hour)
	start("sub/deep/old", 2*time.Hour)
	start("sub/new", 10*time.Minute)
	start("other/old", 3*time.Hour)
	clk.set(time.Now())

	var logs syncBuffer
	newTestFS(t, wrap.Prefix(s, "sub"), func(o *Options) {
		o.StaleUploadAge = time.Hour
		o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	waitFor(t, "the sweep", func() bool {
		return bytes.Contains([]byte(logs.String()), []byte("stale multipart upload sweep done"))
	})
	ups, err := s.ListUploads(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, u := range ups {
		keys = append(keys, u.Key)
	}
	if want := []string{"other/old", "sub/new"}; len(keys) != 2 || keys[0] != want[0] || keys[1] != want[1] {
		t.Fatalf("uploads after the sweep: %q, want %q", keys, want)
	}
	if !bytes.Contains([]byte(logs.String()), []byte("aborted=2")) {
		t.Fatalf("count not logged:\n%s", logs.String())
	}
}

// TestStaleUploadSweepSparesThisRun checks that even with a tiny age the
// sweep never aborts an upload this mount started.
func TestStaleUploadSweepSparesThisRun(t *testing.T) {
	s := newMem()
	v := newTestFS(t, s, func(o *Options) { o.StaleUploadAge = time.Nanosecond })
	ctx := t.Context()
	up, err := s.CreateUpload(ctx, "mine", storage.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	release, err := v.cache.Track(ctx, "mine", up)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	n, err := v.abortStale(ctx, s, time.Now().Add(time.Hour))
	if err != nil || n != 0 {
		t.Fatalf("sweep aborted %d (%v), want none", n, err)
	}
	if s.PendingUploads() != 1 {
		t.Fatal("this run's upload was aborted")
	}
}
