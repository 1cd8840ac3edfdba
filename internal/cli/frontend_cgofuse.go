//go:build windows || (linux && cgofuse)

package cli

import (
	"github.com/a9de3765/cloudfuse/internal/cgofs"
	"github.com/a9de3765/cloudfuse/internal/fsrules"
	"github.com/a9de3765/cloudfuse/internal/vfs"
)

// frontendName names the FUSE frontend of this build.
const frontendName = "cgofuse"

// mountFrontend serves v at mnt through cgofuse: WinFsp on Windows,
// libfuse3 on Linux builds made for the frontend tests.
func mountFrontend(mnt string, v *vfs.FS, o fsrules.Options) (served, error) {
	return cgofs.Mount(mnt, v, o)
}
