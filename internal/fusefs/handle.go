//go:build linux

package fusefs

import (
	"context"
	"errors"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/a9de3765/cloudfuse/internal/vfs"
)

// handle is an open file.
type handle struct {
	h    *vfs.Handle
	n    *node
	mode openMode // how the kernel serves its data (passthrough.go)
}

var (
	_ fs.FileReader   = (*handle)(nil)
	_ fs.FileWriter   = (*handle)(nil)
	_ fs.FileFlusher  = (*handle)(nil)
	_ fs.FileFsyncer  = (*handle)(nil)
	_ fs.FileReleaser = (*handle)(nil)
)

func (h *handle) fail(op string, err error) syscall.Errno {
	p, _ := h.n.path()
	if errors.Is(err, vfs.ErrLost) {
		h.n.lost()
	}
	return h.n.fail(op, p, err)
}

// Read serves file data.
func (h *handle) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	ctx = detach(ctx)
	defer h.n.m.observe("read", time.Now(), h.n, "")
	bufs, release, err := h.h.ReadShared(ctx, dest, off)
	if err != nil {
		release()
		return nil, h.fail("read", err)
	}
	res := &sharedResult{bufs: bufs, release: release}
	for _, b := range bufs {
		res.size += len(b)
	}
	if o := h.n.m.opts.Observer; o != nil {
		o.FuseBytes("read", res.size)
	}
	return res, 0
}

// sharedResult answers a read with slices of the daemon's read buffers,
// written to the kernel with one writev and no copy; the buffers are
// given back (release) once the reply is sent.
type sharedResult struct {
	bufs    [][]byte
	size    int
	release func()
}

func (r *sharedResult) Size() int { return r.size }

func (r *sharedResult) Done() { r.release() }

// Slices lets go-fuse write the slices as they are.
func (r *sharedResult) Slices() ([][]byte, fuse.Status) { return r.bufs, fuse.OK }

// Bytes returns the data in one slice, joining the slices into buf when
// there are several.
func (r *sharedResult) Bytes(buf []byte) ([]byte, fuse.Status) {
	if len(r.bufs) == 1 {
		return r.bufs[0], fuse.OK
	}
	if len(buf) < r.size {
		buf = make([]byte, r.size)
	}
	n := 0
	for _, b := range r.bufs {
		n += copy(buf[n:], b)
	}
	return buf[:n], fuse.OK
}

// Write stores file data.
func (h *handle) Write(ctx context.Context, data []byte, off int64) (uint32, syscall.Errno) {
	defer h.n.m.observe("write", time.Now(), h.n, "")
	ctx = detach(ctx)
	n, err := h.h.Write(ctx, data, off)
	if err != nil {
		return uint32(n), h.fail("write", err)
	}
	if o := h.n.m.opts.Observer; o != nil {
		o.FuseBytes("write", n)
	}
	return uint32(n), 0
}

// Flush runs on every close(2) of a descriptor: changed data is uploaded
// here so close reports upload errors.
func (h *handle) Flush(ctx context.Context) syscall.Errno {
	defer h.n.m.observe("flush", time.Now(), h.n, "")
	ctx = detach(ctx)
	if err := h.h.FlushOnClose(ctx); err != nil {
		return h.fail("flush", err)
	}
	return 0
}

// Fsync uploads changed data.
func (h *handle) Fsync(ctx context.Context, flags uint32) syscall.Errno {
	defer h.n.m.observe("fsync", time.Now(), h.n, "")
	ctx = detach(ctx)
	if err := h.h.Flush(ctx); err != nil {
		return h.fail("fsync", err)
	}
	return 0
}

// Release drops the handle after the last descriptor is closed.
func (h *handle) Release(ctx context.Context) syscall.Errno {
	defer h.n.m.observe("release", time.Now(), h.n, "")
	ctx = detach(ctx)
	h.n.forget(h.h)
	h.n.count(h.mode, -1)
	if err := h.h.Release(ctx); err != nil {
		return h.fail("release", err)
	}
	return 0
}
