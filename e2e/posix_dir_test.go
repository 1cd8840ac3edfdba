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
		}, knownBug: bugSetgidDir},
		{name: "a new directory is empty", run: func(c *pc) {
			d := c.p("d")
			c.ok("mkdir", unix.Mkdir(d, 0o755))
			names := c.list(d)
			if c.err == nil && len(names) != 0 {
				c.failf("new directory lists %v", names)
			}
			st := c.stat(d)
			if c.err == nil && st.Nlink < 2 {
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
		{name: "a 255-byte name works", run: func(c *pc) {
			d := c.p(posixName(255))
			c.ok("mkdir", unix.Mkdir(d, 0o755))
			c.mode(d, unix.S_IFDIR|0o755)
			c.keep(d)
		}, knownBug: bugMinioMarkerLimit, bugOn: "s3"},
		{name: "mkdir updates the parent's mtime and ctime", run: func(c *pc) {
			posixParentTimes(c, func() { c.ok("mkdir", unix.Mkdir(c.p("d"), 0o755)) })
		}, knownBug: bugParentTimes},
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
		}, knownBug: bugParentTimes},
	}
}

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
		}, knownBug: bugUnlinkedSetattr},
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
		}, knownBug: bugUnlinkedSetattr},
		{name: "unlink updates the parent's mtime and ctime", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			posixParentTimes(c, func() { c.ok("unlink", unix.Unlink(f)) })
		}, knownBug: bugParentTimes},
	}
}

