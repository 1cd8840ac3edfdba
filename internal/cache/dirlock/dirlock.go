// Package dirlock gives a cache directory one owning process: the first
// mount over it holds the lock, a second one is refused naming the first.
package dirlock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrInUse says another live mount holds the cache directory.
var ErrInUse = errors.New("cache directory in use by another mount")

// Lock makes this process the one owner of dir for as long as the
// returned file stays open: an exclusive lock on dir/lock (flock(2), or
// LockFileEx on Windows), which the kernel drops when the process dies
// however it dies. owner (the
// mountpoint) is written into the file so a mount refused can name the
// one holding it. What a cache keeps there (journal records, blocks) is
// thus only ever taken over by a mount whose predecessor is gone.
func Lock(dir, owner string) (*os.File, error) {
	path := filepath.Join(dir, "lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, errLocked) {
			holder, _ := os.ReadFile(path)
			return nil, fmt.Errorf("%w: %s is held by %s; give each mount its own file_cache.path (--tmp-path)",
				ErrInUse, dir, describeHolder(string(holder)))
		}
		return nil, err
	}
	if err := f.Truncate(0); err == nil {
		if owner != "" {
			owner = ", mounted at " + owner
		}
		fmt.Fprintf(f, "pid %d%s\n", os.Getpid(), owner)
	}
	return f, nil
}

func describeHolder(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return "another cloudfuse process"
	}
	return "cloudfuse (" + s + ")"
}
