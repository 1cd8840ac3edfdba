package vfs

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/memstore"
	"github.com/a9de3765/cloudfuse/internal/storage/wrap"
)

// Going through the names of a directory nobody listed costs one listing,
// not three requests a name, and the stored mode still shows. A name the
// listing lacks is still asked for.
func TestLookupsAnsweredFromOneListing(t *testing.T) {
	for _, listMeta := range []bool{true, false} {
		t.Run(fmt.Sprintf("listMetadata=%v", listMeta), func(t *testing.T) {
			mem := memstore.New(memstore.Options{MinPartSize: 1 << 20, ListMetadata: listMeta})
			const files = 50
			for i := range files {
				var md map[string]string
				if i == 7 {
					md = map[string]string{"mode": "33152"} // 0600
				}
				put(t, mem, fmt.Sprintf("d/f%02d", i), "x", md)
			}
			meter := wrap.NewMeter()
			v := newTestFS(t, wrap.Instrument(mem, meter))
			ctx := context.Background()
			for i := range files {
				a, err := v.Lookup(ctx, fmt.Sprintf("d/f%02d", i))
				if err != nil {
					t.Fatal(err)
				}
				v.dirLookup.wg.Wait() // the listing runs in the background
				if want := uint32(0o644); i == 7 {
					if a.Mode != 0o600 {
						t.Fatalf("f07 mode %o, want 600", a.Mode)
					}
				} else if a.Mode != want {
					t.Fatalf("f%02d mode %o", i, a.Mode)
				}
			}
			for range 3 {
				if _, err := v.Lookup(ctx, "d/missing"); !errors.Is(err, ErrNotExist) {
					t.Fatalf("missing name: %v", err)
				}
			}
			st := meter.Stats()
			heads, lists := st[wrap.OpHead].Requests, st[wrap.OpList].Requests
			// Three misses asked for (HEAD, one-key LIST, HEAD of the
			// link each), then one listing of the directory. The missing
			// name is asked for, as the listing proves no absence (once:
			// these options cache missing names for a minute).
			asked := int64(dirLookupAfter) + 1
			wantHeads := 2 * asked
			if !listMeta {
				wantHeads += files - dirLookupAfter // one HEAD each for the metadata
			}
			if lists != asked+1 || heads != wantHeads {
				t.Fatalf("%d LIST and %d HEAD, want %d and %d", lists, heads, asked+1, wantHeads)
			}
		})
	}
}

// A directory larger than dirLookupEntries is listed once, found too
// large, and its names are then asked for one by one; one of exactly that
// size is listed whole.
func TestLookupsInHugeDirectoryListOnce(t *testing.T) {
	mem := memstore.New(memstore.Options{MinPartSize: 1 << 20, ListMetadata: true})
	for i := range dirLookupEntries + 1001 {
		put(t, mem, fmt.Sprintf("big/%05d", i), "", nil)
		if i < dirLookupEntries {
			put(t, mem, fmt.Sprintf("full/%05d", i), "", nil)
		}
	}
	meter := wrap.NewMeter()
	v := newTestFS(t, wrap.Instrument(mem, meter))
	const lookups = 10
	lookupAll := func(dir string) int64 {
		before := meter.Stats()
		for i := range lookups {
			if _, err := v.Lookup(context.Background(), fmt.Sprintf("%s/%05d", dir, i*7)); err != nil {
				t.Fatal(err)
			}
			v.dirLookup.wg.Wait()
		}
		return meter.Stats().Sub(before)[wrap.OpList].Requests
	}
	// Ten one-key LISTs and the eleven pages read before giving up.
	if lists := lookupAll("big"); lists != lookups+11 {
		t.Fatalf("%d LIST, want %d one-key ones and 11 pages once", lists, lookups)
	}
	// Three one-key LISTs, then the listing answers.
	if lists := lookupAll("full"); lists < dirLookupAfter+10 || lists > dirLookupAfter+11 {
		t.Fatalf("%d LIST, want %d one-key ones and the 10 or 11 pages of the listing", lists, dirLookupAfter)
	}
}

