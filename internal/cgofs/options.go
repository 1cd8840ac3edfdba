//go:build windows || (linux && cgo && cgofuse)

package cgofs

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/a9de3765/cloudfuse/internal/fsrules"
)

// mountArgs are the FUSE library's options for opts.
func mountArgs(opts fsrules.Options) []string {
	var o []string
	if runtime.GOOS == "windows" {
		// WinFsp keeps file information this long (the kernel attribute
		// cache of Linux).
		o = append(o, fmt.Sprintf("FileInfoTimeout=%d", opts.AttrTimeout.Milliseconds()))
		if opts.FSName != "" {
			o = append(o, "volname="+opts.FSName)
		}
		if opts.WindowsSDDL != "" {
			o = append(o, "FileSecurity="+opts.WindowsSDDL)
		}
	} else {
		// cgofuse's libfuse3 init clears the library's fuse_config, so
		// attr_timeout, entry_timeout and hard_remove cannot be set here:
		// the kernel caches nothing, and an open file that is unlinked is
		// renamed to .fuse_hidden* until it closes (docs/windows.md).
		o = append(o, "subtype=cloudfuse")
		if opts.FSName != "" {
			o = append(o, "fsname="+opts.FSName)
		}
		if !opts.NoDefaultPermissions {
			o = append(o, "default_permissions")
		}
	}
	if opts.AllowOther {
		o = append(o, "allow_other")
	}
	if opts.ReadOnly {
		o = append(o, "ro")
	}
	o = append(o, opts.Options...)
	var args []string
	for _, x := range o {
		args = append(args, "-o", x)
	}
	if runtime.GOOS == "windows" && opts.NetworkShare {
		// A network drive: \\cloudfuse\<name>.
		args = append(args, `--VolumePrefix=\cloudfuse\`+shareName(opts.FSName))
	}
	if opts.Debug {
		args = append(args, "-d")
	}
	return args
}

// shareName is the share of a network drive: the mount source without its
// "cloudfuse:" and with no backslash.
func shareName(fsname string) string {
	n := strings.TrimPrefix(fsname, "cloudfuse:")
	n = strings.NewReplacer(`\`, "_", "/", "_").Replace(n)
	if n == "" {
		return "cloudfuse"
	}
	return n
}
