package dirlock

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// errLocked is the error lockFile gives when another process holds f.
var errLocked = windows.ERROR_LOCK_VIOLATION

// lockFile takes an exclusive lock on the first byte of f without
// waiting.
func lockFile(f *os.File) error {
	ol := new(windows.Overlapped)
	err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	if errors.Is(err, windows.ERROR_IO_PENDING) {
		return errLocked
	}
	return err
}
