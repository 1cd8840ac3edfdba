//go:build windows || (linux && cgo && cgofuse)

package cgofs

import (
	"time"

	"github.com/winfsp/cgofuse/fuse"

	"github.com/a9de3765/cloudfuse/internal/fsrules"
	"github.com/a9de3765/cloudfuse/internal/vfs"
)

// Mode bits cgofuse passes in the POSIX layout on every platform.
const (
	modeType   = 0o170000
	modeRegNum = 0o100000
	modePerm   = 0o7777
)

func (f *fileSystem) Statfs(path string, st *fuse.Statfs_t) int {
	defer f.observe("statfs", time.Now())
	s := f.v.Statfs()
	*st = fuse.Statfs_t{Bsize: uint64(s.BlockSize), Frsize: uint64(s.BlockSize), Blocks: s.Blocks,
		Bfree: s.BlocksFree, Bavail: s.BlocksFree, Files: s.Files, Ffree: s.FilesFree, Favail: s.FilesFree,
		Namemax: uint64(s.NameMax)}
	return 0
}

func (f *fileSystem) Getattr(path string, st *fuse.Stat_t, fh uint64) int {
	defer f.observe("getattr", time.Now())
	if h := f.handle(fh); h != nil {
		fillStat(h.Attr(), st)
		return 0
	}
	p := rel(path)
	a, err := f.v.Lookup(ctx(), p)
	if err != nil {
		return f.fail("getattr", p, err)
	}
	fillStat(a, st)
	return 0
}

func (f *fileSystem) Mkdir(path string, mode uint32) int {
	defer f.observe("mkdir", time.Now())
	p := rel(path)
	uid, gid := caller()
	gid, mode = fsrules.Inherit(ctx(), f.v, fsrules.Parent(p), gid, mode&modePerm, true)
	if _, err := f.v.Mkdir(ctx(), p, mode, uid, gid); err != nil {
		return f.fail("mkdir", p, err)
	}
	return 0
}

func (f *fileSystem) Mknod(path string, mode uint32, dev uint64) int {
	defer f.observe("mknod", time.Now())
	p := rel(path)
	t := mode & modeType
	if t == 0 {
		t = modeRegNum
	}
	kind, ok := vfs.KindOfType(t)
	if !ok || kind == vfs.KindDir || kind == vfs.KindSymlink {
		return -fuse.EINVAL
	}
	uid, gid := caller()
	gid, perm := fsrules.Inherit(ctx(), f.v, fsrules.Parent(p), gid, mode&modePerm, false)
	if _, err := f.v.Mknod(ctx(), p, kind, perm, uint32(dev), uid, gid); err != nil {
		return f.fail("mknod", p, err)
	}
	return 0
}

func (f *fileSystem) Unlink(path string) int {
	defer f.observe("unlink", time.Now())
	p := rel(path)
	if err := f.v.Unlink(ctx(), p); err != nil {
		return f.fail("unlink", p, err)
	}
	return 0
}

func (f *fileSystem) Rmdir(path string) int {
	defer f.observe("rmdir", time.Now())
	p := rel(path)
	if err := f.v.Rmdir(ctx(), p); err != nil {
		return f.fail("rmdir", p, err)
	}
	return 0
}

// Link is refused: object stores have no hard links.
func (f *fileSystem) Link(oldpath, newpath string) int { return -fuse.ENOTSUP }

func (f *fileSystem) Symlink(target, newpath string) int {
	defer f.observe("symlink", time.Now())
	p := rel(newpath)
	uid, gid := caller()
	gid, _ = fsrules.Inherit(ctx(), f.v, fsrules.Parent(p), gid, 0, false)
	if _, err := f.v.Symlink(ctx(), target, p, uid, gid); err != nil {
		return f.fail("symlink", p, err)
	}
	return 0
}

func (f *fileSystem) Readlink(path string) (int, string) {
	defer f.observe("readlink", time.Now())
	p := rel(path)
	t, err := f.v.Readlink(ctx(), p)
	if err != nil {
		return f.fail("readlink", p, err), ""
	}
	return 0, t
}

func (f *fileSystem) Rename(oldpath, newpath string) int {
	return f.Rename3(oldpath, newpath, 0)
}

// Rename3 is rename with renameat2(2)'s flags (FUSE3).
func (f *fileSystem) Rename3(oldpath, newpath string, flags uint32) int {
	const noReplace, exchange = 1, 2
	if flags&^(noReplace|exchange) != 0 {
		return -fuse.EINVAL
	}
	return f.rename(oldpath, newpath, vfs.RenameFlags{NoReplace: flags&noReplace != 0, Exchange: flags&exchange != 0})
}

