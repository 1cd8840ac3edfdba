//go:build windows || (linux && cgo && cgofuse)

package cgofs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/winfsp/cgofuse/fuse"

	"github.com/a9de3765/cloudfuse/internal/fsrules"
	"github.com/a9de3765/cloudfuse/internal/vfs"
)

// noHandle is the file handle cgofuse passes when there is none.
const noHandle = ^uint64(0)

// fileSystem serves one vfs through cgofuse.
type fileSystem struct {
	fuse.FileSystemBase
	v    *vfs.FS
	opts fsrules.Options
	log  *slog.Logger

	mu      sync.Mutex
	next    uint64
	handles map[uint64]*vfs.Handle // open files by handle number
	dirs    map[uint64][]vfs.DirEntry

	ready chan struct{} // closed by Init: the mount is up
	once  sync.Once
}

// Server is a running mount.
type Server struct {
	host *fuse.FileSystemHost
	done chan struct{}
	ok   bool // what Mount returned
}

// Wait blocks until the mount ends.
func (s *Server) Wait() { <-s.done }

// Unmount asks the FUSE library to unmount.
func (s *Server) Unmount() error {
	if !s.host.Unmount() {
		return errors.New("unmount refused (is the mount busy?)")
	}
	return nil
}

// Mount serves v at mountpoint and returns once the mount is up.
func Mount(mountpoint string, v *vfs.FS, opts fsrules.Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	f := &fileSystem{v: v, opts: opts, log: opts.Logger, handles: map[uint64]*vfs.Handle{},
		dirs: map[uint64][]vfs.DirEntry{}, ready: make(chan struct{})}
	host := fuse.NewFileSystemHost(f)
	host.SetCapReaddirPlus(true)
	host.SetCapCaseInsensitive(false)
	if opts.DirectIO {
		host.SetDirectIO(true)
	}
	s := &Server{host: host, done: make(chan struct{})}
	args := mountArgs(opts)
	go func() {
		defer close(s.done)
		s.ok = host.Mount(mountpoint, args)
	}()
	select {
	case <-f.ready:
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("mount %s: the FUSE library refused the mount (options %s)", mountpoint, strings.Join(args, " "))
	case <-time.After(30 * time.Second):
		host.Unmount()
		return nil, fmt.Errorf("mount %s: the FUSE library did not start within 30s", mountpoint)
	}
}

// Init runs once the mount is up.
func (f *fileSystem) Init() { f.once.Do(func() { close(f.ready) }) }

// rel turns cgofuse's "/a/b" into vfs's "a/b" ("" for the root).
func rel(path string) string { return strings.Trim(path, "/") }

// observe reports one finished operation.
func (f *fileSystem) observe(op string, start time.Time) {
	if f.opts.Observer != nil {
		f.opts.Observer.FuseOp(op, time.Since(start))
	}
}

// fail maps err to cgofuse's negative error code, counting and logging it.
func (f *fileSystem) fail(op, p string, err error) int {
	en := fsrules.Errno(err)
	if f.opts.Observer != nil {
		f.opts.Observer.FuseError(op, en)
	}
	if en == syscall.EIO {
		f.log.Error("operation failed", "op", op, "path", p, "err", err)
	} else {
		f.log.Debug("operation refused", "op", op, "path", p, "errno", en.Error(), "err", err)
	}
	return -code(en)
}

// ctx is the context of a request: cgofuse passes none, and a change to
// the store is never abandoned half-way.
func ctx() context.Context { return context.Background() }

// caller is the user and group of the request.
func caller() (uid, gid uint32) {
	uid, gid, _ = fuse.Getcontext()
	return uid, gid
}

// handle returns the open file fh, or nil.
func (f *fileSystem) handle(fh uint64) *vfs.Handle {
	if fh == noHandle {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.handles[fh]
}

// keep records an open file and returns its handle number.
func (f *fileSystem) keep(h *vfs.Handle) uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	f.handles[f.next] = h
	return f.next
}

// fillStat converts vfs attributes.
func fillStat(a vfs.Attr, st *fuse.Stat_t) {
	*st = fuse.Stat_t{
		Mode:    fsrules.Mode(a),
		Nlink:   1,
		Uid:     a.UID,
		Gid:     a.GID,
		Rdev:    uint64(a.Rdev),
		Size:    a.Size,
		Atim:    fuse.NewTimespec(a.Atime),
		Mtim:    fuse.NewTimespec(a.Mtime),
		Ctim:    fuse.NewTimespec(a.Ctime),
		Blksize: 4096,
		Blocks:  int64(fsrules.Blocks(a.Size)),
	}
}
