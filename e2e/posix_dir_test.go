//go:build linux

package e2e

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// posixParentTimes checks that op, run in the check's directory, moves that
// directory's mtime and ctime forward.
func posixParentTimes(c *pc, op func()) {
	m0, c0 := c.mtime(c.dir), c.ctime(c.dir)
	posixNextSecond()
	if c.err == nil {
		op()
	}
	c.later("mtime", c.dir, m0, c.mtime(c.dir))
	c.later("ctime", c.dir, c0, c.ctime(c.dir))
}

func mkdirChecks() []posixCheck {
	var cs []posixCheck
	for _, um := range []struct{ mode, umask, want uint32 }{
		{0o755, 0o022, 0o755}, {0o777, 0o022, 0o755}, {0o777, 0, 0o777}, {0o700, 0o077, 0o700},
		{0o777, 0o027, 0o750}, {0o555, 0, 0o555}, {0o1777, 0, 0o1777}, {0o2755, 0, 0o755},
	} {
		cs = append(cs, posixCheck{name: fmt.Sprintf("mode %04o with umask %03o is %04o", um.mode, um.umask, um.want), run: func(c *pc) {
			d := c.p("d")
			c.as(rootC.withUmask(int(um.umask)), func() { c.ok("mkdir", unix.Mkdir(d, um.mode)) })
			c.mode(d, unix.S_IFDIR|um.want)
			c.keep(d)
		}})
	}
	return append(cs, []posixCheck{
		{name: "a new directory belongs to the caller", run: func(c *pc) {
			c.ok("chmod dir", unix.Chmod(c.dir, 0o777))
			d := c.p("d")
			c.as(aliceStaffC, func() { c.ok("mkdir", unix.Mkdir(d, 0o755)) })
			c.owner(d, alice, alice)
			c.keep(d)
		}},
		{name: "in a setgid directory it takes the group and setgid", run: func(c *pc) {
			c.ok("chown dir", unix.Chown(c.dir, 0, staff))
			c.ok("chmod dir", unix.Chmod(c.dir, 0o2777))
			d := c.p("d")
			c.as(aliceC, func() { c.ok("mkdir", unix.Mkdir(d, 0o755)) })
			c.owner(d, alice, staff)
			c.perm(d, 0o2755)
		}},
		{name: "a new directory is empty", run: func(c *pc) {
			d := c.p("d")
			c.ok("mkdir", unix.Mkdir(d, 0o755))
			names := c.list(d)
			if c.err == nil && len(names) != 0 {
				c.failf("new directory lists %v", names)
			}
			// 2 on a disk; 1 (unknown) on the mount (docs/semantics.md).
			st := c.stat(d)
			if c.err == nil && st.Nlink != 2 && st.Nlink != 1 {
				c.failf("nlink %d", st.Nlink)
			}
		}},
		{name: "a directory's times do not change by themselves", run: func(c *pc) {
			d := c.p("d")
			c.ok("mkdir", unix.Mkdir(d, 0o755))
			c.file("d/f", 0o644, 0, 0, "x")
			st := c.stat(d)
			time.Sleep(posixAttrTimeout)
			c.same("atime", d, st.Atim, c.atime(d))
			c.same("mtime", d, st.Mtim, c.mtime(d))
			c.same("ctime", d, st.Ctim, c.ctime(d))
		}},
		{name: "an existing directory is EEXIST", run: func(c *pc) {
			d := c.mkdir("d", 0o700, 0, 0)
			c.errno("mkdir", unix.Mkdir(d, 0o755), unix.EEXIST)
			c.perm(d, 0o700)
		}},
		{name: "an existing file is EEXIST", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			c.errno("mkdir", unix.Mkdir(f, 0o755), unix.EEXIST)
			c.mode(f, unix.S_IFREG|0o644)
		}},
		{name: "an existing symlink is EEXIST", run: func(c *pc) {
			l := c.symlink("nowhere", "l", 0, 0)
			c.errno("mkdir", unix.Mkdir(l, 0o755), unix.EEXIST)
		}},
		{name: "a missing parent is ENOENT", run: func(c *pc) {
			c.errno("mkdir", unix.Mkdir(c.p("none/d"), 0o755), unix.ENOENT)
		}},
		{name: "a file as parent is ENOTDIR", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			c.errno("mkdir", unix.Mkdir(f+"/d", 0o755), unix.ENOTDIR)
		}},
		{name: "no write permission on the parent is EACCES", run: func(c *pc) {
			p := c.mkdir("p", 0o555, alice, alice)
			c.as(aliceC, func() { c.errno("mkdir", unix.Mkdir(p+"/d", 0o755), unix.EACCES) })
			c.missing(p + "/d")
		}},
		{name: "no search permission on the parent is EACCES", run: func(c *pc) {
			p := c.mkdir("p", 0o666, alice, alice)
			c.as(aliceC, func() { c.errno("mkdir", unix.Mkdir(p+"/d", 0o755), unix.EACCES) })
		}},
		{name: "another user's 0777 directory takes new directories", run: func(c *pc) {
			p := c.mkdir("p", 0o777, bob, bob)
			c.as(aliceC, func() { c.ok("mkdir", unix.Mkdir(p+"/d", 0o700)) })
			c.owner(p+"/d", alice, alice)
		}},
		{name: "a 256-byte name is ENAMETOOLONG", run: func(c *pc) {
			c.errno("mkdir", unix.Mkdir(c.p(posixName(256)), 0o755), unix.ENAMETOOLONG)
		}},
		{name: "a 255-byte name works, or is ENAMETOOLONG where the store refuses its marker", run: func(c *pc) {
			d := c.p(posixName(255))
			if posixNameRefused(c, "mkdir", unix.Mkdir(d, 0o755), d) {
				return
			}
			c.mode(d, unix.S_IFDIR|0o755)
			c.keep(d)
		}},
		{name: "mkdir updates the parent's mtime and ctime", run: func(c *pc) {
			posixParentTimes(c, func() { c.ok("mkdir", unix.Mkdir(c.p("d"), 0o755)) })
		}},
	}...)
}

