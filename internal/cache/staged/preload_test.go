package staged

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/a9de3765/cloudfuse/internal/cache/content"
	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/memstore"
	"github.com/a9de3765/cloudfuse/internal/storage/wrap"
)

func preloadSet(t *testing.T, b storage.Backend, n int, size int) []content.Version {
	t.Helper()
	var vs []content.Version
	for i := range n {
		data := bytes.Repeat([]byte{byte('a' + i%26)}, size+i)
		vs = append(vs, putObject(t, b, fmt.Sprintf("ds/f%03d", i), data))
	}
	putObject(t, b, "other/x", []byte("not under the prefix"))
	putObject(t, b, "ds/sub/", nil)
	return vs
}

// A preload loads every file under the prefix, and later opens of them
// send no GET; a second preload finds them all cached.
func TestPreloadLoadsThePrefix(t *testing.T) {
	store := memstore.New(memstore.Options{})
	meter := wrap.NewMeter()
	vs := preloadSet(t, store, 40, 3000)
	o := testOptions(t.TempDir(), "/mnt/pre")
	o.Timeout = time.Hour
	c, err := Open(context.Background(), wrap.Instrument(store, meter), o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if err := c.StartPreload(ctx, PreloadOptions{Prefix: "ds/", Workers: 4}); err != nil {
		t.Fatal(err)
	}
	c.WaitPreload(ctx)
	s, _ := c.PreloadStatus()
	if s.Running || s.Err != "" || !s.Listed || s.Files != 40 || s.FilesDone != 40 {
		t.Fatalf("status after the preload: %+v", s)
	}
	before := meter.Stats()[wrap.OpGet].Requests
	for _, v := range vs {
		readThrough(t, c, v)
	}
	if n := meter.Stats()[wrap.OpGet].Requests - before; n != 0 {
		t.Errorf("reads after the preload sent %d GETs", n)
	}
	if err := c.StartPreload(ctx, PreloadOptions{Prefix: "ds/", Workers: 2}); err != nil {
		t.Fatal(err)
	}
	c.WaitPreload(ctx)
	if s, _ := c.PreloadStatus(); s.FilesCache != 40 {
		t.Errorf("a second preload found %d of 40 files cached", s.FilesCache)
	}
}

// A full cache stops the preload with a clear error, evicting nothing
// it loaded; a canceled preload leaves only complete copies.
func TestPreloadStopsAtTheLimitAndLeavesNoPartialFile(t *testing.T) {
	store := memstore.New(memstore.Options{})
	preloadSet(t, store, 30, 100<<10)
	dir := t.TempDir()
	o := testOptions(dir, "/mnt/pre")
	o.Timeout, o.MaxBytes = time.Hour, 1<<20
	c, err := Open(context.Background(), store, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.StartPreload(ctx, PreloadOptions{Prefix: "ds/", Workers: 1}); err != nil {
		t.Fatal(err)
	}
	c.WaitPreload(ctx)
	s, _ := c.PreloadStatus()
	if !strings.Contains(s.Err, "file cache is full") || s.FilesDone == 0 || s.FilesDone >= 30 {
		t.Fatalf("preload over a 1 MiB cache: %+v", s)
	}
	c.evict(time.Now())
	c.mu.Lock()
	kept := int64(len(c.items))
	c.mu.Unlock()
	if kept != s.FilesDone {
		t.Errorf("%d files loaded, %d kept", s.FilesDone, kept)
	}
	c.Close()

	// Cut short: Close cancels it; every file left is a whole copy.
	o.MaxBytes = 0
	c, err = Open(context.Background(), store, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.StartPreload(ctx, PreloadOptions{Prefix: "ds/", Workers: 8}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Millisecond)
	c.Close()
	sizes := map[string]int64{}
	c.mu.Lock()
	for _, it := range c.items {
		sizes[filepath.Base(it.path)] = it.size
	}
	c.mu.Unlock()
	ents, _ := os.ReadDir(filepath.Join(dir, "data"))
	for _, e := range ents {
		st, _ := e.Info()
		if want, ok := sizes[e.Name()]; !ok || st.Size() != want {
			t.Errorf("data/%s (%d bytes) is not a kept copy", e.Name(), st.Size())
		}
	}
}
