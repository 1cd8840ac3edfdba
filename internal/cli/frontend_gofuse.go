//go:build linux && !cgofuse

package cli

import (
	"github.com/a9de3765/cloudfuse/internal/fsrules"
	"github.com/a9de3765/cloudfuse/internal/fusefs"
	"github.com/a9de3765/cloudfuse/internal/vfs"
)

// frontendName names the FUSE frontend of this build.
const frontendName = "go-fuse"

// mountFrontend serves v at mnt through go-fuse, the Linux release
// frontend.
func mountFrontend(mnt string, v *vfs.FS, o fsrules.Options) (served, error) {
	return fusefs.Mount(mnt, v, o)
}
