//go:build linux

package fusefs

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/a9de3765/cloudfuse/internal/fsrules"
	"github.com/a9de3765/cloudfuse/internal/vfs"
)

// node is one inode. It keeps no state of its own beyond a handle used to
// answer getattr after the file was unlinked while open; everything else is
// found by path in vfs.
type node struct {
	fs.Inode
	m *mount

	mu   sync.Mutex
	open map[*vfs.Handle]bool // live handles, for orphaned inodes
	// cached and passing count the open handles served through the page
	// cache and passed through to a local file (passthrough.go).
	cached, passing int

	ino     uint64      // its inode number (inos.go)
	dropped atomic.Bool // replaced by a new inode after a failed write (lost)
}

// mount is shared by every node of one mount.
type mount struct {
	v    *vfs.FS
	opts Options
	log  *slog.Logger
	// writeback is set when the mount asks for the kernel writeback cache.
	writeback bool
	// directStreams is set once the kernel lets files opened for direct
	// I/O be mapped shared: streamed writes then bypass the page cache.
	directStreams atomic.Bool
	inos          *inoTable
	// passthrough is set while files may be passed through to their
	// local copies (passthrough.go); passProbe tries it once.
	passthrough atomic.Bool
	passProbe   sync.Once
	srv         *fuse.Server
}

// observe reports one finished operation to the Observer, if any, and at
// debug level logs it with its path and duration (paths only at debug).
// name is the child the operation is about, or "" for n itself.
func (m *mount) observe(op string, start time.Time, n *node, name string) {
	d := time.Since(start)
	if m.opts.Observer != nil {
		m.opts.Observer.FuseOp(op, d)
	}
	if m.log.Enabled(context.Background(), slog.LevelDebug) {
		p, _ := n.path()
		if name != "" {
			p = n.child(name)
		}
		m.log.Debug("fuse op", "op", op, "path", p, "duration", d)
	}
}

var (
	_ fs.NodeLookuper    = (*node)(nil)
	_ fs.NodeGetattrer   = (*node)(nil)
	_ fs.NodeSetattrer   = (*node)(nil)
	_ fs.NodeMkdirer     = (*node)(nil)
	_ fs.NodeRmdirer     = (*node)(nil)
	_ fs.NodeUnlinker    = (*node)(nil)
	_ fs.NodeRenamer     = (*node)(nil)
	_ fs.NodeCreater     = (*node)(nil)
	_ fs.NodeOpener      = (*node)(nil)
	_ fs.NodeSymlinker   = (*node)(nil)
	_ fs.NodeReadlinker  = (*node)(nil)
	_ fs.NodeStatfser    = (*node)(nil)
	_ fs.NodeMknoder     = (*node)(nil)
	_ fs.NodeLinker      = (*node)(nil)
	_ fs.NodeFsyncer     = (*node)(nil)
	_ fs.NodeOnForgetter = (*node)(nil)
)

// path returns the node's path in vfs; ok is false for an inode that is no
// longer in the tree (unlinked while open).
func (n *node) path() (string, bool) {
	var segs []string
	cur := &n.Inode
	for !cur.IsRoot() {
		name, parent := cur.Parent()
		if parent == nil {
			return "", false
		}
		segs = append(segs, name)
		cur = parent
	}
	p := ""
	for i := len(segs) - 1; i >= 0; i-- {
		if p == "" {
			p = segs[i]
		} else {
			p += "/" + segs[i]
		}
	}
	return p, true
}

func (n *node) child(name string) string {
	p, _ := n.path()
	if p == "" {
		return name
	}
	return p + "/" + name
}

func (n *node) fail(op, p string, err error) syscall.Errno {
	en := fsrules.Errno(err)
	if o := n.m.opts.Observer; o != nil {
		o.FuseError(op, en)
	}
	if en == syscall.EIO {
		n.m.log.Error("operation failed", "op", op, "path", p, "err", err)
	} else {
		n.m.log.Debug("operation refused", "op", op, "path", p, "errno", en.Error(), "err", err)
	}
	return en
}

// fillAttr converts vfs attributes for the kernel.
func fillAttr(a vfs.Attr, out *fuse.Attr) {
	out.Mode = modeOf(a)
	out.Size = uint64(a.Size)
	out.Blocks = fsrules.Blocks(a.Size)
	out.Blksize = 4096
	out.Owner = fuse.Owner{Uid: a.UID, Gid: a.GID}
	// A directory's count would be 2 + its subdirectories, which only a
	// listing tells, and another client may change; 1 says "unknown", and
	// tools (find, fts) then do not use it to skip subdirectories.
	out.Nlink = 1
	out.Rdev = a.Rdev
	out.SetTimes(&a.Atime, &a.Mtime, &a.Ctime)
}