// The mount's own changes made while a listing was read are not undone by
// that listing when it lands in the cache.
func TestListingKeepsChangesMadeMeanwhile(t *testing.T) {
	c := newMetaCache(time.Minute, time.Minute, 0)
	file := func() *node { return &node{Attr: Attr{Kind: KindFile}, key: "k"} }

	l := c.beginListing("d", true)
	c.put("d/new", file()) // created while the listing was read
	c.removed("d/old")     // deleted meanwhile
	c.putListing(l, map[string]*node{"old": file(), "a": file()})
	c.endListing(l)
	for name, want := range map[string]bool{"d/new": true, "d/old": false, "d/a": true, "d/b": false} {
		n, found := c.get(name)
		if !found || (n != nil) != want {
			t.Fatalf("%s: found=%v node=%v, want exists=%v", name, found, n, want)
		}
	}

	// list records a listing of dir holding "a", with meanwhile run while
	// it is read.
	list := func(dir string, complete bool, meanwhile func()) {
		l := c.beginListing(dir, complete)
		meanwhile()
		c.putListing(l, map[string]*node{"a": file()})
		c.endListing(l)
	}
	// A name the cache forgot meanwhile makes the set of names uncertain.
	list("e", true, func() { c.forget("e/x") })
	if _, found := c.get("e/b"); found {
		t.Fatal("listing recorded as complete although a name was forgotten while it was read")
	}
	// The directory dropped meanwhile (renamed away): nothing recorded.
	list("f", true, func() { c.forgetTree("f") })
	if _, found := c.get("f/a"); found {
		t.Fatal("listing of a directory dropped while it was read was recorded")
	}
	// A listing that is not complete caches its entries and proves no
	// absence.
	list("g", false, func() {})
	if n, found := c.get("g/a"); !found || n == nil {
		t.Fatal("entry of a listing for lookups not cached")
	}
	if _, found := c.get("g/b"); found {
		t.Fatal("a listing for lookups proved a name missing")
	}
	if len(c.inflight) != 0 {
		t.Fatalf("listings left in flight: %v", c.inflight)
	}
}

// gatedList holds directory listings (not one-key ones) until released or
// canceled.
type gatedList struct {
	storage.Backend
	entered chan struct{}
	release chan struct{}
}

func (g *gatedList) List(ctx context.Context, opts storage.ListOptions) (storage.ListPage, error) {
	if opts.MaxKeys == 0 {
		select {
		case g.entered <- struct{}{}:
		default:
		}
		select {
		case <-g.release:
		case <-ctx.Done():
			return storage.ListPage{}, ctx.Err()
		}
	}
	return g.Backend.List(ctx, opts)
}

// Lookups never wait for the listing they started, and unmounting stops it.
func TestListingForLookupsRunsAside(t *testing.T) {
	mem := newMem()
	for i := range 10 {
		put(t, mem, fmt.Sprintf("d/f%d", i), "x", nil)
	}
	g := &gatedList{Backend: mem, entered: make(chan struct{}, 1), release: make(chan struct{})}
	v, err := testNew(context.Background(), g, Options{CacheDir: t.TempDir(), AttrTTL: time.Minute, NegativeTTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if _, err := v.Lookup(context.Background(), fmt.Sprintf("d/f%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-g.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("no listing started")
	}
	finishes(t, "Close with a listing held", func() error { return v.Close(context.Background()) })
}

// finishes runs fn and fails the test if it returns an error or takes
// more than ten seconds.
func finishes(t *testing.T, what string, fn func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s took more than 10 s", what)
	}
}

// A program waiting for one file to appear asks the store each time: its
// repeated misses do not get the directory listed and cached.
func TestWaitingForOneNameDoesNotList(t *testing.T) {
	mem := newMem()
	put(t, mem, "d/other", "x", nil)
	meter := wrap.NewMeter()
	v := newTestFS(t, wrap.Instrument(mem, meter), func(o *Options) { o.NegativeTTL = 0 })
	ctx := context.Background()
	for range 5 {
		if _, err := v.Lookup(ctx, "d/done"); !errors.Is(err, ErrNotExist) {
			t.Fatalf("lookup: %v", err)
		}
		v.dirLookup.wg.Wait()
	}
	put(t, mem, "d/done", "1", nil) // another client
	if _, err := v.Lookup(ctx, "d/done"); err != nil {
		t.Fatalf("the file another client made does not show: %v", err)
	}
	if lists := meter.Stats()[wrap.OpList].Requests; lists != 6 {
		t.Fatalf("%d LIST requests, want the 6 one-key ones of the lookups", lists)
	}
}

// The create that follows a lookup which found the name missing does not
// ask the store again; a create without that lookup does.
func TestCreateAfterMissingLookupAsksOnce(t *testing.T) {
	mem := newMem()
	meter := wrap.NewMeter()
	v := newTestFS(t, wrap.Instrument(mem, meter), func(o *Options) { o.NegativeTTL = 0 })
	ctx := context.Background()
	probes := func() int64 {
		st := meter.Stats()
		return st[wrap.OpHead].Requests + st[wrap.OpList].Requests
	}
	if _, err := v.Lookup(ctx, "new"); !errors.Is(err, ErrNotExist) {
		t.Fatal(err)
	}
	before := probes()
	h, _, err := v.Create(ctx, "new", OpenFlags{Write: true}, 0o644, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if n := probes() - before; n != 0 {
		t.Fatalf("create after a missing lookup sent %d HEAD/LIST", n)
	}
	before = probes()
	h, _, err = v.Create(ctx, "other", OpenFlags{Write: true}, 0o644, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if n := probes() - before; n == 0 {
		t.Fatal("create of a name nobody looked up did not ask the store")
	}
	if got := readFile(t, v, "new"); got != "" {
		t.Fatalf("new: %q", got)
	}
}
