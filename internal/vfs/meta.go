package vfs

import (
	"strings"
	"sync"
	"time"
)

// node is what the store holds for one path.
type node struct {
	Attr
	key  string            // object holding data or marker; "" for an implicit directory
	etag string            // of key's object
	meta map[string]string // full user metadata of key; nil when only listed
	// partial marks a node built from a listing, which carries no user
	// metadata on S3: mode, owner and times may be defaults. A direct
	// lookup completes it with one HEAD; directory reads use it as is.
	partial bool
}

// metaCache remembers nodes, missing names and directory listings for a TTL.
// Its own mutex guards it; it never calls out while holding it. Entries are
// kept up to date by vfs mutations, so the TTL only bounds how long changes
// made by other clients stay invisible.
type metaCache struct {
	mu      sync.Mutex
	ttl     time.Duration
	negTTL  time.Duration
	max     int
	now     func() time.Time
	entries map[string]cacheEntry
	dirs    map[string]*dirListing
	// inflight holds the listings being read, by directory.
	inflight map[string][]*listing
	// missedAt remembers when a lookup last found a name missing, for the
	// create that follows it (justMissed).
	missedAt map[string]time.Time
	// onPut, if set, is told of every name put (exists) or put as
	// missing; it is called without mu held.
	onPut func(p string, exists bool)
}

type cacheEntry struct {
	n   *node // nil: the name is known to be missing
	exp int64 // when it expires, in Unix nanoseconds (a third of a time.Time)
}

// fresh says whether e has not expired at now.
func (e cacheEntry) fresh(now time.Time) bool { return now.UnixNano() < e.exp }

// dirListing is the set of child names of a directory, complete as of exp.
type dirListing struct {
	names map[string]struct{}
	exp   time.Time
}

func newMetaCache(ttl, negTTL time.Duration, max int) *metaCache {
	if max <= 0 {
		max = 500000
	}
	return &metaCache{ttl: ttl, negTTL: negTTL, max: max, now: time.Now,
		entries: map[string]cacheEntry{}, dirs: map[string]*dirListing{},
		inflight: map[string][]*listing{}, missedAt: map[string]time.Time{}}
}

// missedLimit bounds missedAt; it is emptied when full.
const missedLimit = 4096

// missed records that a lookup found p missing just now.
func (c *metaCache) missed(p string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.missedAt) >= missedLimit {
		clear(c.missedAt)
	}
	c.missedAt[p] = c.now()
}

// justMissed reports whether a lookup found p missing within the last
// d, with nothing put at p since.
func (c *metaCache) justMissed(p string, d time.Duration) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.missedAt[p]
	return ok && c.now().Sub(t) < d
}

// listing is one directory listing being read from the store. The mount's
// own changes in that directory meanwhile are noted, so that the listing,
// which may predate them, does not undo them in the cache.
type listing struct {
	dir string
	// complete makes the listing prove absence: a name it lacks is
	// reported missing without a request, until it expires.
	complete bool
	touched  map[string]touch // names the mount changed meanwhile
	void     bool             // the directory itself was dropped
}

// beginListing notes that a listing of dir starts now; complete says
// whether it is to prove absence once recorded. Call endListing when done
// with it, whatever happened.
func (c *metaCache) beginListing(dir string, complete bool) *listing {
	l := &listing{dir: dir, complete: complete, touched: map[string]touch{}}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inflight[dir] = append(c.inflight[dir], l)
	return l
}

// endListing forgets the listing l.
func (c *metaCache) endListing(l *listing) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ls := c.inflight[l.dir]
	for i, x := range ls {
		if x == l {
			ls = append(ls[:i], ls[i+1:]...)
			break
		}
	}
	if len(ls) == 0 {
		delete(c.inflight, l.dir)
	} else {
		c.inflight[l.dir] = ls
	}
}

// changed says whether the mount changed anything in l's directory, or
// dropped it, since l began.
func (c *metaCache) changed(l *listing) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return l.void || len(l.touched) > 0
}

// touch is the last change the mount made to a name while a listing of
// its directory was being read.
type touch struct {
	known  bool // false: the cache dropped the name, state unknown
	exists bool
}

// touchLocked tells the listings in flight in p's directory that the
// mount changed what it knows of p.
func (c *metaCache) touchLocked(p string, t touch) {
	if p == "" {
		return
	}
	for _, l := range c.inflight[parent(p)] {
		l.touched[base(p)] = t
	}
}

// get returns the cached node for p; found=false means "ask the store".
// found=true with a nil node means p is known not to exist.
func (c *metaCache) get(p string) (n *node, found bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if e, ok := c.entries[p]; ok {
		if e.fresh(now) {
			return e.n, true
		}
		delete(c.entries, p)
	}
	// A fresh complete listing of the parent that lacks the name proves
	// absence without a request.
	if p != "" {
		if d, ok := c.dirs[parent(p)]; ok && now.Before(d.exp) {
			if _, ok := d.names[base(p)]; !ok {
				return nil, true
			}
		}
	}
	return nil, false
}