func modeOf(a vfs.Attr) uint32 { return fsrules.Mode(a) }

func typeOf(a vfs.Attr) uint32 { return modeOf(a) & syscall.S_IFMT }

// newChild returns the inode for name, reusing the existing one when it
// has the same type so the kernel keeps one inode per path.
func (n *node) newChild(ctx context.Context, name string, a vfs.Attr) *fs.Inode {
	if ch := n.GetChild(name); ch != nil && ch.StableAttr().Mode == typeOf(a) {
		return ch
	}
	nn := &node{m: n.m}
	mode := typeOf(a)
	return n.NewInode(ctx, nn, fs.StableAttr{Mode: mode, Ino: n.m.inos.assign(nn, n.child(name), mode)})
}

func (n *node) entry(ctx context.Context, name string, a vfs.Attr, out *fuse.EntryOut) *fs.Inode {
	fillAttr(a, &out.Attr)
	n.setTimeouts(out)
	return n.newChild(ctx, name, a)
}

func (n *node) setTimeouts(out *fuse.EntryOut) {
	out.SetEntryTimeout(n.m.opts.EntryTimeout)
	out.SetAttrTimeout(n.m.opts.AttrTimeout)
}

// Lookup finds a child by name.
func (n *node) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	ctx = detach(ctx)
	defer n.m.observe("lookup", time.Now(), n, name)
	p := n.child(name)
	a, err := n.m.v.Lookup(ctx, p)
	if err != nil {
		if en := fsrules.Errno(err); en == syscall.ENOENT {
			if o := n.m.opts.Observer; o != nil {
				o.FuseError("lookup", en)
			}
			out.SetEntryTimeout(n.m.opts.NegativeTimeout)
			return nil, en
		}
		return nil, n.fail("lookup", p, err)
	}
	return n.entry(ctx, name, a, out), 0
}

// Getattr reports attributes, from the open handle when there is one.
func (n *node) Getattr(ctx context.Context, f fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	ctx = detach(ctx)
	defer n.m.observe("getattr", time.Now(), n, "")
	p, inTree := n.path()
	if h, ok := f.(*handle); ok {
		fillAttr(h.h.Attr(), &out.Attr)
		if !inTree {
			out.Nlink = 0 // unlinked while open
		}
		out.SetTimeout(n.m.opts.AttrTimeout)
		return 0
	}
	if !inTree {
		h := n.anyOpen()
		if h == nil {
			return syscall.ENOENT
		}
		fillAttr(h.Attr(), &out.Attr)
		out.Nlink = 0
		return 0
	}
	a, err := n.m.v.Lookup(ctx, p)
	if err != nil {
		return n.fail("getattr", p, err)
	}
	fillAttr(a, &out.Attr)
	out.SetTimeout(n.m.opts.AttrTimeout)
	return 0
}

// Setattr handles truncate, chmod, chown and utimens.
func (n *node) Setattr(ctx context.Context, f fs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	defer n.m.observe("setattr", time.Now(), n, "")
	ctx = detach(ctx)
	var s vfs.SetAttr
	if sz, ok := in.GetSize(); ok {
		v := int64(sz)
		s.Size = &v
	}
	if m, ok := in.GetMode(); ok {
		v := m & vfs.ModePerm
		s.Mode = &v
	}
	if u, ok := in.GetUID(); ok {
		s.UID = &u
	}
	if g, ok := in.GetGID(); ok {
		s.GID = &g
	}
	if t, ok := in.GetMTime(); ok {
		s.Mtime = &t
	}
	if t, ok := in.GetATime(); ok {
		s.Atime = &t
	}
	var vh *vfs.Handle
	if h, ok := f.(*handle); ok {
		vh = h.h
	}
	p, ok := n.path()
	if !ok && vh == nil {
		// Unlinked while open: change the open file.
		vh = n.anyOpen()
		if vh == nil {
			return syscall.ENOENT
		}
	}
	a, err := n.m.v.Setattr(ctx, p, vh, s)
	if err != nil {
		return n.fail("setattr", p, err)
	}
	fillAttr(a, &out.Attr)
	out.Ino = n.StableAttr().Ino // go-fuse fills it for getattr only
	out.SetTimeout(n.m.opts.AttrTimeout)
	return 0
}

// Mkdir creates a directory owned by the caller.
func (n *node) Mkdir(ctx context.Context, name string, mode uint32, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	defer n.m.observe("mkdir", time.Now(), n, name)
	ctx = detach(ctx)
	p := n.child(name)
	uid, gid := caller(ctx)
	gid, mode = n.inherit(ctx, gid, mode, true)
	a, err := n.m.v.Mkdir(ctx, p, mode&^umask(ctx), uid, gid)
	if err != nil {
		return nil, n.fail("mkdir", p, err)
	}
	return n.entry(ctx, name, a, out), 0
}

