// Package fsrules holds what both FUSE frontends (go-fuse and cgofuse)
// decide the same way: the errno of an error, the meaning and checks of
// open flags, and the type bits of a mode.
package fsrules

import (
	"context"
	"errors"
	"io/fs"
	"syscall"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/vfs"
)

// errnoTable is the one place where errors become errno values. The first
// entry that matches (errors.Is) wins.
var errnoTable = []struct {
	err   error
	errno syscall.Errno
}{
	{context.Canceled, syscall.EINTR},
	{context.DeadlineExceeded, syscall.ETIMEDOUT},
	{vfs.ErrNotEmpty, syscall.ENOTEMPTY},
	{vfs.ErrIsDir, syscall.EISDIR},
	{vfs.ErrNotDir, syscall.ENOTDIR},
	{vfs.ErrInvalid, syscall.EINVAL},
	{vfs.ErrNameTooLong, syscall.ENAMETOOLONG},
	{vfs.ErrReadOnly, syscall.EROFS},
	{vfs.ErrNotSupp, syscall.ENOTSUP},
	{vfs.ErrStale, syscall.ESTALE},
	{vfs.ErrNoSpace, syscall.ENOSPC},
	{vfs.ErrFileTooBig, syscall.EFBIG},
	{vfs.ErrBadHandle, syscall.EBADF},
	{vfs.ErrPerm, syscall.EPERM},
	{vfs.ErrListingOff, syscall.EBUSY},
	{vfs.ErrNoAttr, syscall.ENODATA},
	{vfs.ErrAttrRange, syscall.ERANGE},
	{vfs.ErrAttrTooBig, syscall.E2BIG},
	{vfs.ErrAttrNoSpace, syscall.ENOSPC},
	{fs.ErrNotExist, syscall.ENOENT},
	{fs.ErrExist, syscall.EEXIST},
	{storage.ErrNotFound, syscall.ENOENT},
	{storage.ErrPermission, syscall.EACCES},
	{storage.ErrNotSupported, syscall.ENOTSUP},
	{storage.ErrTooLarge, syscall.EFBIG},
	{storage.ErrInvalidKey, syscall.EINVAL},
	{storage.ErrPrecondition, syscall.ESTALE},
}

// Errno maps err to an errno; unknown errors and store failures are EIO.
// Both frontends answer with it: go-fuse as it is, cgofuse through its
// own constants.
func Errno(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	for _, e := range errnoTable {
		if errors.Is(err, e.err) {
			return e.errno
		}
	}
	// A store request that failed for good is EIO, whatever the network
	// said (ECONNREFUSED, ECONNRESET): the application's file is not
	// where those apply. Local errors keep their errno.
	var se *storage.Error
	if errors.As(err, &se) {
		return syscall.EIO
	}
	var en syscall.Errno
	if errors.As(err, &en) {
		return en
	}
	return syscall.EIO
}
