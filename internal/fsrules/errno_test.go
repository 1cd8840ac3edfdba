package fsrules

import (
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/vfs"
)

// A store request that failed after its retries reaches the application
// as EIO, not as the errno of the connection that failed; local disk
// errors keep theirs, and sentinels keep their mapping.
func TestErrnoOfStoreFailures(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	for _, c := range []struct {
		err  error
		want syscall.Errno
	}{
		{storage.Errorf("put", "k", nil, refused), syscall.EIO},
		{fmt.Errorf("upload: %w", storage.Errorf("upload", "k", nil, syscall.ECONNRESET)), syscall.EIO},
		{storage.Errorf("head", "k", storage.ErrNotFound, refused), syscall.ENOENT},
		{storage.Errorf("put", "k", storage.ErrPermission, nil), syscall.EACCES},
		{&os.PathError{Op: "write", Path: "cache", Err: syscall.EDQUOT}, syscall.EDQUOT},
		{fmt.Errorf("%w: x", vfs.ErrNoSpace), syscall.ENOSPC},
		{fmt.Errorf("something else"), syscall.EIO},
	} {
		if got := Errno(c.err); got != c.want {
			t.Errorf("Errno(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
