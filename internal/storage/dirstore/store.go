// Package dirstore keeps objects in a local directory, one file per object,
// so a mount can be tried and tested without a cloud store (Cloudfuse calls
// this loopback).
//
// # Layout
//
// Key segments map to directories and the last segment to a file, so a
// tree written through the store reads naturally with ls:
//
//	photos/a.jpg                        object "photos/a.jpg"
//	photos/.cloudfuse.meta.a.jpg        its sidecar: ETag, content type, metadata (JSON)
//	photos/.cloudfuse.marker            object "photos/" (a directory marker)
//	photos/.cloudfuse.marker.meta       its sidecar
//	a/.cloudfuse.self                   object "a" while keys under "a/" exist too
//	a/.cloudfuse.self.meta              its sidecar
//	.cloudfuse/tmp/                     files being written, renamed into place
//	.cloudfuse/uploads/                 parts of multipart uploads in progress
//
// Names starting with ".cloudfuse" are the store's own and never listed. A
// segment that is "." or "..", starts with "%", or starts with ".cloudfuse"
// is stored with "%" in front. Files found without a sidecar (put there by
// other programs) are objects without metadata whose ETag comes from their
// size, modification time and inode; a sidecar whose recorded size and time
// no longer match its file is treated the same way.
//
// Writes go to a temporary file that is renamed into place, so readers see
// the old or the new object, never a mix; an open reader keeps reading the
// version it opened. One Store per directory: two stores (or processes)
// writing the same tree may race.
package dirstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/internal/keyspace"
)

// DefaultMinPartSize is S3's smallest part but the last, kept for fidelity.
const DefaultMinPartSize = 5 << 20

// Options configures a Store.
type Options struct {
	// MinPartSize is the smallest part but the last; 0 means
	// DefaultMinPartSize.
	MinPartSize int64
}

// Store is a directory used as an object store, safe for concurrent use.
type Store struct {
	root       string
	tmpDir     string
	uploadsDir string
	caps       storage.Caps

	// mu orders changes to the tree: readers (head, get, list) hold it
	// shared while they resolve keys and open files; writers hold it
	// exclusively while they check preconditions and rename files into
	// place. Data is written to temporary files without it. Lock order:
	// upload.mu before mu.
	mu     sync.RWMutex
	closed bool
}

var errClosed = errors.New("store is closed")

// New opens root (creating it if needed) as a store.
func New(root string, opts Options) (*Store, error) {
	if opts.MinPartSize <= 0 {
		opts.MinPartSize = DefaultMinPartSize
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("dirstore: %w", err)
	}
	s := &Store{
		root:       abs,
		tmpDir:     filepath.Join(abs, internalDir, "tmp"),
		uploadsDir: filepath.Join(abs, internalDir, "uploads"),
		caps: storage.Caps{
			Name:              "dir",
			MaxKeyLen:         1024,
			MinPartSize:       opts.MinPartSize,
			MaxPartSize:       5 << 30,
			MaxParts:          10000,
			MaxPutSize:        5 << 30,
			MaxMetadataBytes:  8 << 10,
			ConditionalCreate: true,
			ConditionalWrite:  true,
			ListMetadata:      true,
		},
	}
	for _, d := range []string{s.root, s.tmpDir, s.uploadsDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("dirstore: %w", err)
		}
	}
	// Leftovers of a crashed process: temporary files are never needed
	// again, and uploads nobody finished in a day are abandoned.
	sweep(s.tmpDir, time.Hour)
	sweep(s.uploadsDir, 24*time.Hour)
	return s, nil
}

// sweep removes entries of dir not modified within age.
func sweep(dir string, age time.Duration) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > age {
			_ = os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
}

// Root is the directory the store keeps its objects in.
func (s *Store) Root() string { return s.root }

// Caps describes the store's limits.
func (s *Store) Caps() storage.Caps { return s.caps }

// Close makes every later call fail. It is safe to call more than once.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// begin checks the context, the key and that the store is open.
func (s *Store) begin(ctx context.Context, op, key string) error {
	if err := ctx.Err(); err != nil {
		return storage.Errorf(op, key, nil, err)
	}
	if err := s.checkKey(op, key); err != nil {
		return err
	}
	s.mu.RLock()
	closed := s.closed
	s.mu.RUnlock()
	if closed {
		return storage.Errorf(op, key, nil, errClosed)
	}
	return nil
}

// checkKey applies the general key rules and the file system's limit on
// one name.
func (s *Store) checkKey(op, key string) error {
	if err := keyspace.CheckKey(op, key, s.caps.MaxKeyLen); err != nil {
		return err
	}
	for _, seg := range segments(key) {
		if len(escape(seg)) > maxNameLen {
			return storage.Errorf(op, key, storage.ErrInvalidKey,
				fmt.Errorf("segment of %d bytes is longer than the %d a file name may have here", len(seg), maxNameLen))
		}
	}
	return nil
}

// kindOf maps a file system error to a storage sentinel.
func kindOf(err error) error {
	switch {
	case errors.Is(err, os.ErrNotExist), isNotDir(err):
		return storage.ErrNotFound
	case errors.Is(err, os.ErrPermission):
		return storage.ErrPermission
	case isNameTooLong(err):
		return storage.ErrInvalidKey
	}
	return nil
}

func wrapErr(op, key string, err error) error {
	if err == nil {
		return nil
	}
	var se *storage.Error
	if errors.As(err, &se) {
		return err
	}
	return storage.Errorf(op, key, kindOf(err), err)
}
