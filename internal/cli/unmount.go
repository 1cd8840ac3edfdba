package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

func (a *app) unmountCmd() *cobra.Command {
	var lazy bool
	cmd := &cobra.Command{
		Use:   "unmount <path>",
		Short: "Unmount a cloudfuse mount",
		Long: "Unmount the cloudfuse mount at path with fusermount3 -u (as root, with umount(2) when\n" +
			"fusermount3 is missing or fails). The daemon then uploads pending files and exits.",
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(_ *cobra.Command, args []string) error {
			return a.unmount(args[0], lazy)
		},
	}
	cmd.Flags().BoolVarP(&lazy, "lazy", "z", false, "detach now even if busy; finish when the last file is closed")
	return cmd
}

func (a *app) unmount(path string, lazy bool) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	entries, err := readMountInfo(a.mountinfo)
	if err != nil {
		return err
	}
	e, ok := findMount(entries, abs)
	switch {
	case !ok:
		return fmt.Errorf("%s is not mounted", abs)
	case !e.ours():
		return fmt.Errorf("%s is not a cloudfuse mount (it is %s)", abs, e.FSType)
	}
	return unmountPath(abs, lazy)
}

// unmountPath unmounts with fusermount3 (or fusermount), falling back to
// umount(2) when running as root.
func unmountPath(path string, lazy bool) error {
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
			return fmt.Errorf("unmount %s: the mount is busy (close the files and shells using it, or use --lazy)", path)
		}
		tried = append(tried, fmt.Sprintf("umount: %v", err))
	}
	if len(tried) == 0 {
		return fmt.Errorf("unmount %s: fusermount3 not found (install fuse3) and not running as root", path)
	}
	return fmt.Errorf("unmount %s: %s", path, strings.Join(tried, "; "))
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if strings.TrimSpace(x) != "" {
			return x
		}
	}
	return ""
}
