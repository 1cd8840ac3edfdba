package dirstore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// Internal names. Every name the store makes for itself starts with
// internalPrefix; user segments that would collide are escaped.
const (
	internalPrefix = ".cloudfuse"
	internalDir    = ".cloudfuse"             // at the root: tmp/ and uploads/
	metaPrefix     = ".cloudfuse.meta."       // + escaped name: sidecar of a file object
	selfData       = ".cloudfuse.self"        // object named like the directory holding it
	selfMeta       = ".cloudfuse.self.meta"   //
	markerData     = ".cloudfuse.marker"      // object "dir/" inside dir
	markerMeta     = ".cloudfuse.marker.meta" //
	escapeChar     = "%"
)

// maxNameLen bounds an escaped segment so that its sidecar name fits the
// usual 255-byte limit on one file name.
const maxNameLen = 255 - len(metaPrefix)

// escape maps a key segment to a file name.
func escape(seg string) string {
	if seg == "." || seg == ".." || strings.HasPrefix(seg, escapeChar) || strings.HasPrefix(seg, internalPrefix) {
		return escapeChar + seg
	}
	return seg
}

// unescape maps a file name back to a key segment. Internal names, and
// names escape never makes (a "%" before a segment that needs no escaping,
// put there by another program), report ok false: listing them would show
// keys that Head cannot find.
func unescape(name string) (seg string, ok bool) {
	if strings.HasPrefix(name, internalPrefix) {
		return "", false
	}
	if seg, escaped := strings.CutPrefix(name, escapeChar); escaped {
		return seg, escape(seg) == name
	}
	return name, true
}

// segments splits a key at "/"; a key ending in "/" has an empty last
// segment.
func segments(key string) []string { return strings.Split(key, "/") }

// loc is where an object's data and sidecar live.
type loc struct {
	data, meta string
}

// dirPath is the directory for the key segments segs.
func (s *Store) dirPath(segs []string) string {
	parts := make([]string, 0, len(segs)+1)
	parts = append(parts, s.root)
	for _, seg := range segs {
		parts = append(parts, escape(seg))
	}
	return filepath.Join(parts...)
}

// locate finds where key lives now. It reads the tree, so the caller holds
// s.mu (shared is enough).
func (s *Store) locate(key string) loc {
	segs := segments(key)
	dir := s.dirPath(segs[:len(segs)-1])
	last := segs[len(segs)-1]
	if last == "" {
		return loc{filepath.Join(dir, markerData), filepath.Join(dir, markerMeta)}
	}
	name := escape(last)
	p := filepath.Join(dir, name)
	if fi, err := os.Lstat(p); err == nil && fi.IsDir() {
		return loc{filepath.Join(p, selfData), filepath.Join(p, selfMeta)}
	}
	return loc{p, filepath.Join(dir, metaPrefix+name)}
}

// prepare makes the directories key needs and returns where key goes. An
// object in the way of a directory ("a" when writing "a/b") moves into the
// new directory as its self object. The caller holds s.mu exclusively.
func (s *Store) prepare(key string) (loc, error) {
	segs := segments(key)
	dir := s.root
	for _, seg := range segs[:len(segs)-1] {
		name := escape(seg)
		p := filepath.Join(dir, name)
		fi, err := os.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := os.Mkdir(p, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
				return loc{}, err
			}
		case err != nil:
			return loc{}, err
		case fi.Mode().IsRegular():
			if err := s.fileToDir(dir, name); err != nil {
				return loc{}, err
			}
		case !fi.IsDir():
			// A link or device made by someone else: leave it alone.
			return loc{}, storage.Errorf("put", key, storage.ErrNotSupported,
				fmt.Errorf("%s is neither a file nor a directory", p))
		}
		dir = p
	}
	return s.locate(key), nil
}

// fileToDir turns the object file dir/name into a directory holding it as
// its self object. The caller holds s.mu exclusively.
func (s *Store) fileToDir(dir, name string) error {
	p := filepath.Join(dir, name)
	tmp, err := os.MkdirTemp(s.tmpDir, "move-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	moved := filepath.Join(tmp, "data")
	if err := os.Rename(p, moved); err != nil {
		return err
	}
	if err := os.Mkdir(p, 0o755); err != nil {
		_ = os.Rename(moved, p)
		return err
	}
	if err := os.Rename(moved, filepath.Join(p, selfData)); err != nil {
		return err
	}
	err = os.Rename(filepath.Join(dir, metaPrefix+name), filepath.Join(p, selfMeta))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// prune removes the now empty directories from dir up to the root. The
// caller holds s.mu exclusively.
func (s *Store) prune(dir string) {
	for dir != s.root && strings.HasPrefix(dir, s.root) {
		if os.Remove(dir) != nil {
			return
		}
		dir = filepath.Dir(dir)
	}
}

func isNotDir(err error) bool      { return errors.Is(err, syscall.ENOTDIR) }
func isNameTooLong(err error) bool { return errors.Is(err, syscall.ENAMETOOLONG) }
