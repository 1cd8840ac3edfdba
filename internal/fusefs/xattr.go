//go:build linux

package fusefs

import (
	"context"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"

	"github.com/a9de3765/cloudfuse/internal/vfs"
)

var (
	_ fs.NodeGetxattrer    = (*node)(nil)
	_ fs.NodeSetxattrer    = (*node)(nil)
	_ fs.NodeListxattrer   = (*node)(nil)
	_ fs.NodeRemovexattrer = (*node)(nil)
)

// Getxattr reads one extended attribute. Names outside user.* are
// answered here at once: no path walk, no store request. The kernel's
// security.capability probe before writes learns there is none; the
// namespaces the mount does not keep (security labels, POSIX ACLs) are
// not supported, which `ls -l` notes once per file system instead of
// asking twice for every entry.
func (n *node) Getxattr(ctx context.Context, attr string, dest []byte) (uint32, syscall.Errno) {
	if !vfs.IsUserXattr(attr) {
		if vfs.NoneHeld(attr) {
			return 0, syscall.ENODATA
		}
		return 0, syscall.ENOTSUP
	}
	ctx = detach(ctx)
	defer n.m.observe("getxattr", time.Now(), n, "")
	p, h, errno := n.xattrTarget()
	if errno != 0 {
		return 0, errno
	}
	val, err := n.m.v.Getxattr(ctx, p, h, attr)
	if err != nil {
		return 0, n.fail("getxattr", p, err)
	}
	// A size probe (empty dest) learns the length; go-fuse turns ERANGE
	// into success for it.
	if len(dest) < len(val) {
		return uint32(len(val)), syscall.ERANGE
	}
	return uint32(copy(dest, val)), 0
}

// Listxattr writes the attribute names, each followed by a NUL.
func (n *node) Listxattr(ctx context.Context, dest []byte) (uint32, syscall.Errno) {
	ctx = detach(ctx)
	defer n.m.observe("listxattr", time.Now(), n, "")
	p, h, errno := n.xattrTarget()
	if errno != 0 {
		return 0, errno
	}
	names, err := n.m.v.Listxattr(ctx, p, h)
	if err != nil {
		return 0, n.fail("listxattr", p, err)
	}
	size := 0
	for _, name := range names {
		size += len(name) + 1
	}
	if len(dest) < size {
		return uint32(size), syscall.ERANGE
	}
	off := 0
	for _, name := range names {
		off += copy(dest[off:], name)
		dest[off] = 0
		off++
	}
	return uint32(size), 0
}

// Setxattr stores one user.* attribute; other namespaces are refused with
// ENOTSUP without a store request.
func (n *node) Setxattr(ctx context.Context, attr string, data []byte, flags uint32) syscall.Errno {
	if !vfs.IsUserXattr(attr) {
		return syscall.ENOTSUP
	}
	ctx = detach(ctx)
	defer n.m.observe("setxattr", time.Now(), n, "")
	p, h, errno := n.xattrTarget()
	if errno != 0 {
		return errno
	}
	if err := n.m.v.Setxattr(ctx, p, h, attr, data, vfs.XattrFlags(flags)); err != nil {
		return n.fail("setxattr", p, err)
	}
	return 0
}

// Removexattr deletes one user.* attribute.
func (n *node) Removexattr(ctx context.Context, attr string) syscall.Errno {
	if !vfs.IsUserXattr(attr) {
		return syscall.ENODATA
	}
	ctx = detach(ctx)
	defer n.m.observe("removexattr", time.Now(), n, "")
	p, h, errno := n.xattrTarget()
	if errno != 0 {
		return errno
	}
	if err := n.m.v.Removexattr(ctx, p, h, attr); err != nil {
		return n.fail("removexattr", p, err)
	}
	return 0
}

// xattrTarget names the entry an attribute call is about: its path, or
// for an inode unlinked while open, one of its handles.
func (n *node) xattrTarget() (string, *vfs.Handle, syscall.Errno) {
	p, ok := n.path()
	if ok {
		return p, nil, 0
	}
	h := n.anyOpen()
	if h == nil {
		return "", nil, syscall.ENOENT
	}
	return p, h, 0
}
