//go:build unix

package dirlock

import (
	"errors"
	"os"
	"syscall"
)

// errLocked is the error lockFile gives when another process holds f.
var errLocked = syscall.EWOULDBLOCK

// lockFile takes an exclusive lock on f without waiting.
func lockFile(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EAGAIN) {
		return errLocked
	}
	return err
}