// Rmdir removes an empty directory.
func (n *node) Rmdir(ctx context.Context, name string) syscall.Errno {
	defer n.m.observe("rmdir", time.Now(), n, name)
	ctx = detach(ctx)
	p := n.child(name)
	if err := n.m.v.Rmdir(ctx, p); err != nil {
		return n.fail("rmdir", p, err)
	}
	return 0
}

// Unlink removes a file or symlink.
func (n *node) Unlink(ctx context.Context, name string) syscall.Errno {
	defer n.m.observe("unlink", time.Now(), n, name)
	ctx = detach(ctx)
	p := n.child(name)
	if err := n.m.v.Unlink(ctx, p); err != nil {
		return n.fail("unlink", p, err)
	}
	return 0
}

// Rename moves a child, possibly to another directory.
func (n *node) Rename(ctx context.Context, name string, newParent fs.InodeEmbedder, newName string, flags uint32) syscall.Errno {
	defer n.m.observe("rename", time.Now(), n, name)
	ctx = detach(ctx)
	np, ok := newParent.(*node)
	if !ok {
		return syscall.EXDEV
	}
	from, to := n.child(name), np.child(newName)
	fl := vfs.RenameFlags{NoReplace: flags&renameNoReplace != 0, Exchange: flags&renameExchange != 0}
	if err := n.m.v.Rename(ctx, from, to, fl); err != nil {
		return n.fail("rename", from, err)
	}
	return 0
}

const (
	renameNoReplace = 1 << 0
	renameExchange  = 1 << 1
)

// Create makes and opens a new file owned by the caller.
func (n *node) Create(ctx context.Context, name string, flags uint32, mode uint32, out *fuse.EntryOut) (*fs.Inode, fs.FileHandle, uint32, syscall.Errno) {
	defer n.m.observe("create", time.Now(), n, name)
	ctx = detach(ctx)
	p := n.child(name)
	if en := n.m.checkOpenFlags("create", p, flags); en != 0 {
		return nil, nil, 0, en
	}
	uid, gid := caller(ctx)
	gid, mode = n.inherit(ctx, gid, mode, false)
	fl := openFlags(flags)
	h, a, err := n.m.v.Create(ctx, p, fl, mode&^umask(ctx), uid, gid)
	if err != nil {
		return nil, nil, 0, n.fail("create", p, err)
	}
	ino := n.entry(ctx, name, a, out)
	if cn, ok := ino.Operations().(*node); ok {
		cn.remember(h)
	}
	fh, fopen := ino.Operations().(*node).openHandle(h)
	return ino, fh, fopen, 0
}

// Open opens an existing file.
func (n *node) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	defer n.m.observe("open", time.Now(), n, "")
	ctx = detach(ctx)
	p, ok := n.path()
	if !ok {
		return nil, 0, syscall.ENOENT
	}
	if en := n.m.checkOpenFlags("open", p, flags); en != 0 {
		return nil, 0, en
	}
	h, err := n.m.v.Open(ctx, p, openFlags(flags))
	if err != nil {
		return nil, 0, n.fail("open", p, err)
	}
	n.remember(h)
	fh, fl := n.openHandle(h)
	return fh, fl, 0
}

// remember records a live handle, so an inode unlinked while open still
// answers getattr and setattr through any of its descriptors.
func (n *node) remember(h *vfs.Handle) {
	n.mu.Lock()
	if n.open == nil {
		n.open = map[*vfs.Handle]bool{}
	}
	n.open[h] = true
	n.mu.Unlock()
}

func (n *node) forget(h *vfs.Handle) {
	n.mu.Lock()
	delete(n.open, h)
	n.mu.Unlock()
}

// anyOpen returns one live handle of the inode, or nil. All handles of
// one file share its attributes.
// lost makes the kernel forget the inode of a file whose unsaved changes
// were lost (vfs.ErrLost): with the writeback cache the kernel trusts the
// size its own writes gave an inode and never takes ours, so the name
// gets a new inode, which shows the stored version. Open descriptors keep
// the old one until they close.
func (n *node) lost() {
	n.dropped.Store(true)
	name, parent := n.Parent()
	if parent == nil {
		return
	}
	// Not from within the request being answered: the kernel may wait
	// for it while it handles the notification.
	go func() {
		parent.RmChild(name)
		parent.NotifyEntry(name)
	}()
}

func (n *node) anyOpen() *vfs.Handle {
	n.mu.Lock()
	defer n.mu.Unlock()
	for h := range n.open {
		return h
	}
	return nil
}

