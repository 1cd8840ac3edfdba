package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// mountUsers lists the processes that keep the mount at mnt busy: an open
// file, a working or root directory inside it. Processes this user cannot
// inspect are not listed.
func mountUsers(mnt string) []string {
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	inside := func(p string) bool { return p == mnt || strings.HasPrefix(p, mnt+"/") }
	self := os.Getpid()
	var out []string
	for _, d := range procs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil || pid == self {
			continue
		}
		base := filepath.Join("/proc", d.Name())
		uses := 0
		for _, l := range []string{"cwd", "root"} {
			if t, err := os.Readlink(filepath.Join(base, l)); err == nil && inside(t) {
				uses++
			}
		}
		fds, _ := os.ReadDir(filepath.Join(base, "fd"))
		for _, fd := range fds {
			if t, err := os.Readlink(filepath.Join(base, "fd", fd.Name())); err == nil && inside(t) {
				uses++
			}
		}
		if uses == 0 {
			continue
		}
		comm, _ := os.ReadFile(filepath.Join(base, "comm"))
		out = append(out, fmt.Sprintf("pid %d (%s)", pid, strings.TrimSpace(string(comm))))
	}
	sort.Strings(out)
	return out
}

// busyText says who keeps mnt busy, in a few words.
func busyText(mnt string) string {
	users := mountUsers(mnt)
	switch {
	case len(users) == 0:
		return "files or directories in it are in use"
	case len(users) > 4:
		return fmt.Sprintf("in use by %s and %d more", strings.Join(users[:4], ", "), len(users)-4)
	}
	return "in use by " + strings.Join(users, ", ")
}
