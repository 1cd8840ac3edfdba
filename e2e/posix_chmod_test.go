//go:build linux

package e2e

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

func chmodChecks() []posixCheck {
	var cs []posixCheck
	// Mode 0000 has checks of its own below.
	for _, mode := range []uint32{0o400, 0o600, 0o644, 0o755, 0o777, 0o4755, 0o2755, 0o1755, 0o6777, 0o7777} {
		cs = append(cs, posixCheck{name: fmt.Sprintf("root sets file mode %04o", mode), run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			c.ok("chmod", unix.Chmod(f, mode))
			c.mode(f, unix.S_IFREG|mode)
			c.keep(f)
		}})
	}
	for _, mode := range []uint32{0o700, 0o755, 0o555, 0o1777, 0o2775, 0o3777} {
		cs = append(cs, posixCheck{name: fmt.Sprintf("root sets directory mode %04o", mode), run: func(c *pc) {
			d := c.mkdir("d", 0o755, 0, 0)
			c.ok("chmod", unix.Chmod(d, mode))
			c.mode(d, unix.S_IFDIR|mode)
			c.keep(d)
		}})
	}
	return append(cs, []posixCheck{
		{name: "owner changes the mode of her file", run: func(c *pc) {
			f := c.file("f", 0o644, alice, alice, "x")
			c.as(aliceC, func() { c.ok("chmod 0600", unix.Chmod(f, 0o600)) })
			c.perm(f, 0o600)
			c.keep(f)
		}},
		{name: "owner changes the mode of her directory", run: func(c *pc) {
			d := c.mkdir("d", 0o755, alice, alice)
			c.as(aliceC, func() { c.ok("chmod 0700", unix.Chmod(d, 0o700)) })
			c.perm(d, 0o700)
			c.keep(d)
		}},
		{name: "owner sets setuid on her file", run: func(c *pc) {
			f := c.file("f", 0o755, alice, alice, "x")
			c.as(aliceC, func() { c.ok("chmod 04755", unix.Chmod(f, 0o4755)) })
			c.perm(f, 0o4755)
			c.keep(f)
		}},
		{name: "owner sets setgid for her own group", run: func(c *pc) {
			f := c.file("f", 0o755, alice, alice, "x")
			c.as(aliceC, func() { c.ok("chmod 02755", unix.Chmod(f, 0o2755)) })
			c.perm(f, 0o2755)
		}},
		{name: "owner sets setgid for a group she belongs to", run: func(c *pc) {
			f := c.file("f", 0o755, alice, staff, "x")
			c.as(aliceStaffC, func() { c.ok("chmod 02755", unix.Chmod(f, 0o2755)) })
			c.perm(f, 0o2755)
		}},
		{name: "setgid is dropped when the owner is not in the group", run: func(c *pc) {
			f := c.file("f", 0o755, alice, staff, "x")
			c.as(aliceC, func() { c.ok("chmod 02755", unix.Chmod(f, 0o2755)) })
			c.perm(f, 0o755)
			c.keep(f)
		}},
		{name: "owner sets the sticky bit on her directory", run: func(c *pc) {
			d := c.mkdir("d", 0o777, alice, alice)
			c.as(aliceC, func() { c.ok("chmod 01777", unix.Chmod(d, 0o1777)) })
			c.perm(d, 0o1777)
		}},
		{name: "non-owner cannot change a file's mode", run: func(c *pc) {
			f := c.file("f", 0o644, alice, alice, "x")
			c.as(bobC, func() { c.errno("chmod 0777 as bob", unix.Chmod(f, 0o777), unix.EPERM) })
			c.perm(f, 0o644)
		}},
		{name: "non-owner with write permission cannot change the mode", run: func(c *pc) {
			f := c.file("f", 0o666, alice, staff, "x")
			c.as(bobStaffC, func() { c.errno("chmod 0777 as bob", unix.Chmod(f, 0o777), unix.EPERM) })
			c.perm(f, 0o666)
		}},
		{name: "non-owner cannot change a directory's mode", run: func(c *pc) {
			d := c.mkdir("d", 0o777, alice, alice)
			c.as(bobC, func() { c.errno("chmod 0700 as bob", unix.Chmod(d, 0o700), unix.EPERM) })
			c.perm(d, 0o777)
		}},
		{name: "root changes the mode of anyone's file", run: func(c *pc) {
			f := c.file("f", 0o600, alice, alice, "x")
			c.ok("chmod 0640", unix.Chmod(f, 0o640))
			c.perm(f, 0o640)
		}},
		{name: "chmod updates ctime", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			before := c.ctime(f)
			posixNextSecond()
			c.ok("chmod", unix.Chmod(f, 0o600))
			c.later("ctime", f, before, c.ctime(f))
		}},
		{name: "chmod leaves mtime alone", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			c.ok("utimensat", unix.UtimesNanoAt(unix.AT_FDCWD, f, []unix.Timespec{{Sec: 1e9}, {Sec: 1e9}}, 0))
			c.ok("chmod", unix.Chmod(f, 0o600))
			c.same("mtime", f, unix.Timespec{Sec: 1e9}, c.mtime(f))
			c.keep(f)
		}},
		{name: "chmod through a symlink changes the target", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			l := c.symlink("f", "l", 0, 0)
			c.ok("chmod link", unix.Chmod(l, 0o600))
			c.perm(f, 0o600)
			c.mode(l, unix.S_IFLNK|0o777)
		}},
		{name: "fchmod on an open descriptor", run: func(c *pc) {
			f := c.file("f", 0o644, alice, alice, "x")
			c.as(aliceC, func() {
				fd := c.open(f, unix.O_RDONLY, 0)
				if fd >= 0 {
					c.ok("fchmod 0400", unix.Fchmod(fd, 0o400))
				}
				c.close(fd)
			})
			c.perm(f, 0o400)
		}},
		{name: "fchmod on a file being written", run: func(c *pc) {
			f := c.p("f")
			fd := c.open(f, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL, 0o644)
			if fd >= 0 {
				_, err := unix.Write(fd, []byte("data"))
				c.ok("write", err)
				c.ok("fchmod 0751", unix.Fchmod(fd, 0o751))
			}
			c.close(fd)
			c.perm(f, 0o751)
			c.data(f, "data")
			c.keep(f)
		}},
		{name: "a file stored without attributes takes chmod", mountOnly: true, run: func(c *pc) {
			f := c.ext("f")
			c.putObject(f, "from elsewhere")
			c.mode(f, unix.S_IFREG|c.stat(f).Mode&0o7777)
			c.ok("chmod", unix.Chmod(f, 0o640))
			c.mode(f, unix.S_IFREG|0o640)
			c.data(f, "from elsewhere")
			c.keep(f)
		}},
		{name: "a directory that is only a prefix takes chmod", mountOnly: true, run: func(c *pc) {
			d := c.ext("d")
			c.putObject(d+"/x", "x")
			c.mode(d, unix.S_IFDIR|c.stat(d).Mode&0o7777)
			c.ok("chmod", unix.Chmod(d, 0o750))
			c.mode(d, unix.S_IFDIR|0o750)
			c.keep(d)
			c.keep(d + "/x")
		}},
		{name: "chmod of a missing name is ENOENT", run: func(c *pc) {
			c.errno("chmod", unix.Chmod(c.p("none"), 0o644), unix.ENOENT)
		}},
		{name: "chmod through a file used as a directory is ENOTDIR", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			c.errno("chmod", unix.Chmod(f+"/x", 0o644), unix.ENOTDIR)
		}},
		{name: "owner's mode 0000 locks her out, not root", run: func(c *pc) {
			f := c.file("f", 0o644, alice, alice, "x")
			c.as(aliceC, func() {
				c.ok("chmod 0000", unix.Chmod(f, 0))
				c.errno("open as alice", posixOpenClose(f, unix.O_RDONLY), unix.EACCES)
			})
			c.data(f, "x")
		}},
		{name: "mode 0000 still holds after the attribute cache expires", run: func(c *pc) {
			f := c.file("f", 0o644, alice, alice, "x")
			c.ok("chmod 0000", unix.Chmod(f, 0))
			time.Sleep(posixAttrTimeout)
			c.perm(f, 0)
			c.as(aliceC, func() { c.errno("open as alice", posixOpenClose(f, unix.O_RDONLY), unix.EACCES) })
		}},
		{name: "a directory with mode 0000 cannot be listed by its owner", run: func(c *pc) {
			d := c.mkdir("d", 0o755, alice, alice)
			c.ok("chmod 0000", unix.Chmod(d, 0))
			time.Sleep(posixAttrTimeout)
			c.perm(d, 0)
			c.as(aliceC, func() { c.errno("open dir as alice", posixOpenClose(d, unix.O_RDONLY|unix.O_DIRECTORY), unix.EACCES) })
		}},
		{name: "data reads back after fchmod of a file opened for reading", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "payload")
			fd := c.open(f, unix.O_RDONLY, 0)
			if fd >= 0 {
				c.ok("fchmod", unix.Fchmod(fd, 0o600))
				got, err := posixReadFD(fd)
				c.ok("read", err)
				if c.err == nil && got != "payload" {
					c.failf("read %q", got)
				}
			}
			c.close(fd)
		}},
		{name: "chmod needs search permission on the parent", run: func(c *pc) {
			d := c.mkdir("d", 0o755, alice, alice)
			f := c.file("d/f", 0o644, alice, alice, "x")
			c.ok("chmod dir 0600", unix.Chmod(d, 0o600))
			c.as(aliceC, func() { c.errno("chmod file", unix.Chmod(f, 0o600), unix.EACCES) })
		}},
	}...)
}