// list returns the names in directory d, without "." and "..".
func (c *pc) list(d string) []string {
	if c.err != nil {
		return nil
	}
	fd, err := unix.Open(d, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		c.ok("open "+d, err)
		return nil
	}
	defer unix.Close(fd)
	var names []string
	buf := make([]byte, 8192)
	for {
		n, err := unix.Getdents(fd, buf)
		if err != nil {
			c.ok("getdents", err)
			return nil
		}
		if n == 0 {
			return names
		}
		_, _, names = unix.ParseDirent(buf[:n], -1, names)
	}
}

func rmdirChecks() []posixCheck {
	return []posixCheck{
		{name: "removes an empty directory", run: func(c *pc) {
			d := c.mkdir("d", 0o755, 0, 0)
			c.ok("rmdir", unix.Rmdir(d))
			c.missing(d)
			c.gone(d)
		}},
		{name: "a directory with a file is ENOTEMPTY", run: func(c *pc) {
			d := c.mkdir("d", 0o755, 0, 0)
			c.file("d/f", 0o644, 0, 0, "x")
			c.errno("rmdir", unix.Rmdir(d), unix.ENOTEMPTY)
			c.data(d+"/f", "x")
		}},
		{name: "a directory with a subdirectory is ENOTEMPTY", run: func(c *pc) {
			d := c.mkdir("d", 0o755, 0, 0)
			c.mkdir("d/s", 0o755, 0, 0)
			c.errno("rmdir", unix.Rmdir(d), unix.ENOTEMPTY)
		}},
		{name: "a directory with a symlink is ENOTEMPTY", run: func(c *pc) {
			d := c.mkdir("d", 0o755, 0, 0)
			c.symlink("nowhere", "d/l", 0, 0)
			c.errno("rmdir", unix.Rmdir(d), unix.ENOTEMPTY)
		}},
		{name: "a directory emptied by unlink can be removed", run: func(c *pc) {
			d := c.mkdir("d", 0o755, 0, 0)
			f := c.file("d/f", 0o644, 0, 0, "x")
			c.ok("unlink", unix.Unlink(f))
			c.ok("rmdir", unix.Rmdir(d))
			c.missing(d)
		}},
		{name: "a file is ENOTDIR", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			c.errno("rmdir", unix.Rmdir(f), unix.ENOTDIR)
			c.data(f, "x")
		}},
		{name: "a symlink to a directory is ENOTDIR", run: func(c *pc) {
			c.mkdir("d", 0o755, 0, 0)
			l := c.symlink("d", "l", 0, 0)
			c.errno("rmdir", unix.Rmdir(l), unix.ENOTDIR)
		}},
		{name: "a missing directory is ENOENT", run: func(c *pc) {
			c.errno("rmdir", unix.Rmdir(c.p("none")), unix.ENOENT)
		}},
		{name: "'.' is EINVAL", run: func(c *pc) {
			d := c.mkdir("d", 0o755, 0, 0)
			c.errno("rmdir", unix.Rmdir(d+"/."), unix.EINVAL)
		}},
		{name: "no write permission on the parent is EACCES", run: func(c *pc) {
			p := c.mkdir("p", 0o755, alice, alice)
			d := c.mkdir("p/d", 0o755, alice, alice)
			c.ok("chmod parent", unix.Chmod(p, 0o555))
			c.as(aliceC, func() { c.errno("rmdir", unix.Rmdir(d), unix.EACCES) })
			c.mode(d, unix.S_IFDIR|0o755)
		}},
		{name: "no search permission on the parent is EACCES", run: func(c *pc) {
			p := c.mkdir("p", 0o755, alice, alice)
			d := c.mkdir("p/d", 0o755, alice, alice)
			c.ok("chmod parent", unix.Chmod(p, 0o666))
			c.as(aliceC, func() { c.errno("rmdir", unix.Rmdir(d), unix.EACCES) })
		}},
		{name: "sticky: a non-owner cannot remove another's directory", run: func(c *pc) {
			s := c.mkdir("s", 0o1777, 0, 0)
			d := c.mkdir("s/d", 0o777, alice, alice)
			c.as(bobC, func() { c.errno("rmdir as bob", unix.Rmdir(d), unix.EPERM, unix.EACCES) })
			c.mode(d, unix.S_IFDIR|0o777)
			c.keep(s)
		}},
		{name: "sticky: the owner removes her directory", run: func(c *pc) {
			c.mkdir("s", 0o1777, 0, 0)
			d := c.mkdir("s/d", 0o755, alice, alice)
			c.as(aliceC, func() { c.ok("rmdir as alice", unix.Rmdir(d)) })
			c.missing(d)
		}},
		{name: "sticky: the directory's owner removes another's directory", run: func(c *pc) {
			c.mkdir("s", 0o1777, alice, alice)
			d := c.mkdir("s/d", 0o755, bob, bob)
			c.as(aliceC, func() { c.ok("rmdir as alice", unix.Rmdir(d)) })
			c.missing(d)
		}},
		{name: "sticky: root removes anyone's directory", run: func(c *pc) {
			c.mkdir("s", 0o1777, alice, alice)
			d := c.mkdir("s/d", 0o755, bob, bob)
			c.ok("rmdir as root", unix.Rmdir(d))
			c.missing(d)
		}},
		{name: "rmdir updates the parent's mtime and ctime", run: func(c *pc) {
			d := c.mkdir("d", 0o755, 0, 0)
			posixParentTimes(c, func() { c.ok("rmdir", unix.Rmdir(d)) })
		}},
	}
}