func (f *fileSystem) rename(oldpath, newpath string, fl vfs.RenameFlags) int {
	defer f.observe("rename", time.Now())
	from := rel(oldpath)
	if err := f.v.Rename(ctx(), from, rel(newpath), fl); err != nil {
		return f.fail("rename", from, err)
	}
	return 0
}

// setattr changes attributes, through the open file fh when there is one.
func (f *fileSystem) setattr(op, path string, fh uint64, s vfs.SetAttr) int {
	defer f.observe("setattr", time.Now())
	p := rel(path)
	if _, err := f.v.Setattr(ctx(), p, f.handle(fh), s); err != nil {
		return f.fail(op, p, err)
	}
	return 0
}

func (f *fileSystem) Chmod(path string, mode uint32) int { return f.Chmod3(path, mode, noHandle) }

// Chmod3 is chmod through the open file fh when there is one (FUSE3).
func (f *fileSystem) Chmod3(path string, mode uint32, fh uint64) int {
	m := mode & vfs.ModePerm
	return f.setattr("chmod", path, fh, vfs.SetAttr{Mode: &m})
}

func (f *fileSystem) Chown(path string, uid, gid uint32) int {
	return f.Chown3(path, uid, gid, noHandle)
}

// Chown3 is chown through the open file fh when there is one (FUSE3).
func (f *fileSystem) Chown3(path string, uid, gid uint32, fh uint64) int {
	var s vfs.SetAttr
	// ^0 means "leave as it is", as chown(2)'s -1.
	if uid != ^uint32(0) {
		s.UID = &uid
	}
	if gid != ^uint32(0) {
		s.GID = &gid
	}
	return f.setattr("chown", path, fh, s)
}

func (f *fileSystem) Utimens(path string, tmsp []fuse.Timespec) int {
	return f.Utimens3(path, tmsp, noHandle)
}

// Utimens3 sets atime and mtime, each of which may be UTIME_NOW or
// UTIME_OMIT (FUSE3).
func (f *fileSystem) Utimens3(path string, tmsp []fuse.Timespec, fh uint64) int {
	var s vfs.SetAttr
	now := time.Now()
	pick := func(ts fuse.Timespec) *time.Time {
		switch ts.Nsec {
		case fuse.UTIME_OMIT:
			return nil
		case fuse.UTIME_NOW:
			return &now
		}
		t := ts.Time()
		return &t
	}
	if len(tmsp) == 2 {
		s.Atime, s.Mtime = pick(tmsp[0]), pick(tmsp[1])
	} else {
		s.Atime, s.Mtime = &now, &now
	}
	return f.setattr("utimens", path, fh, s)
}

func (f *fileSystem) Truncate(path string, size int64, fh uint64) int {
	return f.setattr("truncate", path, fh, vfs.SetAttr{Size: &size})
}

func (f *fileSystem) Create(path string, flags int, mode uint32) (int, uint64) {
	defer f.observe("create", time.Now())
	p := rel(path)
	uid, gid := caller()
	gid, mode = fsrules.Inherit(ctx(), f.v, fsrules.Parent(p), gid, mode&modePerm, false)
	h, _, err := f.v.Create(ctx(), p, decodeFlags(flags).VFS(), mode, uid, gid)
	if err != nil {
		return f.fail("create", p, err), noHandle
	}
	return 0, f.keep(h)
}

func (f *fileSystem) Open(path string, flags int) (int, uint64) {
	defer f.observe("open", time.Now())
	p := rel(path)
	h, err := f.v.Open(ctx(), p, decodeFlags(flags).VFS())
	if err != nil {
		return f.fail("open", p, err), noHandle
	}
	return 0, f.keep(h)
}

func (f *fileSystem) Read(path string, buff []byte, ofst int64, fh uint64) int {
	defer f.observe("read", time.Now())
	h := f.handle(fh)
	if h == nil {
		return -fuse.EBADF
	}
	n, err := h.Read(ctx(), buff, ofst)
	if err != nil && n == 0 {
		return f.fail("read", rel(path), err)
	}
	if f.opts.Observer != nil {
		f.opts.Observer.FuseBytes("read", n)
	}
	return n
}

func (f *fileSystem) Write(path string, buff []byte, ofst int64, fh uint64) int {
	defer f.observe("write", time.Now())
	h := f.handle(fh)
	if h == nil {
		return -fuse.EBADF
	}
	n, err := h.Write(ctx(), buff, ofst)
	if err != nil {
		return f.fail("write", rel(path), err)
	}
	if f.opts.Observer != nil {
		f.opts.Observer.FuseBytes("write", n)
	}
	return n
}

// Flush runs on every close(2): changed data is uploaded here so close
// reports upload errors.
func (f *fileSystem) Flush(path string, fh uint64) int {
	defer f.observe("flush", time.Now())
	h := f.handle(fh)
	if h == nil {
		return 0
	}
	if err := h.FlushOnClose(ctx()); err != nil {
		return f.fail("flush", rel(path), err)
	}
	return 0
}

