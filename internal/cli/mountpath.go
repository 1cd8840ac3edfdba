package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"github.com/a9de3765/cloudfuse/internal/config"
	"github.com/a9de3765/cloudfuse/internal/mounttab"
)

// unwrapPath drops the *fs.PathError wrapper whose path the message
// already names.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// checkMountPath makes sure path can be mounted on: it exists, is a
// directory, is not already a mount point, and is empty unless nonempty is
// set. It returns the absolute, symlink-free path.
func (a *app) checkMountPath(path string, cfg *config.Config) (string, error) {
	if runtime.GOOS == "windows" {
		return checkWindowsMountPath(path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("mount path %s: %w", path, err)
	}
	fi, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("mount path %s does not exist", abs)
	case errors.Is(err, syscall.ENOTCONN):
		return "", fmt.Errorf("mount path %s is a stale mount whose daemon has gone; run: cloudfuse unmount %s", abs, abs)
	case err != nil:
		return "", fmt.Errorf("mount path %s: %w", abs, unwrapPath(err))
	case !fi.IsDir():
		return "", fmt.Errorf("mount path %s is not a directory", abs)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	entries, err := a.mountTable()
	if err != nil {
		return "", err
	}
	if e, ok := mounttab.Find(entries, abs); ok {
		if e.Ours() {
			return "", fmt.Errorf("mount path %s is already a mount point (of %s); run: cloudfuse unmount %s", abs, e.Source, abs)
		}
		return "", fmt.Errorf("mount path %s is already a mount point (%s)", abs, e.FSType)
	}
	if e, ok := overlappingMount(entries, abs); ok {
		return "", fmt.Errorf("mount path %s overlaps the cloudfuse mount at %s (of %s); mount elsewhere or run: cloudfuse unmount %s",
			abs, e.Point, e.Source, e.Point)
	}
	if !cfg.NonEmpty {
		empty, err := dirEmpty(abs)
		if err != nil {
			return "", fmt.Errorf("mount path %s: %w", abs, unwrapPath(err))
		}
		if !empty {
			return "", fmt.Errorf("mount path %s is not empty (set nonempty: true or use -o nonempty to mount over it)", abs)
		}
	}
	if dir := cacheDir(cfg); dir != "" {
		if cd, err := filepath.Abs(dir); err == nil && (cd == abs || strings.HasPrefix(cd, abs+string(filepath.Separator))) {
			return "", fmt.Errorf("file_cache.path %s must not be inside the mount path %s", cd, abs)
		}
	}
	return abs, nil
}

// overlappingMount finds a cloudfuse mount whose mount point is inside
// path or contains it. Mounting there would hide one mount under the other
// or serve a directory from two daemons.
func overlappingMount(entries []mounttab.Entry, path string) (mounttab.Entry, bool) {
	for _, e := range entries {
		if e.Ours() && (within(path, e.Point) || within(e.Point, path)) {
			return e, true
		}
	}
	return mounttab.Entry{}, false
}

// within says whether path is strictly inside dir.
func within(path, dir string) bool {
	if dir == "/" {
		return path != "/"
	}
	return strings.HasPrefix(path, dir+string(filepath.Separator))
}

func dirEmpty(dir string) (bool, error) {
	f, err := os.Open(dir)
	if err != nil {
		return false, err
	}
	defer f.Close()
	_, err = f.Readdirnames(1)
	if errors.Is(err, io.EOF) {
		return true, nil
	}
	return false, err
}
