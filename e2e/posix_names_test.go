//go:build linux

package e2e

import (
	"strings"

	"golang.org/x/sys/unix"
)

const posixDocPathMax = "docs/semantics.md: a path below the mount's root is limited to 1,012 bytes"

// nameChecks: every call answers ENAMETOOLONG for a name over 255 bytes
// and for a path over the store's limit, lookups included.
func nameChecks() []posixCheck {
	long := func(c *pc) string { return c.p(posixName(256)) }
	return []posixCheck{
		{name: "stat, lstat and access of a 256-byte name are ENAMETOOLONG", run: func(c *pc) {
			var st unix.Stat_t
			c.errno("stat", unix.Stat(long(c), &st), unix.ENAMETOOLONG)
			c.errno("lstat", unix.Lstat(long(c), &st), unix.ENAMETOOLONG)
			c.errno("access", unix.Access(long(c), unix.F_OK), unix.ENAMETOOLONG)
		}},
		{name: "open, unlink, rmdir and chmod of a 256-byte name are ENAMETOOLONG", run: func(c *pc) {
			_, err := unix.Open(long(c), unix.O_RDONLY, 0)
			c.errno("open", err, unix.ENAMETOOLONG)
			c.errno("unlink", unix.Unlink(long(c)), unix.ENAMETOOLONG)
			c.errno("rmdir", unix.Rmdir(long(c)), unix.ENAMETOOLONG)
			c.errno("chmod", unix.Chmod(long(c), 0o644), unix.ENAMETOOLONG)
		}},
		{name: "rename from a 256-byte name is ENAMETOOLONG", run: func(c *pc) {
			c.errno("rename", unix.Rename(long(c), c.p("x")), unix.ENAMETOOLONG)
		}},
		{name: "a path beyond the store's key limit is ENAMETOOLONG, not ENOENT", unsupported: posixDocPathMax, run: func(c *pc) {
			rel := strings.TrimPrefix(c.dir, c.mountDir+"/")
			dir := c.dir
			for len(rel)+201 <= 1012 {
				dir += "/" + strings.Repeat("d", 200)
				rel += "/" + strings.Repeat("d", 200)
				c.ok("mkdir", unix.Mkdir(dir, 0o755))
			}
			fits := dir + "/" + strings.Repeat("f", 1012-len(rel)-1)
			c.ok("create at the limit", posixOpenClose(fits, unix.O_WRONLY|unix.O_CREAT))
			over := fits + "g"
			var st unix.Stat_t
			c.errno("stat", unix.Stat(over, &st), unix.ENAMETOOLONG)
			c.errno("create", posixOpenClose(over, unix.O_WRONLY|unix.O_CREAT), unix.ENAMETOOLONG)
			c.errno("mkdir", unix.Mkdir(over, 0o755), unix.ENAMETOOLONG)
		}},
	}
}
