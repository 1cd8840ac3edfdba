package fsrules

import (
	"log/slog"
	"syscall"
	"time"
)

// Options configures the kernel side of a mount, for either frontend.
type Options struct {
	// Kernel caching windows (libfuse attribute-expiration-sec,
	// entry-expiration-sec, negative-entry-expiration-sec).
	AttrTimeout, EntryTimeout, NegativeTimeout time.Duration
	AllowOther                                 bool
	// NoDefaultPermissions turns off kernel permission checks against
	// the mode, owner and group of each entry (the FUSE default_permissions
	// option, on by default).
	NoDefaultPermissions bool
	ReadOnly             bool
	// FSName is the mount source shown in /proc/mounts ("cloudfuse:bucket").
	FSName string
	// DisableWritebackCache turns off the kernel's writeback cache.
	DisableWritebackCache bool
	// Passthrough lets the kernel read a file opened read-only straight
	// from its local copy when the copy is complete (FUSE passthrough,
	// Linux 6.9 and later, go-fuse only). The kernel does not allow it
	// together with the writeback cache.
	Passthrough bool
	// DirectIO bypasses the kernel page cache for file data.
	DirectIO bool
	// DisableXattrs answers every extended-attribute call with ENOSYS so
	// the kernel stops asking: no round trip per write(2) for its
	// security.capability probe, and no user.* attributes.
	DisableXattrs bool
	// StrictOpenFlags refuses, with EINVAL, an open or create with
	// O_WRONLY or O_APPEND while the kernel writeback cache is on, as
	// BlobFuse2 and Cloudfuse do with ignore-open-flags: false.
	StrictOpenFlags bool
	// NetworkShare mounts as a network drive, \\cloudfuse\<FSName>
	// (Windows: libfuse.network-share).
	NetworkShare bool
	// WindowsSDDL is the security descriptor of every file (Windows:
	// libfuse.windows-sddl).
	WindowsSDDL string
	// Options are extra "-o" mount options passed through to the kernel.
	Options []string
	Debug   bool
	Logger  *slog.Logger
	// Observer, if set, is told about every operation (health monitor).
	Observer Observer
}

// Observer receives per-operation counts, latencies, errors and bytes.
// Methods are called concurrently and must not block.
type Observer interface {
	FuseOp(op string, d time.Duration)
	FuseError(op string, errno syscall.Errno)
	FuseBytes(op string, n int)
	// PassthroughHandles changes the count of open handles the kernel
	// reads without the daemon by delta.
	PassthroughHandles(delta int)
}