func (f *fileSystem) Fsync(path string, datasync bool, fh uint64) int {
	defer f.observe("fsync", time.Now())
	h := f.handle(fh)
	if h == nil {
		return 0
	}
	if err := h.Flush(ctx()); err != nil {
		return f.fail("fsync", rel(path), err)
	}
	return 0
}

func (f *fileSystem) Release(path string, fh uint64) int {
	defer f.observe("release", time.Now())
	f.mu.Lock()
	h := f.handles[fh]
	delete(f.handles, fh)
	f.mu.Unlock()
	if h == nil {
		return 0
	}
	if err := h.Release(ctx()); err != nil {
		return f.fail("release", rel(path), err)
	}
	return 0
}

func (f *fileSystem) Opendir(path string) (int, uint64) {
	defer f.observe("opendir", time.Now())
	p := rel(path)
	ents, err := f.v.ReadDir(ctx(), p)
	if err != nil {
		return f.fail("opendir", p, err), noHandle
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	f.dirs[f.next] = ents
	return 0, f.next
}

func (f *fileSystem) Readdir(path string, fill func(name string, stat *fuse.Stat_t, ofst int64) bool, ofst int64, fh uint64) int {
	defer f.observe("readdir", time.Now())
	f.mu.Lock()
	ents, ok := f.dirs[fh]
	f.mu.Unlock()
	if !ok {
		return -fuse.EBADF
	}
	fill(".", nil, 0)
	fill("..", nil, 0)
	for _, e := range ents {
		var st fuse.Stat_t
		fillStat(e.Attr, &st)
		if !fill(e.Name, &st, 0) {
			break
		}
	}
	return 0
}

func (f *fileSystem) Releasedir(path string, fh uint64) int {
	f.mu.Lock()
	delete(f.dirs, fh)
	f.mu.Unlock()
	return 0
}

// Extended attributes: user.* names are object metadata; others are
// refused without a store request, as in the go-fuse frontend. With
// DisableXattrs every call is ENOSYS, so the kernel stops asking.
func (f *fileSystem) Getxattr(path, name string) (int, []byte) {
	if f.opts.DisableXattrs {
		return -fuse.ENOSYS, nil
	}
	if !vfs.IsUserXattr(name) {
		if vfs.NoneHeld(name) {
			return -fuse.ENODATA, nil
		}
		return -fuse.ENOTSUP, nil
	}
	defer f.observe("getxattr", time.Now())
	p := rel(path)
	val, err := f.v.Getxattr(ctx(), p, nil, name)
	if err != nil {
		return f.fail("getxattr", p, err), nil
	}
	return 0, val
}

func (f *fileSystem) Setxattr(path, name string, value []byte, flags int) int {
	if f.opts.DisableXattrs {
		return -fuse.ENOSYS
	}
	if !vfs.IsUserXattr(name) {
		return -fuse.ENOTSUP
	}
	defer f.observe("setxattr", time.Now())
	p := rel(path)
	if err := f.v.Setxattr(ctx(), p, nil, name, value, vfs.XattrFlags(flags)); err != nil {
		return f.fail("setxattr", p, err)
	}
	return 0
}

func (f *fileSystem) Removexattr(path, name string) int {
	if f.opts.DisableXattrs {
		return -fuse.ENOSYS
	}
	if !vfs.IsUserXattr(name) {
		return -fuse.ENODATA
	}
	defer f.observe("removexattr", time.Now())
	p := rel(path)
	if err := f.v.Removexattr(ctx(), p, nil, name); err != nil {
		return f.fail("removexattr", p, err)
	}
	return 0
}

func (f *fileSystem) Listxattr(path string, fill func(name string) bool) int {
	if f.opts.DisableXattrs {
		return -fuse.ENOSYS
	}
	defer f.observe("listxattr", time.Now())
	p := rel(path)
	names, err := f.v.Listxattr(ctx(), p, nil)
	if err != nil {
		return f.fail("listxattr", p, err)
	}
	for _, n := range names {
		if !fill(n) {
			return -fuse.ERANGE
		}
	}
	return 0
}

// decodeFlags reads cgofuse's open flags.
func decodeFlags(flags int) fsrules.Flags {
	fl := fsrules.Flags{
		Append: flags&fuse.O_APPEND != 0,
		Trunc:  flags&fuse.O_TRUNC != 0,
		Creat:  flags&fuse.O_CREAT != 0,
		Excl:   flags&fuse.O_EXCL != 0,
	}
	switch flags & fuse.O_ACCMODE {
	case fuse.O_WRONLY:
		fl.Access = fsrules.WriteOnly
	case fuse.O_RDWR:
		fl.Access = fsrules.ReadWrite
	}
	return fl
}