// known returns the cached complete node at p if it describes the same
// entry as the listed node n (same object version, or both directories).
func (c *metaCache) known(p string, n *node) *node {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[p]
	if !ok || e.n == nil || e.n.partial || !e.fresh(c.now()) || e.n.Kind != n.Kind {
		return nil
	}
	if n.Kind == KindDir || (e.n.key == n.key && e.n.etag == n.etag) {
		return e.n
	}
	return nil
}

// put records n (nil: missing) at p and keeps the parent's listing in step.
func (c *metaCache) put(p string, n *node) {
	if c.onPut != nil {
		defer c.onPut(p, n != nil)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.touchLocked(p, touch{known: true, exists: n != nil})
	if n != nil {
		delete(c.missedAt, p)
	}
	ttl := c.ttl
	if n == nil {
		ttl = c.negTTL
	}
	if ttl > 0 {
		c.evictLocked()
		c.entries[p] = cacheEntry{n: n, exp: c.now().Add(ttl).UnixNano()}
	} else {
		delete(c.entries, p)
	}
	if p == "" {
		return
	}
	if d, ok := c.dirs[parent(p)]; ok {
		if n == nil {
			delete(d.names, base(p))
		} else {
			d.names[base(p)] = struct{}{}
		}
	}
}

// forget drops everything known about p (and, for a directory, its listing).
func (c *metaCache) forget(p string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.touchLocked(p, touch{})
	delete(c.entries, p)
	delete(c.missedAt, p)
	delete(c.dirs, p)
	for _, l := range c.inflight[p] {
		l.void = true
	}
}

// forgetTree drops p and every cached path below it.
func (c *metaCache) forgetTree(p string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.entries {
		if inside(k, p) {
			delete(c.entries, k)
		}
	}
	for k := range c.dirs {
		if inside(k, p) {
			delete(c.dirs, k)
		}
	}
	c.touchLocked(p, touch{})
	for k := range c.missedAt {
		if inside(k, p) {
			delete(c.missedAt, k)
		}
	}
	for k, ls := range c.inflight {
		if inside(k, p) {
			for _, l := range ls {
				l.void = true
			}
		}
	}
}

// removed records that p no longer exists.
func (c *metaCache) removed(p string) {
	c.forget(p)
	c.put(p, nil)
}

// putListing records the children of a directory read by the listing l,
// and for a complete listing the set of names. Names the mount changed
// while l was read keep what the mount made of them; if the cache dropped
// one of them meanwhile (its state unknown) the set of names is not
// recorded, and if it dropped the directory nothing is.
func (c *metaCache) putListing(l *listing, children map[string]*node) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if l.void {
		return
	}
	c.evictLocked()
	exp := c.now().Add(c.ttl)
	// A listing larger than the room left fills it and no more; the
	// set of names is then not kept either (what is kept stays within
	// max-files), so names it lacks are asked for.
	room := c.max - len(c.entries)
	complete := l.complete
	names := make(map[string]struct{}, min(len(children), max(room, 0)))
	for name, n := range children {
		if _, ok := l.touched[name]; ok {
			continue
		}
		if room <= 0 {
			complete = false
			break
		}
		room--
		names[name] = struct{}{}
		c.entries[childPath(l.dir, name, n.key)] = cacheEntry{n: n, exp: exp.UnixNano()}
	}
	for name, t := range l.touched {
		switch {
		case !t.known:
			complete = false
		case t.exists:
			names[name] = struct{}{}
		}
	}
	if complete {
		c.dirs[l.dir] = &dirListing{names: names, exp: exp}
	} else {
		delete(c.dirs, l.dir)
	}
}

// childPath is join(dir, name), sharing the bytes of key (the child's
// object key) when it is that path, as in a mount of a whole bucket: a
// listing of a million names then allocates no second copy of each. At
// the top (dir "") join allocates nothing already.
func childPath(dir, name, key string) string {
	if dir != "" && len(key) == len(dir)+1+len(name) && strings.HasPrefix(key, dir) && key[len(dir)] == '/' && strings.HasSuffix(key, name) {
		return key
	}
	return join(dir, name)
}

// setListing records that dir holds exactly children, as after mkdir.
func (c *metaCache) setListing(dir string, children map[string]*node) {
	l := c.beginListing(dir, true)
	defer c.endListing(l)
	c.putListing(l, children)
}

// evictLocked keeps the cache within its entry limit by dropping an
// arbitrary tenth of it.
func (c *metaCache) evictLocked() {
	if len(c.entries) < c.max {
		return
	}
	drop := c.max / 10
	for k := range c.entries {
		if drop <= 0 {
			break
		}
		delete(c.entries, k)
		drop--
	}
	for k := range c.dirs {
		delete(c.dirs, k)
	}
}
