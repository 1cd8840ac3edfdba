package fusefs

import (
	"syscall"
)

// checkOpenFlags applies the rule BlobFuse2 and Cloudfuse document for
// the kernel writeback cache: the kernel then reads pages of files opened
// write-only and keeps appending writes in its cache, so with
// StrictOpenFlags (ignore-open-flags: false) an open or create with
// O_WRONLY or O_APPEND fails with EINVAL. By default (ignore-open-flags:
// true) such opens proceed: writes arrive with explicit offsets, and the
// kernel places appended data at the end of the file itself.
//
// The flags are logged at debug level as the kernel sent them; with the
// writeback cache on, Linux passes O_WRONLY and O_APPEND through.
func (m *mount) checkOpenFlags(op, p string, flags uint32) syscall.Errno {
	wronly := flags&syscall.O_ACCMODE == syscall.O_WRONLY
	appnd := flags&syscall.O_APPEND != 0
	m.log.Debug("open flags", "op", op, "path", p, "flags", flagsString(flags), "writeback_cache", m.writeback)
	if !m.writeback || !m.opts.StrictOpenFlags || (!wronly && !appnd) {
		return 0
	}
	m.log.Error("open with O_WRONLY or O_APPEND refused while the kernel writeback cache is on; "+
		"mount with --ignore-open-flags=true or --disable-writeback-cache=true to allow it",
		"op", op, "path", p, "flags", flagsString(flags))
	if o := m.opts.Observer; o != nil {
		o.FuseError(op, syscall.EINVAL)
	}
	return syscall.EINVAL
}

// flagsString names the open flags that matter here, for logs.
func flagsString(flags uint32) string {
	s := "O_RDONLY"
	switch flags & syscall.O_ACCMODE {
	case syscall.O_WRONLY:
		s = "O_WRONLY"
	case syscall.O_RDWR:
		s = "O_RDWR"
	}
	for _, f := range []struct {
		bit  uint32
		name string
	}{{syscall.O_APPEND, "O_APPEND"}, {syscall.O_TRUNC, "O_TRUNC"}, {syscall.O_CREAT, "O_CREAT"}, {syscall.O_EXCL, "O_EXCL"}} {
		if flags&f.bit != 0 {
			s += "|" + f.name
		}
	}
	return s
}
