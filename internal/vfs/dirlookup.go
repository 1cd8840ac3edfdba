package vfs

import (
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// Lookups answered from one listing.
//
// A name the cache does not know costs three requests (see fetch). A
// program that goes through many names of a directory it never listed
// (cat or rm of each file of a manifest, a loader opening samples by name,
// cp into a directory that already holds files) pays that for each name.
// Once dirLookupAfter names of one directory have missed the cache within
// the cache's window, the directory is listed once, up to dirLookupPages
// pages, and the cached listing answers the following lookups, those of
// missing names too. A directory larger than that is not listed again
// until the window has passed.
const (
	dirLookupAfter = 3
	dirLookupPages = 5 // of up to 1000 keys
	// dirLookupTrack bounds the directories whose misses are counted.
	dirLookupTrack = 4096
)

var errDirTooBig = errors.New("directory too large to list for a lookup")

type dirLookups struct {
	mu     sync.Mutex
	misses map[string]dirMisses
	flight singleflight.Group
}

type dirMisses struct {
	n     int
	since time.Time
	big   bool // listed once and found larger than dirLookupPages
}

// miss counts a lookup of a name in dir that the cache could not answer
// and reports whether dir should be listed now.
func (d *dirLookups) miss(dir string, now time.Time, window time.Duration) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.misses == nil || len(d.misses) >= dirLookupTrack {
		d.misses = map[string]dirMisses{}
	}
	m := d.misses[dir]
	if now.Sub(m.since) > window {
		m = dirMisses{since: now}
	}
	m.n++
	d.misses[dir] = m
	return !m.big && m.n >= dirLookupAfter
}

// listed records the outcome of listing dir for lookups.
func (d *dirLookups) listed(dir string, big bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if big {
		m := d.misses[dir]
		m.big = true
		d.misses[dir] = m
	} else {
		delete(d.misses, dir)
	}
}

// listForLookup lists the directory of p into the cache when enough of its
// names have missed it (see above). It reports whether the cache now holds
// a complete listing of that directory; false means ask the store for p.
func (v *FS) listForLookup(ctx context.Context, p string) bool {
	if p == "" || v.opts.AttrTTL <= 0 || v.opts.NoImplicitDirs || v.opts.RevalidateOnOpen || v.listingOff() {
		return false
	}
	dir := parent(p)
	if !v.dirLookup.miss(dir, time.Now(), v.opts.AttrTTL) {
		return false
	}
	_, err, _ := v.dirLookup.flight.Do(dir, func() (any, error) {
		l := v.meta.beginListing(dir)
		defer v.meta.endListing(l)
		children, complete, err := v.listDirPages(ctx, dir, dirLookupPages)
		if err != nil {
			return nil, err
		}
		v.dirLookup.listed(dir, !complete)
		if !complete {
			return nil, errDirTooBig
		}
		for name, n := range children {
			if full := v.meta.known(join(dir, name), n); full != nil {
				children[name] = full
			} else if !v.listedComplete(n) {
				n.partial = true // one HEAD when looked up
			}
		}
		v.meta.putListing(l, children)
		return nil, nil
	})
	if err != nil && !errors.Is(err, errDirTooBig) {
		v.log.Debug("listing a directory for lookups failed; asking for each name", "dir", dir, "err", err)
	}
	return err == nil
}