// openFlags are the FOPEN_ flags of h's reply. A file written afresh on
// the streaming data path goes to its upload as it is written, so the
// page cache would only cost the writer a copy of every byte (more CPU
// than the upload itself); such handles get direct I/O when the kernel
// still allows mmap(MAP_SHARED) on them (Linux 6.6 and later). Without
// the writeback cache each write(2) reaches us on its own either way.
func (m *mount) openFlags(h *vfs.Handle) uint32 {
	if m.opts.DirectIO || (m.directStreams.Load() && h.Streams()) {
		return fuse.FOPEN_DIRECT_IO
	}
	return 0
}

func openFlags(flags uint32) vfs.OpenFlags { return decodeFlags(flags).VFS() }

// Symlink creates a symbolic link.
func (n *node) Symlink(ctx context.Context, target, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	defer n.m.observe("symlink", time.Now(), n, name)
	ctx = detach(ctx)
	p := n.child(name)
	uid, gid := caller(ctx)
	gid, _ = n.inherit(ctx, gid, 0, false)
	a, err := n.m.v.Symlink(ctx, target, p, uid, gid)
	if err != nil {
		return nil, n.fail("symlink", p, err)
	}
	return n.entry(ctx, name, a, out), 0
}

// Readlink returns a symlink's target.
func (n *node) Readlink(ctx context.Context) ([]byte, syscall.Errno) {
	ctx = detach(ctx)
	defer n.m.observe("readlink", time.Now(), n, "")
	p, _ := n.path()
	t, err := n.m.v.Readlink(ctx, p)
	if err != nil {
		return nil, n.fail("readlink", p, err)
	}
	return []byte(t), 0
}

// Statfs reports capacity.
func (n *node) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	defer n.m.observe("statfs", time.Now(), n, "")
	s := n.m.v.Statfs()
	out.Bsize = s.BlockSize
	out.Frsize = s.FragmentSiz
	out.Blocks = s.Blocks
	out.Bfree = s.BlocksFree
	out.Bavail = s.BlocksFree
	out.Files = s.Files
	out.Ffree = s.FilesFree
	out.NameLen = s.NameMax
	return 0
}

// Mknod makes a fifo, a socket (bind(2) of a unix socket), a device node
// or an empty file, kept as a zero-length object (vfs.Mknod).
func (n *node) Mknod(ctx context.Context, name string, mode, dev uint32, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	defer n.m.observe("mknod", time.Now(), n, name)
	ctx = detach(ctx)
	p := n.child(name)
	t := mode & syscall.S_IFMT
	if t == 0 {
		t = syscall.S_IFREG
	}
	kind, ok := vfs.KindOfType(t)
	if !ok || kind == vfs.KindDir || kind == vfs.KindSymlink {
		return nil, syscall.EINVAL
	}
	uid, gid := caller(ctx)
	gid, perm := n.inherit(ctx, gid, mode&07777, false)
	a, err := n.m.v.Mknod(ctx, p, kind, perm, dev, uid, gid)
	if err != nil {
		return nil, n.fail("mknod", p, err)
	}
	return n.entry(ctx, name, a, out), 0
}

// Link is refused: object stores have no hard links.
func (n *node) Link(ctx context.Context, target fs.InodeEmbedder, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	return nil, syscall.ENOTSUP
}

// Fsync without a handle has nothing buffered to write.
func (n *node) Fsync(ctx context.Context, f fs.FileHandle, flags uint32) syscall.Errno {
	if h, ok := f.(*handle); ok {
		return h.Fsync(ctx, flags)
	}
	return 0
}

// detach keeps the caller's identity but drops cancellation. The kernel
// interrupts requests whenever the calling thread gets a signal (Go
// programs get many, several per second): a change to the store must not
// be abandoned half-way because of that, and a stat or read must not fail
// with EINTR, which most programs never retry. A fatal signal still ends
// the caller at once; the kernel does not wait for our answer then.
func detach(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

// inherit applies the parent's setgid bit to a new entry, as a local
// filesystem does: the entry takes the directory's group, and a new
// directory keeps the setgid bit.
func (n *node) inherit(ctx context.Context, gid, mode uint32, dir bool) (uint32, uint32) {
	p, _ := n.path()
	return fsrules.Inherit(ctx, n.m.v, p, gid, mode, dir)
}

func caller(ctx context.Context) (uid, gid uint32) {
	if c, ok := fuse.FromContext(ctx); ok {
		return c.Uid, c.Gid
	}
	return uint32(syscall.Getuid()), uint32(syscall.Getgid())
}

// umask is applied by the kernel before the mode reaches us; nothing to do.
func umask(context.Context) uint32 { return 0 }
