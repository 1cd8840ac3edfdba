package fsrules

import (
	"context"
	"path"

	"github.com/a9de3765/cloudfuse/internal/vfs"
)

// Access is the access mode of an open.
type Access int

// Access modes.
const (
	ReadOnly Access = iota
	WriteOnly
	ReadWrite
)

// Flags are the open(2) flags a frontend received, decoded from its own
// encoding (the kernel's for go-fuse, cgofuse's constants otherwise).
type Flags struct {
	Access                     Access
	Append, Trunc, Creat, Excl bool
}

// VFS is what the filesystem core needs to know of an open.
func (f Flags) VFS() vfs.OpenFlags {
	return vfs.OpenFlags{Write: f.Access != ReadOnly, Truncate: f.Trunc, Excl: f.Excl}
}

// RefusedUnderWriteback applies the rule BlobFuse2 and Cloudfuse document
// for the kernel writeback cache: the kernel then reads pages of files
// opened write-only and keeps appending writes in its cache, so with
// strict open flags (ignore-open-flags: false) an open or create with
// O_WRONLY or O_APPEND fails with EINVAL. By default (ignore-open-flags:
// true) such opens proceed: writes arrive with explicit offsets, and the
// kernel places appended data at the end of the file itself.
func (f Flags) RefusedUnderWriteback(writeback, strict bool) bool {
	return writeback && strict && (f.Access == WriteOnly || f.Append)
}

// String names the flags, for logs.
func (f Flags) String() string {
	s := [...]string{"O_RDONLY", "O_WRONLY", "O_RDWR"}[f.Access]
	for _, b := range []struct {
		on   bool
		name string
	}{{f.Append, "O_APPEND"}, {f.Trunc, "O_TRUNC"}, {f.Creat, "O_CREAT"}, {f.Excl, "O_EXCL"}} {
		if b.on {
			s += "|" + b.name
		}
	}
	return s
}

// Mode is the st_mode of a: type bits and permissions.
func Mode(a vfs.Attr) uint32 { return a.Kind.TypeBits() | a.Mode }

// Blocks is the st_blocks of a file of size bytes (512-byte units).
func Blocks(size int64) uint64 { return (uint64(size) + 511) / 512 }

// Parent is the vfs path of p's directory ("" for the root).
func Parent(p string) string {
	d := path.Dir(p)
	if d == "." || d == "/" {
		return ""
	}
	return d
}

// setgid is S_ISGID.
const setgid = 0o2000

// Inherit applies the setgid bit of the directory parent to a new entry
// in it, as a local filesystem does: the entry takes the directory's
// group, and a new directory keeps the setgid bit.
func Inherit(ctx context.Context, v *vfs.FS, parent string, gid, mode uint32, dir bool) (uint32, uint32) {
	a, err := v.Lookup(ctx, parent)
	if err != nil || a.Mode&setgid == 0 {
		return gid, mode
	}
	if dir {
		mode |= setgid
	}
	return a.GID, mode
}
