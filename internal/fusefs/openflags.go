//go:build linux

package fusefs

import (
	"syscall"

	"github.com/a9de3765/cloudfuse/internal/fsrules"
)

// decodeFlags reads the kernel's open flags.
func decodeFlags(flags uint32) fsrules.Flags {
	f := fsrules.Flags{
		Append: flags&syscall.O_APPEND != 0,
		Trunc:  flags&syscall.O_TRUNC != 0,
		Creat:  flags&syscall.O_CREAT != 0,
		Excl:   flags&syscall.O_EXCL != 0,
	}
	switch flags & syscall.O_ACCMODE {
	case syscall.O_WRONLY:
		f.Access = fsrules.WriteOnly
	case syscall.O_RDWR:
		f.Access = fsrules.ReadWrite
	}
	return f
}

// checkOpenFlags refuses with EINVAL what fsrules.RefusedUnderWriteback
// refuses. The flags are logged at debug level as the kernel sent them;
// with the writeback cache on, Linux passes O_WRONLY and O_APPEND through.
func (m *mount) checkOpenFlags(op, p string, flags uint32) syscall.Errno {
	f := decodeFlags(flags)
	m.log.Debug("open flags", "op", op, "path", p, "flags", f.String(), "writeback_cache", m.writeback)
	if !f.RefusedUnderWriteback(m.writeback, m.opts.StrictOpenFlags) {
		return 0
	}
	m.log.Error("open with O_WRONLY or O_APPEND refused while the kernel writeback cache is on; "+
		"mount with --ignore-open-flags=true or --disable-writeback-cache=true to allow it",
		"op", op, "path", p, "flags", f.String())
	if o := m.opts.Observer; o != nil {
		o.FuseError(op, syscall.EINVAL)
	}
	return syscall.EINVAL
}
