package vfs

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// gatedPuts is a store whose PutObject waits until open is closed.
type gatedPuts struct {
	storage.Backend
	open    chan struct{}
	entered chan string // told each key a Put waits for, if not nil
}

func (g *gatedPuts) Put(ctx context.Context, key string, r io.ReadSeeker, o storage.PutOptions) (storage.Object, error) {
	if g.entered != nil {
		g.entered <- key
	}
	select {
	case <-g.open:
	case <-ctx.Done():
		return storage.Object{}, ctx.Err()
	}
	return g.Backend.Put(ctx, key, r, o)
}

// Close leaves the store open: the test reads it afterwards.
func (g *gatedPuts) Close() error { return nil }

// openStore is a store its FS does not close.
type openStore struct{ storage.Backend }

func (openStore) Close() error { return nil }

// writeFlushed creates p with data and flushes it as close(2) does,
// returning the handle still to release.
func writeFlushed(t *testing.T, v *FS, p, data string) *Handle {
	t.Helper()
	ctx := context.Background()
	h, _, err := v.Create(ctx, p, OpenFlags{Write: true, Truncate: true}, 0o644, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Write(ctx, []byte(data), 0); err != nil {
		t.Fatal(err)
	}
	if err := h.FlushOnClose(ctx); err != nil {
		t.Fatal(err)
	}
	return h
}

// writeClose creates p with data and closes it.
func writeClose(t *testing.T, v *FS, p, data string) {
	t.Helper()
	if err := writeFlushed(t, v, p, data).Release(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// With lazy-write, close returns while the store has nothing yet; while
// the upload runs, stat and listings answer without waiting for it; Close
// (unmount) waits for the upload.
func TestLazyWriteClosesBeforeTheUpload(t *testing.T) {
	s := newMem()
	g := &gatedPuts{Backend: s, open: make(chan struct{}), entered: make(chan string, 1)}
	v, err := testNew(context.Background(), g, Options{CacheDir: t.TempDir(), AttrTTL: time.Minute, PartSize: 1 << 20, LazyWrite: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	h := writeFlushed(t, v, "a", "hello")
	select {
	case <-g.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("no background upload started")
	}
	// The upload holds the file now; the release that follows close
	// must not wait for it.
	released := make(chan error, 1)
	go func() { released <- h.Release(ctx) }()
	select {
	case err := <-released:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		close(g.open)
		t.Fatal("release waited for the background upload")
	}
	if _, err := s.Head(ctx, "a"); err == nil {
		t.Fatal("the store has the file before its upload was let through")
	}
	answered := make(chan error, 1)
	go func() {
		a, err := v.Lookup(ctx, "a")
		if err == nil && a.Size != 5 {
			err = fmt.Errorf("size %d", a.Size)
		}
		if err == nil {
			var ents []DirEntry
			ents, err = v.ReadDir(ctx, "")
			if err == nil && (len(ents) != 1 || ents[0].Name != "a" || ents[0].Attr.Size != 5) {
				err = fmt.Errorf("listing %+v", ents)
			}
		}
		answered <- err
	}()
	select {
	case err := <-answered:
		if err != nil {
			t.Fatalf("stat and listing during the upload: %v", err)
		}
	case <-time.After(10 * time.Second):
		close(g.open)
		t.Fatal("stat or listing waited for the background upload")
	}
	closed := make(chan error)
	go func() { closed <- v.Close(ctx) }()
	select {
	case err := <-closed:
		t.Fatalf("Close returned before the upload: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(g.open)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if got, _ := get(t, s, "a"); got != "hello" {
		t.Fatalf("stored %q", got)
	}
}

// fsync still uploads before it returns.
func TestLazyWriteFsyncWaits(t *testing.T) {
	s := newMem()
	v := newTestFS(t, s, func(o *Options) { o.LazyWrite = true })
	ctx := context.Background()
	h, _, err := v.Create(ctx, "f", OpenFlags{Write: true}, 0o644, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	h.Write(ctx, []byte("data"), 0)
	if err := h.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := get(t, s, "f"); got != "data" {
		t.Fatalf("after fsync the store holds %q", got)
	}
	h.Release(ctx)
}

// A machine that stops after close and before the upload: the next mount
// uploads the closed file under its name; one whose copy the disk did not
// keep as it was closed is saved as a conflict copy and leaves the stored
// version alone.
func TestLazyWriteCrashUploadsClosedFiles(t *testing.T) {
	for _, torn := range []bool{false, true} {
		name := map[bool]string{false: "whole", true: "torn"}[torn]
		t.Run(name, func(t *testing.T) {
			s := newMem()
			put(t, s, "f", "old", nil)
			g := &gatedPuts{Backend: s, open: make(chan struct{})}
			dir := t.TempDir()
			v, err := testNew(context.Background(), g, Options{CacheDir: dir, AttrTTL: time.Minute, PartSize: 1 << 20, LazyWrite: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				close(g.open)
				v.Close(context.Background())
			})
			writeClose(t, v, "f", "new contents")
			snap := killed(t, dir)
			if torn {
				recs, _ := filepath.Glob(filepath.Join(snap, "journal", "*.json"))
				if len(recs) != 1 {
					t.Fatalf("%d journal records", len(recs))
				}
				b, _ := os.ReadFile(recs[0])
				var rec journalView
				if err := json.Unmarshal(b, &rec); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(snap, "data", rec.Data), []byte("new cont\x00\x00\x00\x00"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			v2, err := testNew(context.Background(), openStore{s}, Options{CacheDir: snap, AttrTTL: time.Minute, PartSize: 1 << 20})
			if err != nil {
				t.Fatal(err)
			}
			v2.Close(context.Background())
			got, _ := get(t, s, "f")
			if !torn {
				if got != "new contents" {
					t.Fatalf("after the crash the store holds %q", got)
				}
				return
			}
			if got != "old" {
				t.Fatalf("a torn copy replaced the object: %q", got)
			}
			page, err := s.List(context.Background(), storage.ListOptions{Prefix: "f.conflict-"})
			if err != nil || len(page.Objects) != 1 {
				t.Fatalf("conflict copies: %+v %v", page.Objects, err)
			}
			if c, _ := get(t, s, page.Objects[0].Key); !strings.HasPrefix(c, "new cont") {
				t.Fatalf("conflict copy holds %q", c)
			}
		})
	}
}

// journalView is the part of a journal record the tests read.
type journalView struct {
	Data string `json:"data"`
}
