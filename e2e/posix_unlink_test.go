//go:build linux

package e2e

import "golang.org/x/sys/unix"

func unlinkChecks() []posixCheck {
	return []posixCheck{
		{name: "removes a file", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			c.ok("unlink", unix.Unlink(f))
			c.missing(f)
			c.gone(f)
		}},
		{name: "removes a symlink, not its target", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			l := c.symlink("f", "l", 0, 0)
			c.ok("unlink", unix.Unlink(l))
			c.missing(l)
			c.data(f, "x")
			c.gone(l)
			c.keep(f)
		}},
		{name: "removes a dangling symlink", run: func(c *pc) {
			l := c.symlink("nowhere", "l", 0, 0)
			c.ok("unlink", unix.Unlink(l))
			c.missing(l)
		}},
		{name: "a directory is EISDIR", run: func(c *pc) {
			d := c.mkdir("d", 0o755, 0, 0)
			c.errno("unlink", unix.Unlink(d), unix.EISDIR, unix.EPERM)
			c.mode(d, unix.S_IFDIR|0o755)
		}},
		{name: "a missing name is ENOENT", run: func(c *pc) {
			c.errno("unlink", unix.Unlink(c.p("none")), unix.ENOENT)
		}},
		{name: "a file used as a directory is ENOTDIR", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			c.errno("unlink", unix.Unlink(f+"/x"), unix.ENOTDIR)
		}},
		{name: "no write permission on the parent is EACCES", run: func(c *pc) {
			p := c.mkdir("p", 0o755, alice, alice)
			f := c.file("p/f", 0o666, alice, alice, "x")
			c.ok("chmod parent", unix.Chmod(p, 0o555))
			c.as(aliceC, func() { c.errno("unlink", unix.Unlink(f), unix.EACCES) })
			c.data(f, "x")
		}},
		{name: "no search permission on the parent is EACCES", run: func(c *pc) {
			p := c.mkdir("p", 0o755, alice, alice)
			f := c.file("p/f", 0o666, alice, alice, "x")
			c.ok("chmod parent", unix.Chmod(p, 0o666))
			c.as(aliceC, func() { c.errno("unlink", unix.Unlink(f), unix.EACCES) })
		}},
		{name: "the file's own mode does not matter", run: func(c *pc) {
			c.mkdir("p", 0o755, alice, alice)
			f := c.file("p/f", 0o444, 0, 0, "x")
			c.as(aliceC, func() { c.ok("unlink", unix.Unlink(f)) })
			c.missing(f)
		}},
		{name: "sticky: a non-owner cannot remove another's file", run: func(c *pc) {
			s := c.mkdir("s", 0o1777, 0, 0)
			f := c.file("s/f", 0o644, alice, alice, "x")
			c.as(bobC, func() { c.errno("unlink as bob", unix.Unlink(f), unix.EPERM, unix.EACCES) })
			c.data(f, "x")
			c.again("sticky still protects", func(c *pc) {
				c.as(bobC, func() { c.errno("unlink as bob", unix.Unlink(f), unix.EPERM, unix.EACCES) })
				c.data(f, "x")
			})
			c.keep(s)
			c.keep(f)
		}},
		{name: "sticky: write permission on the file does not help", run: func(c *pc) {
			c.mkdir("s", 0o1777, 0, 0)
			f := c.file("s/f", 0o666, alice, alice, "x")
			c.as(bobC, func() { c.errno("unlink as bob", unix.Unlink(f), unix.EPERM, unix.EACCES) })
			c.data(f, "x")
		}},
		{name: "sticky: the owner removes her file", run: func(c *pc) {
			c.mkdir("s", 0o1777, 0, 0)
			f := c.file("s/f", 0o644, alice, alice, "x")
			c.as(aliceC, func() { c.ok("unlink as alice", unix.Unlink(f)) })
			c.missing(f)
		}},
		{name: "sticky: the directory's owner removes another's file", run: func(c *pc) {
			c.mkdir("s", 0o1777, alice, alice)
			f := c.file("s/f", 0o644, bob, bob, "x")
			c.as(aliceC, func() { c.ok("unlink as alice", unix.Unlink(f)) })
			c.missing(f)
		}},
		{name: "sticky: root removes anyone's file", run: func(c *pc) {
			c.mkdir("s", 0o1777, alice, alice)
			f := c.file("s/f", 0o644, bob, bob, "x")
			c.ok("unlink as root", unix.Unlink(f))
			c.missing(f)
		}},
		{name: "an open descriptor keeps reading after unlink", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "still here")
			fd := c.open(f, unix.O_RDONLY, 0)
			c.ok("unlink", unix.Unlink(f))
			c.missing(f)
			if fd >= 0 && c.err == nil {
				got, err := posixReadFD(fd)
				c.ok("read", err)
				if c.err == nil && got != "still here" {
					c.failf("read %q after unlink", got)
				}
			}
			c.close(fd)
		}},
		{name: "writing to an unlinked file does not bring it back", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			fd := c.open(f, unix.O_RDWR, 0)
			c.ok("unlink", unix.Unlink(f))
			if fd >= 0 && c.err == nil {
				_, err := unix.Pwrite(fd, []byte("more"), 1)
				c.ok("pwrite", err)
				c.ok("fsync", unix.Fsync(fd))
			}
			c.close(fd)
			c.missing(f)
			c.gone(f)
		}},
		{name: "unlink updates the parent's mtime and ctime", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			posixParentTimes(c, func() { c.ok("unlink", unix.Unlink(f)) })
		}},
	}
}
