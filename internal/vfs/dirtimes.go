package vfs

import (
	"sync"
	"time"
)

// dirTimes remembers, for the life of the mount and in memory only, when
// an entry was last created, removed or renamed in each directory, so a
// directory's mtime and ctime move on as on a local filesystem (make, rsync
// and backup tools look at them). The stored marker is not rewritten: that
// would cost a metadata write per change, and a directory without marker
// (or one changed by another client) has nowhere to keep them. After a
// remount a directory shows its stored times again.
//
// The zero value is ready to use. mu guards t; it is taken last and never
// held across I/O.
type dirTimes struct {
	mu sync.Mutex
	t  map[string]time.Time
}

// maxDirTimes bounds the directories remembered; past it an arbitrary
// tenth is forgotten.
const maxDirTimes = 100000

// touch records that the entries of directory p changed at now.
func (d *dirTimes) touch(p string, now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.t == nil {
		d.t = map[string]time.Time{}
	}
	if len(d.t) >= maxDirTimes {
		drop := maxDirTimes / 10
		for k := range d.t {
			if drop == 0 {
				break
			}
			delete(d.t, k)
			drop--
		}
	}
	d.t[p] = now
}

// apply moves a directory's mtime and ctime up to the last change of its
// entries, when that is later.
func (d *dirTimes) apply(p string, a *Attr) {
	if a.Kind != KindDir {
		return
	}
	d.mu.Lock()
	t, ok := d.t[p]
	d.mu.Unlock()
	if !ok {
		return
	}
	if t.After(a.Mtime) {
		a.Mtime = t
	}
	if t.After(a.Ctime) {
		a.Ctime = t
	}
}

// forget drops what is remembered for directory p.
func (d *dirTimes) forget(p string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.t, p)
}

// forgetTree drops what is remembered for p and every directory below it
// (removed or renamed away, or its times were just stored).
func (d *dirTimes) forgetTree(p string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for k := range d.t {
		if inside(k, p) {
			delete(d.t, k)
		}
	}
}

// entriesChanged records that entries were created, removed or renamed in
// the given directories.
func (v *FS) entriesChanged(dirs ...string) {
	now := fsNow()
	for _, d := range dirs {
		v.dtimes.touch(d, now)
	}
}
