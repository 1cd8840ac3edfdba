//go:build windows || (linux && cgo && cgofuse)

package cgofs

import (
	"syscall"

	"github.com/winfsp/cgofuse/fuse"
)

// codes turns the errnos fsrules gives into cgofuse's constants, which
// follow the platform's C library (WinFsp's on Windows).
var codes = map[syscall.Errno]int{
	syscall.EPERM:        fuse.EPERM,
	syscall.ENOENT:       fuse.ENOENT,
	syscall.EINTR:        fuse.EINTR,
	syscall.EIO:          fuse.EIO,
	syscall.EBADF:        fuse.EBADF,
	syscall.EACCES:       fuse.EACCES,
	syscall.EBUSY:        fuse.EBUSY,
	syscall.EEXIST:       fuse.EEXIST,
	syscall.EXDEV:        fuse.EXDEV,
	syscall.ENOTDIR:      fuse.ENOTDIR,
	syscall.EISDIR:       fuse.EISDIR,
	syscall.EINVAL:       fuse.EINVAL,
	syscall.EFBIG:        fuse.EFBIG,
	syscall.ENOSPC:       fuse.ENOSPC,
	syscall.EROFS:        fuse.EROFS,
	syscall.ERANGE:       fuse.ERANGE,
	syscall.E2BIG:        fuse.E2BIG,
	syscall.ENAMETOOLONG: fuse.ENAMETOOLONG,
	syscall.ENOSYS:       fuse.ENOSYS,
	syscall.ENOTEMPTY:    fuse.ENOTEMPTY,
	syscall.ENOTSUP:      fuse.ENOTSUP,
	syscall.ETIMEDOUT:    fuse.ETIMEDOUT,
	syscall.ESTALE:       fuse.EIO, // no ESTALE in every C library
	syscall.ENODATA:      fuse.ENODATA,
}

// code is cgofuse's constant for en; EIO for one it does not know.
func code(en syscall.Errno) int {
	if c, ok := codes[en]; ok {
		return c
	}
	return fuse.EIO
}
