//go:build linux

package e2e

import "golang.org/x/sys/unix"

func chownChecks() []posixCheck {
	return []posixCheck{
		{name: "root gives a file to any uid and gid", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			c.ok("chown 4242:4343", unix.Chown(f, 4242, 4343))
			c.owner(f, 4242, 4343)
			c.keep(f)
		}},
		{name: "root gives a directory away", run: func(c *pc) {
			d := c.mkdir("d", 0o755, 0, 0)
			c.ok("chown 4242:4343", unix.Chown(d, 4242, 4343))
			c.owner(d, 4242, 4343)
			c.keep(d)
		}},
		{name: "root changes a symlink's owner with lchown", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			l := c.symlink("f", "l", 0, 0)
			c.ok("lchown 4242:4343", unix.Lchown(l, 4242, 4343))
			c.owner(l, 4242, 4343)
			c.owner(f, 0, 0)
			c.keep(l)
		}},
		{name: "chown through a symlink changes the target", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			l := c.symlink("f", "l", 0, 0)
			c.ok("chown 4242:4343", unix.Chown(l, 4242, 4343))
			c.owner(f, 4242, 4343)
			c.owner(l, 0, 0)
		}},
		{name: "lchown of a dangling symlink", run: func(c *pc) {
			l := c.symlink("nowhere", "l", 0, 0)
			c.ok("lchown", unix.Lchown(l, alice, staff))
			c.owner(l, alice, staff)
		}},
		{name: "uid -1 leaves the owner", run: func(c *pc) {
			f := c.file("f", 0o644, alice, alice, "x")
			c.ok("chown -1:4343", unix.Chown(f, -1, 4343))
			c.owner(f, alice, 4343)
		}},
		{name: "gid -1 leaves the group", run: func(c *pc) {
			f := c.file("f", 0o644, alice, alice, "x")
			c.ok("chown 4242:-1", unix.Chown(f, 4242, -1))
			c.owner(f, 4242, alice)
		}},
		{name: "-1 -1 keeps owner and mode", run: func(c *pc) {
			f := c.file("f", 0o640, alice, staff, "x")
			c.ok("chown -1:-1", unix.Chown(f, -1, -1))
			c.owner(f, alice, staff)
			c.perm(f, 0o640)
		}},
		{name: "-1 -1 still clears setuid, as Linux does", run: func(c *pc) {
			f := c.file("f", 0o4755, alice, staff, "x")
			c.ok("chown -1:-1", unix.Chown(f, -1, -1))
			c.owner(f, alice, staff)
			c.perm(f, 0o755)
		}},
		{name: "owner changes the group to one she belongs to", run: func(c *pc) {
			f := c.file("f", 0o644, alice, alice, "x")
			c.as(aliceStaffC, func() { c.ok("chown -1:staff", unix.Chown(f, -1, staff)) })
			c.owner(f, alice, staff)
			c.keep(f)
		}},
		{name: "owner changes the group back to her primary group", run: func(c *pc) {
			f := c.file("f", 0o644, alice, staff, "x")
			c.as(aliceC, func() { c.ok("chown -1:alice", unix.Chown(f, -1, alice)) })
			c.owner(f, alice, alice)
		}},
		{name: "owner may name herself as owner", run: func(c *pc) {
			f := c.file("f", 0o644, alice, alice, "x")
			c.as(aliceStaffC, func() { c.ok("chown alice:staff", unix.Chown(f, alice, staff)) })
			c.owner(f, alice, staff)
		}},
		{name: "owner cannot pick a group she is not in", run: func(c *pc) {
			f := c.file("f", 0o644, alice, alice, "x")
			c.as(aliceC, func() { c.errno("chown -1:staff", unix.Chown(f, -1, staff), unix.EPERM) })
			c.owner(f, alice, alice)
		}},
		{name: "owner cannot give her file away", run: func(c *pc) {
			f := c.file("f", 0o644, alice, alice, "x")
			c.as(aliceC, func() { c.errno("chown bob", unix.Chown(f, bob, -1), unix.EPERM) })
			c.owner(f, alice, alice)
		}},
		{name: "non-owner cannot change the group", run: func(c *pc) {
			f := c.file("f", 0o666, alice, alice, "x")
			c.as(bobStaffC, func() { c.errno("chown -1:staff as bob", unix.Chown(f, -1, staff), unix.EPERM) })
			c.owner(f, alice, alice)
		}},
		{name: "non-owner cannot take a file", run: func(c *pc) {
			f := c.file("f", 0o666, alice, alice, "x")
			c.as(bobC, func() { c.errno("chown bob:bob as bob", unix.Chown(f, bob, bob), unix.EPERM) })
			c.owner(f, alice, alice)
		}},
		{name: "chown by the owner clears setuid and setgid", run: func(c *pc) {
			f := c.file("f", 0o6755, alice, alice, "x")
			c.as(aliceStaffC, func() { c.ok("chown -1:staff", unix.Chown(f, -1, staff)) })
			c.owner(f, alice, staff)
			c.perm(f, 0o755)
			c.keep(f)
		}},
		{name: "chown by root clears setuid of a file", run: func(c *pc) {
			f := c.file("f", 0o4755, 0, 0, "x")
			c.ok("chown 4242:4343", unix.Chown(f, 4242, 4343))
			c.owner(f, 4242, 4343)
			c.perm(f, 0o755)
		}},
		{name: "chown of a directory keeps setgid", run: func(c *pc) {
			d := c.mkdir("d", 0o2775, alice, alice)
			c.as(aliceStaffC, func() { c.ok("chown -1:staff", unix.Chown(d, -1, staff)) })
			c.owner(d, alice, staff)
			c.perm(d, 0o2775)
		}},
		{name: "chown updates ctime", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			before := c.ctime(f)
			posixNextSecond()
			c.ok("chown", unix.Chown(f, 4242, 4343))
			c.later("ctime", f, before, c.ctime(f))
		}},
		{name: "chown leaves mtime alone", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			c.ok("utimensat", unix.UtimesNanoAt(unix.AT_FDCWD, f, []unix.Timespec{{Sec: 1e9}, {Sec: 1e9}}, 0))
			c.ok("chown", unix.Chown(f, 4242, 4343))
			c.same("mtime", f, unix.Timespec{Sec: 1e9}, c.mtime(f))
		}},
		{name: "fchown on an open descriptor", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			fd := c.open(f, unix.O_RDONLY, 0)
			if fd >= 0 {
				c.ok("fchown", unix.Fchown(fd, 4242, 4343))
			}
			c.close(fd)
			c.owner(f, 4242, 4343)
		}},
		{name: "fchown of a file being written", run: func(c *pc) {
			f := c.p("f")
			fd := c.open(f, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL, 0o644)
			if fd >= 0 {
				_, err := unix.Write(fd, []byte("data"))
				c.ok("write", err)
				c.ok("fchown", unix.Fchown(fd, 4242, 4343))
			}
			c.close(fd)
			c.owner(f, 4242, 4343)
			c.data(f, "data")
			c.keep(f)
		}},
		{name: "a file stored without attributes takes chown", mountOnly: true, run: func(c *pc) {
			f := c.ext("f")
			c.putObject(f, "from elsewhere")
			c.owner(f, 0, 0)
			c.ok("chown", unix.Chown(f, 4242, 4343))
			c.owner(f, 4242, 4343)
			c.data(f, "from elsewhere")
			c.keep(f)
		}},
		{name: "a directory that is only a prefix takes chown", mountOnly: true, run: func(c *pc) {
			d := c.ext("d")
			c.putObject(d+"/x", "x")
			c.owner(d, 0, 0)
			c.ok("chown", unix.Chown(d, 4242, 4343))
			c.owner(d, 4242, 4343)
			c.keep(d)
		}},
		{name: "chown of a missing name is ENOENT", run: func(c *pc) {
			c.errno("chown", unix.Chown(c.p("none"), 1, 1), unix.ENOENT)
		}},
		{name: "a new owner's bits apply at once", run: func(c *pc) {
			f := c.file("f", 0o600, 0, 0, "secret")
			c.as(aliceC, func() { c.errno("open as alice", posixOpenClose(f, unix.O_RDONLY), unix.EACCES) })
			c.ok("chown alice", unix.Chown(f, alice, alice))
			c.as(aliceC, func() { c.ok("open as alice", posixOpenClose(f, unix.O_RDONLY)) })
			c.as(bobC, func() { c.errno("open as bob", posixOpenClose(f, unix.O_RDONLY), unix.EACCES) })
		}},
	}
}
