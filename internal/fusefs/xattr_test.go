//go:build linux

package fusefs

import (
	"fmt"
	"syscall"
	"testing"

	"github.com/a9de3765/cloudfuse/internal/fsrules"
	"github.com/a9de3765/cloudfuse/internal/vfs"
)

// The extended-attribute errors of vfs reach the application with the
// errno Linux filesystems give for the same condition.
func TestErrnoOfXattrErrors(t *testing.T) {
	for _, c := range []struct {
		err  error
		want syscall.Errno
	}{
		{vfs.ErrNoAttr, syscall.ENODATA},
		{fmt.Errorf("%w: name is 300 bytes", vfs.ErrAttrRange), syscall.ERANGE},
		{fmt.Errorf("%w: 2100 bytes", vfs.ErrAttrTooBig), syscall.E2BIG},
		{fmt.Errorf("%w: 2100 bytes", vfs.ErrAttrNoSpace), syscall.ENOSPC},
		{fmt.Errorf("%w: fixed", vfs.ErrNotSupp), syscall.ENOTSUP},
		{vfs.ErrExist, syscall.EEXIST},
		{vfs.ErrPerm, syscall.EPERM},
	} {
		if got := fsrules.Errno(c.err); got != c.want {
			t.Errorf("fsrules.Errno(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
