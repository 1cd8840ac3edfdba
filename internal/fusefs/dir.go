//go:build linux

package fusefs

import (
	"context"
	"sync"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/a9de3765/cloudfuse/internal/vfs"
)

// dirHandle is an open directory. It lists once per open (and again on
// rewind) and answers the lookups of READDIRPLUS from that listing, so
// `ls -l` costs one LIST per 1000 entries and no request per entry.
type dirHandle struct {
	n *node

	mu     sync.Mutex
	ents   []vfs.DirEntry // the children, after "." and ".." (see at)
	loaded bool
	next   int
}

// dots are the two entries every listing starts with.
var dots = [2]vfs.DirEntry{
	{Name: ".", Attr: vfs.Attr{Kind: vfs.KindDir}},
	{Name: "..", Attr: vfs.Attr{Kind: vfs.KindDir}},
}

// at is the i-th entry of the stream ("." and ".." first), and false past
// its end. The listing is kept as vfs returned it: a directory of a
// million entries is not copied to put the two in front.
func (d *dirHandle) at(i int) (*vfs.DirEntry, bool) {
	switch {
	case i < 0 || i >= len(dots)+len(d.ents):
		return nil, false
	case i < len(dots):
		return &dots[i], true
	}
	return &d.ents[i-len(dots)], true
}

var (
	_ fs.NodeOpendirHandler = (*node)(nil)
	_ fs.FileReaddirenter   = (*dirHandle)(nil)
	_ fs.FileLookuper       = (*dirHandle)(nil)
	_ fs.FileSeekdirer      = (*dirHandle)(nil)
	_ fs.FileReleasedirer   = (*dirHandle)(nil)
)

// OpendirHandle opens a directory for reading.
func (n *node) OpendirHandle(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	defer n.m.observe("opendir", time.Now(), n, "")
	return &dirHandle{n: n}, 0, 0
}

func (d *dirHandle) load(ctx context.Context) syscall.Errno {
	if d.loaded {
		return 0
	}
	p, _ := d.n.path()
	ents, err := d.n.m.v.ReadDir(ctx, p)
	if err != nil {
		return d.n.fail("readdir", p, err)
	}
	d.ents, d.loaded, d.next = ents, true, 0
	return 0
}

// Readdirent returns the next entry, or nil at the end.
func (d *dirHandle) Readdirent(ctx context.Context) (*fuse.DirEntry, syscall.Errno) {
	ctx = detach(ctx)
	d.mu.Lock()
	defer d.mu.Unlock()
	if en := d.load(ctx); en != 0 {
		return nil, en
	}
	e, ok := d.at(d.next)
	if !ok {
		return nil, 0
	}
	d.next++
	return &fuse.DirEntry{Name: e.Name, Mode: typeOf(e.Attr), Off: uint64(d.next), Ino: d.ino(e)}, 0
}

// Lookup answers READDIRPLUS for the entry just returned, from the listing.
func (d *dirHandle) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	ctx = detach(ctx)
	d.mu.Lock()
	var a vfs.Attr
	e, ok := d.at(d.next - 1)
	ok = ok && e.Name == name
	if ok {
		a = e.Attr
	}
	d.mu.Unlock()
	if !ok {
		return d.n.Lookup(ctx, name, out)
	}
	return d.n.entry(ctx, name, a, out), 0
}

// Seekdir repositions the stream; offset 0 (rewinddir) lists again.
func (d *dirHandle) Seekdir(ctx context.Context, off uint64) syscall.Errno {
	ctx = detach(ctx)
	d.mu.Lock()
	defer d.mu.Unlock()
	if off == 0 {
		d.loaded = false
		return 0
	}
	if en := d.load(ctx); en != 0 {
		return en
	}
	d.next = int(off)
	return 0
}

// Releasedir drops the listing.
func (d *dirHandle) Releasedir(ctx context.Context, flags uint32) {}

// ino is the d_ino of an entry: the inode number a stat of it shows.
func (d *dirHandle) ino(e *vfs.DirEntry) uint64 {
	switch e.Name {
	case ".":
		return d.n.StableAttr().Ino
	case "..":
		if _, parent := d.n.Parent(); parent != nil {
			return parent.StableAttr().Ino
		}
		return d.n.StableAttr().Ino // the root is its own parent
	}
	if ch := d.n.GetChild(e.Name); ch != nil && ch.StableAttr().Mode == typeOf(e.Attr) {
		return ch.StableAttr().Ino
	}
	return pathIno(d.n.child(e.Name))
}
