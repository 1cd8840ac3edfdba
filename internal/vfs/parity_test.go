package vfs

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/memstore"
)

// requestCounter counts List and Head requests; safe for concurrent use.
type requestCounter struct {
	storage.Backend
	lists, heads atomic.Int64
}

func (c *requestCounter) List(ctx context.Context, o storage.ListOptions) (storage.ListPage, error) {
	c.lists.Add(1)
	return c.Backend.List(ctx, o)
}

func (c *requestCounter) Head(ctx context.Context, key string) (storage.Object, error) {
	c.heads.Add(1)
	return c.Backend.Head(ctx, key)
}

func dirNames(t *testing.T, v *FS, p string) string {
	t.Helper()
	ents, err := v.ReadDir(context.Background(), p)
	if err != nil {
		t.Fatalf("readdir %q: %v", p, err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func TestNoListForWindow(t *testing.T) {
	ctx := context.Background()
	mem := newMem()
	put(t, mem, "a.txt", "a", nil)
	put(t, mem, "d/", "", nil)
	put(t, mem, "d/x", "x", nil)
	put(t, mem, "imp/y", "y", nil)
	b := &requestCounter{Backend: mem}
	v := newTestFS(t, b, func(o *Options) { o.NoListFor = time.Hour })

	if got := dirNames(t, v, ""); got != "" {
		t.Fatalf("root in the window before any lookup: %q", got)
	}
	for _, p := range []string{"a.txt", "d", "d/x"} {
		if _, err := v.Lookup(ctx, p); err != nil {
			t.Fatalf("lookup %q in the window: %v", p, err)
		}
	}
	if _, err := v.Lookup(ctx, "imp"); !errors.Is(err, ErrNotExist) {
		t.Fatalf("a directory without a marker was found in the window: %v", err)
	}
	if got := dirNames(t, v, ""); got != "a.txt,d" {
		t.Fatalf("root in the window: %q", got)
	}
	if got := dirNames(t, v, "d"); got != "x" {
		t.Fatalf("d in the window: %q", got)
	}
	writeFile(t, v, "new", "n")
	if err := v.Unlink(ctx, "a.txt"); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Mkdir(ctx, "e", 0o755, 1, 1); err != nil {
		t.Fatal(err)
	}
	writeFile(t, v, "e/f", "f")
	if got := dirNames(t, v, ""); got != "d,e,new" {
		t.Fatalf("root after create, mkdir and unlink in the window: %q", got)
	}
	if got := dirNames(t, v, "e"); got != "f" {
		t.Fatalf("e in the window: %q", got)
	}
	if err := v.Rmdir(ctx, "d"); !errors.Is(err, ErrListingOff) {
		t.Fatalf("rmdir in the window: %v", err)
	}
	if err := v.Rename(ctx, "d", "d2", RenameFlags{}); !errors.Is(err, ErrListingOff) {
		t.Fatalf("directory rename in the window: %v", err)
	}
	if err := v.Rename(ctx, "new", "new2", RenameFlags{}); err != nil {
		t.Fatalf("file rename in the window: %v", err)
	}
	if got := dirNames(t, v, ""); got != "d,e,new2" {
		t.Fatalf("root after a rename in the window: %q", got)
	}
	if n := b.lists.Load(); n != 0 {
		t.Fatalf("%d List requests in the window", n)
	}

	v.window.until = time.Now().Add(-time.Second) // the window is over
	if got := dirNames(t, v, ""); got != "d,e,imp,new2" {
		t.Fatalf("root after the window: %q", got)
	}
	if b.lists.Load() == 0 {
		t.Fatal("no List request after the window")
	}
	if _, err := v.Lookup(ctx, "imp"); err != nil {
		t.Fatalf("implicit directory after the window: %v", err)
	}
	if err := v.Rmdir(ctx, "d"); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("rmdir of a full directory after the window: %v", err)
	}
}

func TestNoImplicitDirs(t *testing.T) {
	ctx := context.Background()
	for _, listMeta := range []bool{false, true} {
		mem := memstore.New(memstore.Options{MinPartSize: 1 << 20, ListMetadata: listMeta})
		put(t, mem, "top", "t", nil)
		put(t, mem, "m/", "", nil)
		put(t, mem, "m/a", "a", nil)
		put(t, mem, "az", "", map[string]string{metaIsFolder: "true"})
		put(t, mem, "az/c", "c", nil)
		put(t, mem, "imp/b", "b", nil)
		put(t, mem, "m/imp2/z", "z", nil)
		strict := newTestFS(t, mem, func(o *Options) { o.NoImplicitDirs = true })
		if got := dirNames(t, strict, ""); got != "az,m,top" {
			t.Fatalf("listmeta=%v: root without implicit directories: %q", listMeta, got)
		}
		if got := dirNames(t, strict, "m"); got != "a" {
			t.Fatalf("listmeta=%v: m without implicit directories: %q", listMeta, got)
		}
		for _, p := range []string{"imp", "m/imp2"} {
			if _, err := strict.Lookup(ctx, p); !errors.Is(err, ErrNotExist) {
				t.Fatalf("listmeta=%v: lookup of %q without a marker: %v", listMeta, p, err)
			}
		}
		for _, p := range []string{"m", "az"} {
			if a, err := strict.Lookup(ctx, p); err != nil || a.Kind != KindDir {
				t.Fatalf("listmeta=%v: lookup of %q: %+v %v", listMeta, p, a, err)
			}
		}
		// mkdir gives the prefix a marker and with it everything below.
		if _, err := strict.Mkdir(ctx, "imp", 0o755, 1, 1); err != nil {
			t.Fatal(err)
		}
		if got := dirNames(t, strict, "imp"); got != "b" {
			t.Fatalf("listmeta=%v: imp after mkdir: %q", listMeta, got)
		}

		loose := newTestFS(t, mem)
		if got := dirNames(t, loose, "m"); got != "a,imp2" {
			t.Fatalf("listmeta=%v: m with implicit directories: %q", listMeta, got)
		}
	}
}

func TestRevalidateOnOpen(t *testing.T) {
	ctx := context.Background()
	mem := newMem()
	put(t, mem, "f", "one", nil)
	v := newTestFS(t, mem, func(o *Options) { o.RevalidateOnOpen = true })
	cached := newTestFS(t, mem)

	if got := readFile(t, v, "f"); got != "one" {
		t.Fatalf("read %q", got)
	}
	if got := readFile(t, cached, "f"); got != "one" {
		t.Fatalf("read %q", got)
	}
	put(t, mem, "f", "two!", nil) // another client
	if a, err := v.Lookup(ctx, "f"); err != nil || a.Size != 4 {
		t.Fatalf("lookup after another client's change: %+v %v", a, err)
	}
	if got := readFile(t, v, "f"); got != "two!" {
		t.Fatalf("open after another client's change read %q", got)
	}
	// Without the option the attribute cache window applies.
	if a, err := cached.Lookup(ctx, "f"); err != nil || a.Size != 3 {
		t.Fatalf("cached lookup: %+v %v", a, err)
	}

	// A handle kept open: the next open drops its stale copy.
	h1, err := v.Open(ctx, "f", OpenFlags{})
	if err != nil {
		t.Fatal(err)
	}
	defer h1.Release(ctx)
	buf := make([]byte, 16)
	if n, err := h1.Read(ctx, buf, 0); err != nil || string(buf[:n]) != "two!" {
		t.Fatalf("read %q %v", buf[:n], err)
	}
	put(t, mem, "f", "three", nil)
	if got := readFile(t, v, "f"); got != "three" {
		t.Fatalf("second open while the first is open read %q", got)
	}
	if n, err := h1.Read(ctx, buf, 0); err != nil || string(buf[:n]) != "three" {
		t.Fatalf("first handle after reopen read %q %v", buf[:n], err)
	}

	// A name found missing shows once another client creates it.
	if _, err := v.Lookup(ctx, "g"); !errors.Is(err, ErrNotExist) {
		t.Fatal(err)
	}
	put(t, mem, "g", "g", nil)
	if _, err := v.Lookup(ctx, "g"); err != nil {
		t.Fatalf("new object after a negative lookup: %v", err)
	}

	// Local changes are never dropped.
	h2, err := v.Open(ctx, "f", OpenFlags{Write: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h2.Write(ctx, []byte("X"), 0); err != nil {
		t.Fatal(err)
	}
	put(t, mem, "f", "other", nil)
	h3, err := v.Open(ctx, "f", OpenFlags{})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := h3.Read(ctx, buf, 0); err != nil || string(buf[:n]) != "Xhree" {
		t.Fatalf("open of a file with local changes read %q %v", buf[:n], err)
	}
	h3.Release(ctx)
	h2.Release(ctx)
}

func TestRevalidateOnOpenStreaming(t *testing.T) {
	ctx := context.Background()
	mem := newMem()
	put(t, mem, "f", "one", nil)
	v, err := testNew(ctx, mem, Options{ReadOnly: true, RevalidateOnOpen: true, AttrTTL: time.Minute,
		Stream: &StreamOptions{PartSize: 1 << 20, UploadConcurrency: 2}})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close(ctx)
	h1, err := v.Open(ctx, "f", OpenFlags{})
	if err != nil {
		t.Fatal(err)
	}
	defer h1.Release(ctx)
	buf := make([]byte, 16)
	if n, err := h1.Read(ctx, buf, 0); err != nil || string(buf[:n]) != "one" {
		t.Fatalf("read %q %v", buf[:n], err)
	}
	put(t, mem, "f", "two!", nil)
	if got := readFile(t, v, "f"); got != "two!" {
		t.Fatalf("streaming open after another client's change read %q", got)
	}
	if n, err := h1.Read(ctx, buf, 0); err != nil || string(buf[:n]) != "two!" {
		t.Fatalf("streaming handle opened before the change read %q %v", buf[:n], err)
	}
}

// uploadListCounter is a store that lists pending uploads and counts it.
type uploadListCounter struct {
	*memstore.Store
	lists atomic.Int64
}

func (c *uploadListCounter) ListUploads(ctx context.Context, prefix string) ([]storage.PendingUpload, error) {
	c.lists.Add(1)
	return c.Store.ListUploads(ctx, prefix)
}

func TestStaleUploadSweepWaitsForTheListingWindow(t *testing.T) {
	for _, window := range []time.Duration{time.Hour, 0} {
		b := &uploadListCounter{Store: newMem()}
		v := newTestFS(t, b, func(o *Options) { o.NoListFor, o.StaleUploadAge = window, time.Hour })
		// Inside the window nothing lists for a while; without one the
		// sweep lists soon (a loaded machine may take a while to run it).
		wait := 300 * time.Millisecond
		if window == 0 {
			wait = 10 * time.Second
		}
		for deadline := time.Now().Add(wait); b.lists.Load() == 0 && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		if got := b.lists.Load(); (window > 0) != (got == 0) {
			t.Errorf("window %v: %d listings of uploads", window, got)
		}
		done := make(chan struct{})
		go func() { v.Close(context.Background()); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Close waits for the listing window")
		}
	}
}
