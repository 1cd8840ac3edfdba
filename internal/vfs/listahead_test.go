package vfs

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/memstore"
)

// inFlight counts requests running at once and keeps the most seen.
type inFlight struct{ now, most atomic.Int64 }

// enter counts one more request running; the returned func ends it.
func (f *inFlight) enter() func() {
	n := f.now.Add(1)
	for m := f.most.Load(); n > m && !f.most.CompareAndSwap(m, n); m = f.most.Load() {
	}
	return func() { f.now.Add(-1) }
}

// slowLists is a store some milliseconds away for listings; it records
// how many ran at once.
type slowLists struct {
	*requestCounter
	inFlight
}

func (s *slowLists) List(ctx context.Context, o storage.ListOptions) (storage.ListPage, error) {
	defer s.enter()()
	time.Sleep(20 * time.Millisecond)
	return s.requestCounter.List(ctx, o)
}

// slowHeads is a store whose listings carry no metadata (as Amazon S3's)
// and whose HEADs take some milliseconds; it records how many ran at once.
type slowHeads struct {
	storage.Backend
	inFlight
}

func (s *slowHeads) Head(ctx context.Context, key string) (storage.Object, error) {
	defer s.enter()()
	time.Sleep(2 * time.Millisecond)
	return s.Backend.Head(ctx, key)
}

// The HEADs that complete listings without metadata are bounded across
// the mount, not per listing: a walk with listings read ahead keeps at
// most Options.ListHeads of them running, and still sees every file with
// the mode its object stores.
func TestListingHeadsBoundedAcrossMount(t *testing.T) {
	mem := memstore.New(memstore.Options{MinPartSize: 1 << 20, ListMetadata: false})
	const dirs, files, bound = 12, 20, 6
	for d := range dirs {
		for f := range files {
			put(t, mem, fmt.Sprintf("t/d%02d/f%02d", d, f), "x", map[string]string{"mode": "33152"}) // 0600
		}
	}
	s := &slowHeads{Backend: mem}
	v := newTestFS(t, s, func(o *Options) { o.ListAhead, o.ListHeads = dirs, bound })
	seen := walk(t, v, "t")
	if len(seen) != dirs*files {
		t.Fatalf("the walk saw %d files, want %d", len(seen), dirs*files)
	}
	for _, p := range seen {
		a, err := v.Lookup(context.Background(), p)
		if err != nil || a.Mode != 0o600 {
			t.Fatalf("%s: mode %o, %v; want 600 from its metadata", p, a.Mode, err)
		}
	}
	if m := s.most.Load(); m > bound || m < 2 {
		t.Fatalf("%d HEADs ran at once, want 2 to %d", m, bound)
	}
}

// walk reads p and every directory below it, depth first in name order,
// as find does, and returns the files it saw.
func walk(t *testing.T, v *FS, p string) []string {
	t.Helper()
	ents, err := v.ReadDir(context.Background(), p)
	if err != nil {
		t.Fatalf("readdir %q: %v", p, err)
	}
	var files []string
	for _, e := range ents {
		if e.Attr.Kind == KindDir {
			files = append(files, walk(t, v, join(p, e.Name))...)
		} else {
			files = append(files, join(p, e.Name))
		}
	}
	return files
}

// A walk of a tree lists each directory once: the listings read ahead
// answer the reads (several run at once while the walk goes on), none is
// listed twice, and the walk sees every file.
// A directory the mount changed after it was read ahead is listed again,
// so the change shows.
func TestListAheadWalk(t *testing.T) {
	s := newMem()
	for d := range 20 {
		for f := range 3 {
			put(t, s, fmt.Sprintf("t/d%02d/f%d", d, f), "x", nil)
		}
	}
	c := &requestCounter{Backend: s}
	slow := &slowLists{requestCounter: c}
	v := newTestFS(t, slow, func(o *Options) { o.ListAhead = 4 })
	files := walk(t, v, "t")
	if len(files) != 60 {
		t.Fatalf("the walk saw %d files, want 60", len(files))
	}
	// t and its 20 directories, one LIST each.
	if n := c.lists.Load(); n != 21 {
		t.Errorf("%d LISTs for 21 directories", n)
	}
	if m := slow.most.Load(); m < 2 {
		t.Errorf("at most %d listing ran at once: nothing was read ahead", m)
	}

	// Read t again: its subdirectories are read ahead once more. A file
	// created in one of them meanwhile shows in its next read.
	dirNames(t, v, "t")
	time.Sleep(100 * time.Millisecond) // let the listings ahead finish
	ctx := context.Background()
	h, _, err := v.Create(ctx, "t/d00/new", OpenFlags{Write: true}, 0o644, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if got := dirNames(t, v, "t/d00"); !strings.Contains(got, "new") {
		t.Errorf("t/d00 read after a create shows %q", got)
	}
}

// Without a window, or with listings cached for no time, nothing is read
// ahead.
func TestListAheadOff(t *testing.T) {
	for _, o := range []func(*Options){
		func(o *Options) { o.ListAhead = 0 },
		func(o *Options) { o.ListAhead = 4; o.AttrTTL = 0 },
	} {
		s := newMem()
		put(t, s, "t/a/f", "x", nil)
		c := &requestCounter{Backend: s}
		v := newTestFS(t, c, o)
		dirNames(t, v, "t")
		time.Sleep(50 * time.Millisecond)
		if n := c.lists.Load(); n != 1 {
			t.Errorf("%d LISTs for one directory read", n)
		}
	}
}
