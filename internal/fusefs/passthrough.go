//go:build linux

package fusefs

import (
	"context"
	"os"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/a9de3765/cloudfuse/internal/fsrules"
	"github.com/a9de3765/cloudfuse/internal/vfs"
)

// FUSE passthrough (Linux 6.9 and later): on a read-only mount, a file
// whose bytes are all in a local file (a complete staged copy of the file
// cache) is read by the kernel from that file, without the daemon.
//
// The kernel keeps one I/O mode per inode: while a descriptor reads
// through a backing file, every other open of the inode must pass through
// too (else it fails with EIO), and an inode open through the page cache
// cannot start passing through. go-fuse registers one backing file per
// inode and gives it to every later handle that can pass through. So each
// node counts its open handles by mode (node.cached, node.passing) and an
// open takes the mode the inode is in, or passthrough when none is open
// and the bytes are local.
//
// Our counts fall only when the daemon is told of a release, after the
// kernel dropped its own count, so they never say less than the kernel's;
// go-fuse likewise keeps the backing file registered until that release,
// so an open that joins a mode the kernel just left finds it still there.
//
// Only read-only mounts pass through: a writer opened beside a
// passthrough reader would have to pass through too, and its writes would
// then reach the local copy without the daemon, which must see each one
// to journal and upload the file. The kernel also refuses passthrough on
// a connection with the writeback cache.

// openMode is how the kernel serves a handle's data.
type openMode int

const (
	// modeUncounted: the page cache on a mount that never passes
	// through (or stopped offering it), where no open needs the counts.
	modeUncounted openMode = iota
	modeCached             // the page cache (counted in node.cached)
	modePassing            // passthrough to a local file (node.passing)
)

// passthroughEnabled says whether this mount's handles may pass through:
// asked for, a read-only mount, the kernel offered it, no writeback cache,
// and the daemon may register backing files (that needs CAP_SYS_ADMIN;
// canPass checks it at the first file).
func passthroughEnabled(opts fsrules.Options, writeback bool, kernel *fuse.InitIn) bool {
	return opts.Passthrough && opts.ReadOnly && !writeback &&
		kernel.Flags64()&fuse.CAP_PASSTHROUGH != 0 && os.Geteuid() == 0
}

// canPass says whether the kernel takes backing files from this daemon,
// trying once with lf: it refuses without CAP_SYS_ADMIN or when the cache
// directory is itself on a stacked filesystem (overlayfs in a container).
// After a refusal the mount stops offering passthrough, so handles are
// never counted as passing that the kernel serves from the page cache.
func (m *mount) canPass(lf *os.File) bool {
	m.passProbe.Do(func() {
		id, errno := m.srv.RegisterBackingFd(&fuse.BackingMap{Fd: int32(lf.Fd())})
		if errno != 0 {
			m.passthrough.Store(false)
			m.log.Info("FUSE passthrough is off: the kernel refused a backing file in the cache directory; "+
				"cached files are read through the daemon", "err", errno)
			return
		}
		m.srv.UnregisterBackingFd(id)
	})
	if !m.passthrough.Load() {
		lf.Close()
		return false
	}
	return true
}

// openHandle wraps h for the kernel, choosing its I/O mode, and returns
// the handle with its FOPEN_ flags.
func (n *node) openHandle(h *vfs.Handle) (fs.FileHandle, uint32) {
	fl := n.m.openFlags(h)
	hd := &handle{h: h, n: n} // modeUncounted
	if !n.m.passthrough.Load() {
		return hd, fl
	}
	hd.mode = modeCached
	if fl&fuse.FOPEN_DIRECT_IO != 0 {
		n.count(modeCached, 1)
		return hd, fl
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cached == 0 {
		lf, ok := h.OpenLocal()
		if ok && !n.m.canPass(lf) {
			lf, ok = nil, false
		}
		if ok || n.passing > 0 {
			// Without a local file of its own the handle joins the
			// inode's registered one; go-fuse asks it for none then.
			hd.mode = modePassing
			n.passing++
			if o := n.m.opts.Observer; o != nil {
				o.PassthroughHandles(1)
			}
			return &passHandle{handle: hd, local: lf}, fl
		}
	}
	n.cached++
	return hd, fl
}

// count changes the node's count of handles in mode by d.
func (n *node) count(mode openMode, d int) {
	if mode == modeUncounted {
		return
	}
	n.mu.Lock()
	if mode == modeCached {
		n.cached += d
	} else {
		n.passing += d
	}
	n.mu.Unlock()
	if o := n.m.opts.Observer; o != nil && mode == modePassing && d < 0 {
		o.PassthroughHandles(d)
	}
}

// passHandle is a handle whose reads the kernel may take from local.
type passHandle struct {
	*handle
	local *os.File
}

var _ fs.FilePassthroughFder = (*passHandle)(nil)

// PassthroughFd gives go-fuse the local file to register with the kernel.
// It asks during the open's reply, while local is open, and only when the
// inode has no backing file registered.
func (h *passHandle) PassthroughFd() (int, bool) {
	if h.local == nil {
		return 0, false
	}
	return int(h.local.Fd()), true
}

// Release closes the local descriptor: the kernel holds its own reference
// to the file it registered.
func (h *passHandle) Release(ctx context.Context) syscall.Errno {
	errno := h.handle.Release(ctx)
	if h.local != nil {
		h.local.Close()
	}
	return errno
}
