// Package atomicfile writes a file whole or not at all: under a temporary
// name in the same directory, synced, then renamed over the old one.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Write replaces path with data, mode perm. On any failure the old file
// is left as it was and the temporary one is removed. Errors read
// "writing <path>: <cause>".
func Write(path string, data []byte, perm os.FileMode) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return wrap(path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := f.Chmod(perm); err != nil {
		return wrap(path, err)
	}
	if _, err := f.Write(data); err != nil {
		return wrap(path, err)
	}
	if err := f.Sync(); err != nil {
		return wrap(path, err)
	}
	if err := f.Close(); err != nil {
		return wrap(path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return wrap(path, err)
	}
	return nil
}

// wrap names path, and only the cause of a *fs.PathError (whose own path
// is the temporary file's).
func wrap(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("writing %s: %w", path, err)
}