func renameChecks() []posixCheck {
	return []posixCheck{
		{name: "a file moves to a new name with its attributes", run: func(c *pc) {
			f := c.file("f", 0o640, alice, staff, "data")
			c.ok("utimensat", unix.UtimesNanoAt(unix.AT_FDCWD, f, []unix.Timespec{{Sec: 1e9}, {Sec: 1e9}}, 0))
			g := c.p("g")
			c.ok("rename", unix.Rename(f, g))
			c.missing(f)
			c.data(g, "data")
			c.owner(g, alice, staff)
			c.perm(g, 0o640)
			c.same("mtime", g, unix.Timespec{Sec: 1e9}, c.mtime(g))
			c.keep(g)
			c.gone(f)
		}},
		{name: "a file moves to another directory", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "data")
			d := c.mkdir("d", 0o755, 0, 0)
			c.ok("rename", unix.Rename(f, d+"/f"))
			c.missing(f)
			c.data(d+"/f", "data")
			c.keep(d + "/f")
		}},
		{name: "a file replaces an existing file", run: func(c *pc) {
			f := c.file("f", 0o600, alice, alice, "new")
			g := c.file("g", 0o644, bob, bob, "old data")
			c.ok("rename", unix.Rename(f, g))
			c.missing(f)
			c.data(g, "new")
			c.owner(g, alice, alice)
			c.perm(g, 0o600)
			c.keep(g)
		}},
		{name: "a directory moves with its contents", run: func(c *pc) {
			d := c.mkdir("d", 0o750, alice, alice)
			c.file("d/f", 0o644, 0, 0, "inner")
			c.mkdir("d/s", 0o700, 0, 0)
			e := c.p("e")
			c.ok("rename", unix.Rename(d, e))
			c.missing(d)
			c.data(e+"/f", "inner")
			c.mode(e+"/s", unix.S_IFDIR|0o700)
			c.mode(e, unix.S_IFDIR|0o750)
			c.owner(e, alice, alice)
			c.keep(e)
			c.keep(e + "/f")
			c.gone(d)
		}},
		{name: "a directory moves to another parent with its contents", run: func(c *pc) {
			d := c.mkdir("d", 0o700, alice, alice)
			c.file("d/f", 0o600, alice, alice, "inner")
			c.symlink("f", "d/l", alice, alice)
			p := c.mkdir("p", 0o755, 0, 0)
			c.ok("rename", unix.Rename(d, p+"/d"))
			c.missing(d)
			c.mode(p+"/d", unix.S_IFDIR|0o700)
			c.owner(p+"/d/f", alice, alice)
			c.data(p+"/d/l", "inner")
			c.keep(p + "/d")
			c.keep(p + "/d/f")
			c.keep(p + "/d/l")
		}},
		{name: "a directory replaces an empty directory", run: func(c *pc) {
			d := c.mkdir("d", 0o755, 0, 0)
			c.file("d/f", 0o644, 0, 0, "inner")
			e := c.mkdir("e", 0o700, 0, 0)
			c.ok("rename", unix.Rename(d, e))
			c.missing(d)
			c.data(e+"/f", "inner")
			c.perm(e, 0o755)
		}},
		{name: "a directory over a non-empty directory is ENOTEMPTY", run: func(c *pc) {
			d := c.mkdir("d", 0o755, 0, 0)
			e := c.mkdir("e", 0o755, 0, 0)
			c.file("e/f", 0o644, 0, 0, "x")
			c.errno("rename", unix.Rename(d, e), unix.ENOTEMPTY, unix.EEXIST)
			c.data(e+"/f", "x")
			c.mode(d, unix.S_IFDIR|0o755)
		}},
		{name: "a directory over a file is ENOTDIR", run: func(c *pc) {
			d := c.mkdir("d", 0o755, 0, 0)
			f := c.file("f", 0o644, 0, 0, "x")
			c.errno("rename", unix.Rename(d, f), unix.ENOTDIR)
			c.data(f, "x")
		}},
		{name: "a file over a directory is EISDIR", run: func(c *pc) {
			d := c.mkdir("d", 0o755, 0, 0)
			f := c.file("f", 0o644, 0, 0, "x")
			c.errno("rename", unix.Rename(f, d), unix.EISDIR)
			c.data(f, "x")
		}},
		{name: "a directory into itself is EINVAL", run: func(c *pc) {
			d := c.mkdir("d", 0o755, 0, 0)
			c.mkdir("d/s", 0o755, 0, 0)
			c.errno("rename", unix.Rename(d, d+"/s/d"), unix.EINVAL)
			c.mode(d+"/s", unix.S_IFDIR|0o755)
		}},
		{name: "a name onto itself changes nothing", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			c.ok("rename", unix.Rename(f, f))
			c.data(f, "x")
		}},
		{name: "a missing source is ENOENT", run: func(c *pc) {
			c.errno("rename", unix.Rename(c.p("none"), c.p("g")), unix.ENOENT)
		}},
		{name: "a missing target directory is ENOENT", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			c.errno("rename", unix.Rename(f, c.p("none/g")), unix.ENOENT)
		}},
		{name: "a file as target directory is ENOTDIR", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			g := c.file("g", 0o644, 0, 0, "y")
			c.errno("rename", unix.Rename(f, g+"/f"), unix.ENOTDIR)
		}},
		{name: "a 256-byte target name is ENAMETOOLONG", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			c.errno("rename", unix.Rename(f, c.p(posixName(256))), unix.ENAMETOOLONG)
		}},
		{name: "RENAME_NOREPLACE onto an existing name is EEXIST", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "new")
			g := c.file("g", 0o644, 0, 0, "old")
			c.errno("renameat2", unix.Renameat2(unix.AT_FDCWD, f, unix.AT_FDCWD, g, unix.RENAME_NOREPLACE), unix.EEXIST)
			c.data(f, "new")
			c.data(g, "old")
		}},
		{name: "RENAME_NOREPLACE onto a free name works", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "new")
			g := c.p("g")
			c.ok("renameat2", unix.Renameat2(unix.AT_FDCWD, f, unix.AT_FDCWD, g, unix.RENAME_NOREPLACE))
			c.missing(f)
			c.data(g, "new")
		}},
		{name: "RENAME_EXCHANGE is refused", unsupported: "docs/semantics.md: RENAME_EXCHANGE is EINVAL", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "f")
			g := c.file("g", 0o644, 0, 0, "g")
			c.errno("renameat2", unix.Renameat2(unix.AT_FDCWD, f, unix.AT_FDCWD, g, unix.RENAME_EXCHANGE), unix.EINVAL)
			c.data(f, "f")
			c.data(g, "g")
		}},
		{name: "a symlink moves and keeps its target", run: func(c *pc) {
			c.file("f", 0o644, 0, 0, "x")
			l := c.symlink("f", "l", alice, alice)
			m := c.p("m")
			c.ok("rename", unix.Rename(l, m))
			c.missing(l)
			c.mode(m, unix.S_IFLNK|0o777)
			c.owner(m, alice, alice)
			c.data(m, "x")
			c.keep(m)
			c.gone(l)
		}},
		{name: "a symlink moves to another directory", run: func(c *pc) {
			d := c.mkdir("d", 0o755, 0, 0)
			l := c.symlink("../f", "l", 0, 0)
			c.file("f", 0o644, 0, 0, "x")
			c.ok("rename", unix.Rename(l, d+"/l"))
			c.data(d+"/l", "x")
		}},
		{name: "no write permission on the source directory is EACCES", run: func(c *pc) {
			src := c.mkdir("src", 0o755, alice, alice)
			dst := c.mkdir("dst", 0o777, alice, alice)
			f := c.file("src/f", 0o644, alice, alice, "x")
			c.ok("chmod src", unix.Chmod(src, 0o555))
			c.as(aliceC, func() { c.errno("rename", unix.Rename(f, dst+"/f"), unix.EACCES) })
			c.data(f, "x")
		}},
		{name: "no write permission on the target directory is EACCES", run: func(c *pc) {
			c.mkdir("src", 0o777, alice, alice)
			dst := c.mkdir("dst", 0o555, alice, alice)
			f := c.file("src/f", 0o644, alice, alice, "x")
			c.as(aliceC, func() { c.errno("rename", unix.Rename(f, dst+"/f"), unix.EACCES) })
			c.data(f, "x")
		}},
		{name: "moving a directory to a new parent needs write permission on it", run: func(c *pc) {
			c.mkdir("src", 0o777, alice, alice)
			dst := c.mkdir("dst", 0o777, alice, alice)
			d := c.mkdir("src/d", 0o555, alice, alice)
			c.as(aliceC, func() { c.errno("rename", unix.Rename(d, dst+"/d"), unix.EACCES) })
			c.mode(d, unix.S_IFDIR|0o555)
		}},
		{name: "sticky: a non-owner cannot move another's file", run: func(c *pc) {
			c.mkdir("s", 0o1777, 0, 0)
			f := c.file("s/f", 0o666, alice, alice, "x")
			c.as(bobC, func() { c.errno("rename as bob", unix.Rename(f, c.p("s/g")), unix.EPERM, unix.EACCES) })
			c.data(f, "x")
			c.missing(c.p("s/g"))
		}},
		{name: "sticky: a non-owner cannot replace another's file", run: func(c *pc) {
			c.mkdir("s", 0o1777, 0, 0)
			f := c.file("s/f", 0o644, alice, alice, "alice")
			b := c.file("s/b", 0o644, bob, bob, "bob")
			c.as(bobC, func() { c.errno("rename as bob", unix.Rename(b, f), unix.EPERM, unix.EACCES) })
			c.data(f, "alice")
			c.data(b, "bob")
		}},
		{name: "sticky: the owner moves her file", run: func(c *pc) {
			c.mkdir("s", 0o1777, 0, 0)
			f := c.file("s/f", 0o644, alice, alice, "x")
			c.as(aliceC, func() { c.ok("rename as alice", unix.Rename(f, c.p("s/g"))) })
			c.data(c.p("s/g"), "x")
		}},
		{name: "sticky: the directory's owner moves another's file", run: func(c *pc) {
			c.mkdir("s", 0o1777, alice, alice)
			f := c.file("s/f", 0o644, bob, bob, "x")
			c.as(aliceC, func() { c.ok("rename as alice", unix.Rename(f, c.p("s/g"))) })
			c.data(c.p("s/g"), "x")
			c.owner(c.p("s/g"), bob, bob)
		}},
		{name: "an open file keeps working when renamed", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "abc")
			fd := c.open(f, unix.O_RDWR, 0)
			g := c.p("g")
			c.ok("rename", unix.Rename(f, g))
			if fd >= 0 && c.err == nil {
				_, err := unix.Pwrite(fd, []byte("XYZ"), 3)
				c.ok("pwrite", err)
			}
			c.close(fd)
			c.missing(f)
			c.data(g, "abcXYZ")
			c.keep(g)
		}, knownBug: bugStaleAfterSetattr, bugOn: "azure"},
		{name: "a file moves there and back", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			g := c.p("g")
			c.ok("rename f g", unix.Rename(f, g))
			c.ok("rename g f", unix.Rename(g, f))
			c.missing(g)
			c.data(f, "x")
		}},
		{name: "rename updates the moved file's ctime", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			c0 := c.ctime(f)
			posixNextSecond()
			g := c.p("g")
			c.ok("rename", unix.Rename(f, g))
			c.later("ctime", g, c0, c.ctime(g))
		}},
		{name: "rename updates the parent's mtime and ctime", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			posixParentTimes(c, func() { c.ok("rename", unix.Rename(f, c.p("g"))) })
		}, knownBug: bugParentTimes},
	}
}
