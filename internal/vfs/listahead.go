package vfs

import (
	"context"
	"sort"
	"sync"
	"time"
)

// List-ahead (Options.ListAhead): a program walking a tree (find, du,
// ls -R, rsync, cp -r) reads one directory after another, and against a
// store some milliseconds away each listing is a round trip it waits for.
// After a directory is read, the first ListAhead of its subdirectories are
// listed in the background, and as the walk reads each of them the window
// moves on to the next, so up to ListAhead listings run ahead of the
// program. A listing read ahead answers the directory's next read if it
// is younger than aheadMaxAge and the mount changed nothing in the
// directory since (else the directory is listed again, as without it).

// aheadMaxAge bounds how old a listing read ahead may be when used (and
// the attribute cache's timeout, when shorter): other clients' changes
// show no later than that after it was read.
const aheadMaxAge = 5 * time.Second

// aheadMaxReady bounds the listings read ahead and not used yet.
const aheadMaxReady = 256

// listAhead holds the listings read ahead of one FS.
type listAhead struct {
	window  int
	maxAge  time.Duration
	running chan struct{} // bounds the listings running at once to window
	mu      sync.Mutex
	ready   map[string]*aheadListing // by directory
	walks   map[string][]string      // a read directory's subdirectories, in order
}

// aheadListing is one directory listed ahead; done is closed when the
// listing ended.
type aheadListing struct {
	done     chan struct{}
	children map[string]*node
	err      error
	at       time.Time
	l        *listing // the mount's changes in the directory since the listing
}

// newListAhead returns the list-ahead of a window, nil when off (no
// window, or listings cached for no time: then every read lists anew).
func newListAhead(window int, attrTTL time.Duration) *listAhead {
	if window <= 0 || attrTTL <= 0 {
		return nil
	}
	return &listAhead{window: window, maxAge: min(aheadMaxAge, attrTTL), running: make(chan struct{}, window),
		ready: map[string]*aheadListing{}, walks: map[string][]string{}}
}

// takeAhead returns the children of p from a listing read ahead, if one is
// usable, waiting for it if it is still running.
func (v *FS) takeAhead(ctx context.Context, p string) (map[string]*node, bool) {
	a := v.ahead
	if a == nil {
		return nil, false
	}
	a.mu.Lock()
	r := a.ready[p]
	delete(a.ready, p)
	a.mu.Unlock()
	if r == nil {
		return nil, false
	}
	select {
	case <-r.done:
	case <-ctx.Done():
		go func() { <-r.done; v.dropAhead(r) }()
		return nil, false
	}
	defer v.dropAhead(r)
	if r.err != nil || r.l == nil || time.Since(r.at) > a.maxAge {
		return nil, false
	}
	if v.meta.changed(r.l) {
		return nil, false
	}
	return r.children, true
}

// dropAhead ends the change tracking of a finished listing read ahead.
func (v *FS) dropAhead(r *aheadListing) {
	if r.l != nil {
		v.meta.endListing(r.l)
	}
}

// readAhead is told that directory p was read with children: it starts
// listing the first subdirectories of p, and the ones after p among its
// parent's, up to the window.
func (v *FS) readAhead(p string, children map[string]*node) {
	a := v.ahead
	if a == nil {
		return
	}
	var subdirs []string
	for name, n := range children {
		if n.Kind == KindDir {
			subdirs = append(subdirs, join(p, name))
		}
	}
	sort.Strings(subdirs)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.expireLocked(v)
	if len(subdirs) > 0 {
		a.walks[p] = subdirs
	} else {
		delete(a.walks, p)
	}
	start := subdirs[:min(len(subdirs), a.window)]
	if sibs := a.walks[parent(p)]; p != "" && len(sibs) > 0 {
		// The walk reached p: keep the window ahead of it.
		if i := sort.SearchStrings(sibs, p); i < len(sibs) && sibs[i] == p {
			start = append(start, sibs[i+1:min(len(sibs), i+1+a.window)]...)
			if i == len(sibs)-1 {
				delete(a.walks, parent(p))
			}
		}
	}
	for _, d := range start {
		if _, ok := a.ready[d]; ok || len(a.ready) >= aheadMaxReady {
			continue
		}
		r := &aheadListing{done: make(chan struct{})}
		a.ready[d] = r
		v.bg.Add(1)
		go v.listAheadOne(d, r)
	}
}

// expireLocked drops listings read ahead that are too old to be used.
// Caller holds a.mu.
func (a *listAhead) expireLocked(v *FS) {
	for d, r := range a.ready {
		select {
		case <-r.done:
			if time.Since(r.at) > a.maxAge {
				delete(a.ready, d)
				v.dropAhead(r)
			}
		default:
		}
	}
	if len(a.walks) > aheadMaxReady {
		clear(a.walks)
	}
}

// listAheadOne lists d for a read to come, window listings at a time.
func (v *FS) listAheadOne(d string, r *aheadListing) {
	defer v.bg.Done()
	defer close(r.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-v.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	select {
	case v.ahead.running <- struct{}{}:
	case <-ctx.Done():
		r.err = ctx.Err()
		return
	}
	r.children, r.err = v.readListing(ctx, d)
	<-v.ahead.running
	r.at = time.Now()
	if r.err == nil {
		r.l = v.meta.beginListing(d, false)
	}
}
