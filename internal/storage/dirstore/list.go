package dirstore

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/internal/keyspace"
)

// List returns one page of keys in lexical order, walking the tree depth
// first with each directory's entries sorted as their keys sort.
func (s *Store) List(ctx context.Context, opts storage.ListOptions) (storage.ListPage, error) {
	if err := ctx.Err(); err != nil {
		return storage.ListPage{}, storage.Errorf("list", opts.Prefix, nil, err)
	}
	page, err := keyspace.NewPage(opts)
	if err != nil {
		return storage.ListPage{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return storage.ListPage{}, storage.Errorf("list", opts.Prefix, nil, errClosed)
	}
	if dir, keyPrefix, ok := s.startDir(opts.Prefix); ok {
		if _, err := s.walk(ctx, page, dir, keyPrefix); err != nil {
			return storage.ListPage{}, wrapErr("list", opts.Prefix, err)
		}
	}
	return page.Result(), nil
}

// startDir is the deepest directory holding every key with prefix, and the
// key prefix of that directory; ok is false when no key can match.
func (s *Store) startDir(prefix string) (dir, keyPrefix string, ok bool) {
	segs := segments(prefix)
	dir = s.root
	for _, seg := range segs[:len(segs)-1] {
		if seg == "" {
			return "", "", false
		}
		p := filepath.Join(dir, escape(seg))
		if fi, err := os.Lstat(p); err != nil || !fi.IsDir() {
			return "", "", false
		}
		dir, keyPrefix = p, keyPrefix+seg+"/"
	}
	return dir, keyPrefix, true
}

type entryKind int

const (
	entryFile entryKind = iota // an object file
	entrySelf                  // the object named like a directory
	entryDir                   // the keys inside a directory
)

// entry is one step of a directory walk. Its sort string orders entries as
// their keys order: a file or self object by its segment, a directory by
// its segment and "/", since every key inside starts with that.
type entry struct {
	sort string
	name string
	kind entryKind
}

// walk offers the keys in dir (whose keys start with keyPrefix) to page in
// order. It returns false when the page is full.
func (s *Store) walk(ctx context.Context, page *keyspace.Page, dir, keyPrefix string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if keyPrefix != "" {
		l := loc{filepath.Join(dir, markerData), filepath.Join(dir, markerMeta)}
		if !page.Add(keyPrefix, objectAt(keyPrefix, l)) {
			return false, nil
		}
	}
	entries, err := s.readEntries(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return true, nil
		}
		return false, err
	}
	for _, e := range entries {
		if page.SkipPrefix(keyPrefix) {
			return true, nil // the rest of this directory is rolled up
		}
		key := keyPrefix + strings.TrimSuffix(e.sort, "/")
		var l loc
		switch e.kind {
		case entryFile:
			l = loc{filepath.Join(dir, e.name), filepath.Join(dir, metaPrefix+e.name)}
		case entrySelf:
			l = loc{filepath.Join(dir, e.name, selfData), filepath.Join(dir, e.name, selfMeta)}
		case entryDir:
			if page.SkipPrefix(key + "/") {
				continue
			}
			more, err := s.walk(ctx, page, filepath.Join(dir, e.name), key+"/")
			if err != nil || !more {
				return more, err
			}
			continue
		}
		if !page.Add(key, objectAt(key, l)) {
			return false, nil
		}
	}
	return true, nil
}

// readEntries lists dir's objects and subdirectories in key order.
// Symbolic links to files count as files; links to directories are not
// followed.
func (s *Store) readEntries(dir string) ([]entry, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := make([]entry, 0, len(des))
	for _, de := range des {
		seg, ok := unescape(de.Name())
		if !ok {
			continue
		}
		isDir := de.IsDir()
		switch {
		case de.Type()&fs.ModeSymlink != 0:
			fi, err := os.Stat(filepath.Join(dir, de.Name()))
			if err != nil || !fi.Mode().IsRegular() {
				continue
			}
		case !isDir && !de.Type().IsRegular():
			continue
		}
		if isDir {
			out = append(out, entry{seg, de.Name(), entrySelf}, entry{seg + "/", de.Name(), entryDir})
		} else {
			out = append(out, entry{seg, de.Name(), entryFile})
		}
	}
	// Names are unique, so a file and a directory never share a segment.
	slices.SortFunc(out, func(a, b entry) int { return strings.Compare(a.sort, b.sort) })
	return out, nil
}

// objectAt describes the object at l for a listing; a vanished or
// non-file entry reports false.
func objectAt(key string, l loc) func() (storage.Object, bool) {
	return func() (storage.Object, bool) {
		fi, sc, err := statObject("list", key, l)
		if err != nil {
			return storage.Object{}, false
		}
		return describe(key, fi, sc), true
	}
}
