//go:build linux

package e2e

import "golang.org/x/sys/unix"

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
		}},
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
		}},
	}
}
