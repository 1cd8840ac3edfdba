package vfs

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// gatedGets holds every GET that starts at or past from until gate is
// closed (or its context ends).
type gatedGets struct {
	storage.Backend
	from int64
	gate chan struct{}
}

func (g *gatedGets) Get(ctx context.Context, key string, opts storage.GetOptions) (io.ReadCloser, storage.Object, error) {
	if opts.Offset >= g.from {
		select {
		case <-g.gate:
		case <-ctx.Done():
			return nil, storage.Object{}, ctx.Err()
		}
	}
	return g.Backend.Get(ctx, key, opts)
}

// A read of the start of a file is answered once its chunk is downloaded,
// while the rest of the download is still held up; the rest reads back
// once it arrives, and a write afterwards works on the complete copy.
func TestFileCacheReadsWhileDownloading(t *testing.T) {
	b := newMem()
	data := bytes.Repeat([]byte("0123456789abcdef"), 5<<16) // 5 MiB: five 1 MiB chunks
	put(t, b, "big", string(data), nil)
	g := &gatedGets{Backend: b, from: 1 << 20, gate: make(chan struct{})}
	v := newTestFS(t, g)
	ctx := context.Background()
	h, err := v.Open(ctx, "big", OpenFlags{Write: true})
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64<<10)
	finishes(t, "a read of the first chunk while the download is held", func() error {
		return readMatches(ctx, h, buf, data, 4096)
	})
	close(g.gate)
	tail := make([]byte, 1<<20)
	if n, err := h.Read(ctx, tail, 4<<20); err != nil || !bytes.Equal(tail[:n], data[4<<20:]) {
		t.Fatalf("read of the last chunk: %d bytes, %v", n, err)
	}
	if _, err := h.Write(ctx, []byte("EDIT"), 2<<20); err != nil {
		t.Fatal(err)
	}
	if err := h.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	h.Release(ctx)
	want := append(append(append([]byte{}, data[:2<<20]...), "EDIT"...), data[2<<20+4:]...)
	if got, _ := get(t, b, "big"); got != string(want) {
		t.Fatalf("stored %d bytes that differ from the edit", len(got))
	}
}

// Closing a file whose download is still running stops the download and
// leaves no partial copy behind.
func TestFileCacheCloseDuringDownload(t *testing.T) {
	b := newMem()
	data := bytes.Repeat([]byte("x"), 3<<20)
	put(t, b, "f", string(data), nil)
	g := &gatedGets{Backend: b, from: 1 << 20, gate: make(chan struct{})}
	v := newTestFS(t, g)
	ctx := context.Background()
	h, err := v.Open(ctx, "f", OpenFlags{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Read(ctx, make([]byte, 100), 0); err != nil {
		t.Fatal(err)
	}
	if err := h.Release(ctx); err != nil {
		t.Fatal(err)
	}
	staged, err := os.ReadDir(filepath.Join(v.opts.CacheDir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	if len(staged) != 0 {
		t.Fatalf("%d partial copies left in the cache", len(staged))
	}
	close(g.gate)
	if readFile(t, v, "f") != string(data) {
		t.Fatal("a second open read other bytes")
	}
}

// A download that finished while the file was open is kept in the cache
// at the last close: the next open reads it without the store.
func TestFileCacheKeepsFinishedDownload(t *testing.T) {
	b := newMem()
	put(t, b, "f", "one", nil)
	v := newTestFS(t, b)
	if got := readFile(t, v, "f"); got != "one" {
		t.Fatalf("read %q", got)
	}
	if err := b.Delete(context.Background(), "f"); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, v, "f"); got != "one" {
		t.Fatalf("reopen within the cache timeout read %q, want the cached copy", got)
	}
}

// readMatches reads buf at off through h and checks it holds data's bytes
// there.
func readMatches(ctx context.Context, h *Handle, buf, data []byte, off int64) error {
	n, err := h.Read(ctx, buf, off)
	if err == nil && !bytes.Equal(buf[:n], data[off:off+int64(len(buf))]) {
		err = fmt.Errorf("read at %d returned other bytes", off)
	}
	return err
}

// stalledBodies gives the first upTo bytes of every GET body, then holds
// the rest until gate is closed (or the body's context ends).
type stalledBodies struct {
	storage.Backend
	upTo int64
	gate chan struct{}
}

func (s *stalledBodies) Get(ctx context.Context, key string, opts storage.GetOptions) (io.ReadCloser, storage.Object, error) {
	rc, obj, err := s.Backend.Get(ctx, key, opts)
	if err != nil {
		return nil, obj, err
	}
	held := &gateReader{r: rc, gate: s.gate, ctx: ctx}
	return struct {
		io.Reader
		io.Closer
	}{io.MultiReader(io.LimitReader(rc, s.upTo), held), rc}, obj, nil
}

type gateReader struct {
	r    io.Reader
	gate chan struct{}
	ctx  context.Context
}

func (g *gateReader) Read(p []byte) (int, error) {
	select {
	case <-g.gate:
	case <-g.ctx.Done():
		return 0, g.ctx.Err()
	}
	return g.r.Read(p)
}

// A read is answered once its own bytes are in the copy, not when its
// whole chunk is: with 4 MiB chunks whose bodies stall after 2 MiB, a read
// in the first MiB goes ahead.
func TestFileCacheReadsBeforeChunkEnds(t *testing.T) {
	b := newMem()
	data := bytes.Repeat([]byte("0123456789abcdef"), 8<<16) // 8 MiB: two 4 MiB chunks
	put(t, b, "big", string(data), nil)
	s := &stalledBodies{Backend: b, upTo: 2 << 20, gate: make(chan struct{})}
	v := newTestFS(t, s, func(o *Options) { o.PartSize = 4 << 20 })
	ctx := context.Background()
	h, err := v.Open(ctx, "big", OpenFlags{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Release(ctx)
	buf := make([]byte, 64<<10)
	finishes(t, "a read in the part of a chunk already written", func() error {
		return readMatches(ctx, h, buf, data, 512<<10)
	})
	close(s.gate)
	rest := make([]byte, 1<<20)
	if n, err := h.Read(ctx, rest, 7<<20); err != nil || !bytes.Equal(rest[:n], data[7<<20:]) {
		t.Fatalf("read of the end after the bodies went on: %d bytes, %v", n, err)
	}
}
