package vfs

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Lookups answered from one listing.
//
// A name the cache does not know costs three requests (see fetch). A
// program that goes through many names of a directory it never listed
// (cat or rm of each file of a manifest, a loader opening samples by name,
// a stat of every file) pays that for each name. Once dirLookupAfter
// distinct names of one directory have missed the cache within the cache's
// window, the directory is listed in the background, up to
// dirLookupEntries entries, and the names it holds are cached with their
// attributes. Names it lacks are still asked for: it proves no absence,
// so another client's new file shows as soon as without it. Lookups never
// wait for it. A directory larger than that is not listed again until the
// window has passed.
const (
	dirLookupAfter   = 3
	dirLookupEntries = 10000
	// dirLookupMax bounds the listings in flight at once.
	dirLookupMax = 4
	// dirLookupTrack bounds the directories whose misses are counted.
	dirLookupTrack = 4096
)

type dirLookups struct {
	mu       sync.Mutex
	misses   map[string]dirMisses
	inflight int
	closed   bool
	wg       sync.WaitGroup
}

type dirMisses struct {
	names   []string // distinct names that missed, up to dirLookupAfter
	since   time.Time
	big     bool // listed once and found larger than dirLookupEntries
	listing bool
}

// miss counts a lookup of name in dir that the cache could not answer and
// reports whether to start listing dir now; the caller must then call done
// when the listing ends. Only distinct names count: a program waiting for
// one file to appear asks the store each time, as before.
func (d *dirLookups) miss(dir, name string, now time.Time, window time.Duration) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.misses == nil || len(d.misses) >= dirLookupTrack {
		d.misses = map[string]dirMisses{}
	}
	m := d.misses[dir]
	if now.Sub(m.since) > window && !m.listing {
		m = dirMisses{since: now}
	}
	if !slices.Contains(m.names, name) && len(m.names) < dirLookupAfter {
		m.names = append(m.names, name)
	}
	start := !m.big && !m.listing && len(m.names) >= dirLookupAfter && d.inflight < dirLookupMax && !d.closed
	if start {
		m.listing = true
		d.inflight++
		d.wg.Add(1)
	}
	d.misses[dir] = m
	return start
}

// done records the outcome of listing dir for lookups.
func (d *dirLookups) done(dir string, big bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.inflight--
	d.wg.Done()
	m, ok := d.misses[dir]
	if !ok {
		return
	}
	if big {
		m.big, m.listing = true, false
		d.misses[dir] = m
	} else {
		delete(d.misses, dir)
	}
}

// close stops new listings and waits for those in flight.
func (d *dirLookups) close() {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	d.wg.Wait()
}

// listForLookup counts a lookup of p that missed the cache and, when
// enough of its directory's names have (see above), starts listing that
// directory into the cache.
func (v *FS) listForLookup(p string) {
	if p == "" || v.opts.AttrTTL <= 0 || v.opts.NoImplicitDirs || v.opts.RevalidateOnOpen || v.listingOff() {
		return
	}
	dir := parent(p)
	if !v.dirLookup.miss(dir, base(p), time.Now(), v.opts.AttrTTL) {
		return
	}
	ctx, cancel := v.untilClose()
	go func() {
		defer cancel()
		complete, err := v.listIntoCache(ctx, dir)
		if err != nil && ctx.Err() == nil {
			v.log.Debug("listing a directory for lookups failed", "dir", dir, "err", err)
		}
		v.dirLookup.done(dir, err == nil && !complete)
	}()
}

// listIntoCache reads up to dirLookupEntries entries of the listing of dir and,
// if that is all of it, caches the entries it holds. Entries listed without
// their metadata are marked partial: a lookup completes them with a HEAD.
func (v *FS) listIntoCache(ctx context.Context, dir string) (complete bool, err error) {
	// Not complete: a name missing from it is still asked for, so a file
	// another client creates shows at once, as without the listing.
	l := v.meta.beginListing(dir, false)
	defer v.meta.endListing(l)
	children, complete, err := v.listDirPages(ctx, dir, dirLookupEntries)
	if err != nil || !complete {
		return complete, err
	}
	for name, n := range children {
		children[name] = v.listedNode(join(dir, name), n)
	}
	v.meta.putListing(l, children)
	return true, nil
}
