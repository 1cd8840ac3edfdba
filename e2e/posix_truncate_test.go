//go:build linux

package e2e

import (
	"strings"

	"golang.org/x/sys/unix"
)

func truncateChecks() []posixCheck {
	return []posixCheck{
		{name: "truncate grows a file with zeros", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "abc")
			c.ok("truncate 100", unix.Truncate(f, 100))
			c.size(f, 100)
			c.data(f, "abc"+strings.Repeat("\x00", 97))
			c.keep(f)
		}},
		{name: "truncate grows a file far beyond its data", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "abc")
			c.ok("truncate 1MiB+1", unix.Truncate(f, 1<<20+1))
			c.size(f, 1<<20+1)
			fd := c.open(f, unix.O_RDONLY, 0)
			if fd >= 0 {
				buf := make([]byte, 8)
				n, err := unix.Pread(fd, buf, 1<<20-7)
				c.ok("pread", err)
				if c.err == nil && string(buf[:n]) != strings.Repeat("\x00", 8) {
					c.failf("tail holds %q", buf[:n])
				}
			}
			c.close(fd)
		}},
		{name: "truncate shrinks a file", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "abcdef")
			c.ok("truncate 2", unix.Truncate(f, 2))
			c.size(f, 2)
			c.data(f, "ab")
			c.keep(f)
		}},
		{name: "truncate to zero", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "abcdef")
			c.ok("truncate 0", unix.Truncate(f, 0))
			c.size(f, 0)
			c.data(f, "")
			c.keep(f)
		}},
		{name: "ftruncate grows and shrinks an open file", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "abcdef")
			fd := c.open(f, unix.O_RDWR, 0)
			if fd >= 0 {
				c.ok("ftruncate 3", unix.Ftruncate(fd, 3))
				c.ok("ftruncate 5", unix.Ftruncate(fd, 5))
				var st unix.Stat_t
				c.ok("fstat", unix.Fstat(fd, &st))
				if c.err == nil && st.Size != 5 {
					c.failf("fstat size %d, want 5", st.Size)
				}
			}
			c.close(fd)
			c.data(f, "abc\x00\x00")
		}},
		{name: "ftruncate on a read-only descriptor is EINVAL", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "abc")
			fd := c.open(f, unix.O_RDONLY, 0)
			if fd >= 0 {
				c.errno("ftruncate", unix.Ftruncate(fd, 1), unix.EINVAL, unix.EBADF)
			}
			c.close(fd)
			c.data(f, "abc")
		}},
		{name: "truncate without write permission is EACCES", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "abc")
			c.as(aliceC, func() { c.errno("truncate", unix.Truncate(f, 1), unix.EACCES) })
			c.data(f, "abc")
		}},
		{name: "the owner of a 0444 file cannot truncate it", run: func(c *pc) {
			f := c.file("f", 0o444, alice, alice, "abc")
			c.as(aliceC, func() { c.errno("truncate", unix.Truncate(f, 1), unix.EACCES) })
		}},
		{name: "a non-owner with write permission truncates", run: func(c *pc) {
			f := c.file("f", 0o666, 0, 0, "abc")
			c.as(aliceC, func() { c.ok("truncate", unix.Truncate(f, 1)) })
			c.data(f, "a")
			c.owner(f, 0, 0)
		}},
		{name: "truncate of a directory is EISDIR", run: func(c *pc) {
			d := c.mkdir("d", 0o755, 0, 0)
			c.errno("truncate", unix.Truncate(d, 0), unix.EISDIR)
		}},
		{name: "truncate of a missing name is ENOENT", run: func(c *pc) {
			c.errno("truncate", unix.Truncate(c.p("none"), 0), unix.ENOENT)
		}},
		{name: "a negative length is EINVAL", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "abc")
			c.errno("truncate", unix.Truncate(f, -1), unix.EINVAL)
		}},
		{name: "truncate updates mtime and ctime", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "abc")
			m0, c0 := c.mtime(f), c.ctime(f)
			posixNextSecond()
			c.ok("truncate", unix.Truncate(f, 1))
			c.later("mtime", f, m0, c.mtime(f))
			c.later("ctime", f, c0, c.ctime(f))
		}},
		{name: "truncate keeps mode and owner", run: func(c *pc) {
			f := c.file("f", 0o640, alice, staff, "abc")
			c.ok("truncate", unix.Truncate(f, 10))
			c.owner(f, alice, staff)
			c.perm(f, 0o640)
			c.keep(f)
		}},
		{name: "truncate by a non-owner clears setuid", run: func(c *pc) {
			f := c.file("f", 0o4777, 0, 0, "abc")
			c.as(aliceC, func() { c.ok("truncate", unix.Truncate(f, 1)) })
			c.perm(f, 0o777)
		}},
		{name: "truncate through a symlink truncates the target", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "abc")
			l := c.symlink("f", "l", 0, 0)
			c.ok("truncate", unix.Truncate(l, 1))
			c.data(f, "a")
			c.mode(l, unix.S_IFLNK|0o777)
		}},
	}
}
