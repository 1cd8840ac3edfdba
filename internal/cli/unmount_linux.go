package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"golang.org/x/sys/unix"
)

// unmountPath unmounts with fusermount3 (or fusermount), falling back to
// umount(2) when running as root.
func (a *app) unmountPath(path string, lazy bool) error {
	var tried []string
	for _, prog := range []string{"fusermount3", "fusermount"} {
		bin, err := exec.LookPath(prog)
		if err != nil {
			continue
		}
		args := []string{"-u"}
		if lazy {
			args = append(args, "-z")
		}
		out, err := exec.Command(bin, append(args, path)...).CombinedOutput()
		if err == nil {
			return nil
		}
		if strings.Contains(string(out), "busy") {
			return errBusy
		}
		tried = append(tried, fmt.Sprintf("%s: %s", prog, strings.TrimSpace(firstNonEmpty(string(out), err.Error()))))
		break
	}
	if os.Geteuid() == 0 {
		flags := 0
		if lazy {
			flags = unix.MNT_DETACH
		}
		err := unix.Unmount(path, flags)
		if err == nil {
			return nil
		}
		if errors.Is(err, unix.EBUSY) {
			return errBusy
		}
		tried = append(tried, fmt.Sprintf("umount: %v", err))
	}
	if len(tried) == 0 {
		return fmt.Errorf("unmount %s: fusermount3 not found (install fuse3) and not running as root", path)
	}
	return fmt.Errorf("unmount %s: %s", path, strings.Join(tried, "; "))
}
