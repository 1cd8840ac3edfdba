//go:build linux

// Package fusefs adapts vfs to the kernel through go-fuse: one node per
// inode, paths resolved from the inode tree, errors mapped in errno.go.
package fusefs

import (
	"fmt"
	"log"
	"log/slog"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/a9de3765/cloudfuse/internal/vfs"
)

// Mount serves v at mountpoint and returns once the kernel has the mount.
// The caller stops it with server.Unmount() and waits with server.Wait().
func Mount(mountpoint string, v *vfs.FS, opts Options) (*fuse.Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	m := &mount{v: v, opts: opts, log: opts.Logger, writeback: writeback(opts), inos: newInoTable()}
	root := &node{m: m}
	entry, attr, neg := opts.EntryTimeout, opts.AttrTimeout, opts.NegativeTimeout
	mo := fuse.MountOptions{
		AllowOther:    opts.AllowOther,
		FsName:        opts.FSName,
		Name:          "cloudfuse",
		MaxWrite:      1 << 20,
		MaxReadAhead:  kernelReadAhead,
		MaxBackground: 64,
		DirectMount:   true,
		// Extended attributes are served (xattr.go): user.* names are
		// object metadata; other namespaces are answered from memory,
		// the ACL probes too (not go-fuse's IgnoreSecurityLabels, whose
		// ENODATA would have ls ask again for every entry).
		DisableXAttrs: opts.DisableXattrs,
		Debug:         opts.Debug,
		Options:       append([]string(nil), opts.Options...),
	}
	if opts.ReadOnly {
		mo.Options = append(mo.Options, "ro")
	}
	if !opts.NoDefaultPermissions {
		// The kernel checks access, sticky directories, chown and chmod
		// rules against the attributes we report, as on a local disk.
		mo.Options = append(mo.Options, "default_permissions")
	}
	if m.writeback {
		mo.ExtraCapabilities |= fuse.CAP_WRITEBACK_CACHE
	}
	// The kernel asks for entries with their attributes (READDIRPLUS)
	// at the start of a directory and then only while the program stats
	// what it reads, as libfuse lets it: `ls -f` or `find -name` of a
	// directory of a million names then makes no inode for each of them
	// here and in the kernel (1.2 GB against 0.8 GB of RSS for `ls -f`
	// of a million, and 11% faster).
	mo.ExtraCapabilities |= fuse.CAP_READDIRPLUS_AUTO
	// mmap(MAP_SHARED) of a file opened for direct I/O goes through the
	// page cache instead of failing with ENODEV.
	mo.ExtraCapabilities |= fuse.CAP_DIRECT_IO_ALLOW_MMAP
	if opts.Debug {
		mo.Logger = log.New(&slogWriter{l: opts.Logger}, "", 0)
	}
	fopts := &fs.Options{
		MountOptions: mo,
		// Mode 0000 is a real mode here (chmod 000), not "unset".
		NullPermissions: true,
		EntryTimeout:    &entry,
		AttrTimeout:     &attr,
		NegativeTimeout: &neg,
	}
	// fs.Mount, in steps: NewServer mounts and answers the kernel's INIT,
	// and the kernel's settings must be known before the first request is
	// served (the mount shows in the mount table, and programs use it,
	// before fs.Mount would return).
	srv, err := fuse.NewServer(fs.NewNodeFS(root, fopts), mountpoint, &fopts.MountOptions)
	if err != nil {
		return nil, fmt.Errorf("mount %s: %w", mountpoint, err)
	}
	m.directStreams.Store(srv.KernelSettings().Flags64()&fuse.CAP_DIRECT_IO_ALLOW_MMAP != 0)
	m.srv = srv
	m.passthrough.Store(passthroughEnabled(opts, m.writeback, srv.KernelSettings()))
	go srv.Serve()
	if err := srv.WaitMount(); err != nil {
		return nil, fmt.Errorf("mount %s: %w", mountpoint, err)
	}
	raiseReadAhead(mountpoint, kernelReadAhead, opts.Logger)
	return srv, nil
}

// writeback says whether the mount asks for the kernel writeback cache.
func writeback(opts Options) bool {
	return !opts.DisableWritebackCache && !opts.ReadOnly && !opts.DirectIO
}

// slogWriter sends go-fuse's debug lines to the mount's logger.
type slogWriter struct{ l *slog.Logger }

func (w *slogWriter) Write(p []byte) (int, error) {
	w.l.Debug("fuse", "msg", string(p))
	return len(p), nil
}
