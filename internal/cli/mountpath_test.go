package cli

import (
	"fmt"
	"strings"
	"testing"
)

// A mount path equal to, inside or around a cloudfuse mount is refused
// before anything is mounted, naming the other mount; other filesystems
// around the path do not matter.
func TestOverlappingMountsAreRefused(t *testing.T) {
	e := newEnv(t)
	e.write("c.yaml", s3Config)
	outer := e.mkdir("outer")
	e.mkdir("outer/inner")
	around := e.mkdir("around")
	nested := e.mkdir("around/deep/er")
	sibling := e.mkdir("outer-sibling")
	ext := e.mkdir("ext")
	extInner := e.mkdir("ext/in")
	e.setMounts(fmt.Sprintf("41 22 0:51 / %s rw - fuse.cloudfuse cloudfuse:b rw\n"+
		"42 22 0:52 / %s rw - fuse.cloudfuse cloudfuse:acct/c/sub rw\n"+
		"43 22 0:53 / %s rw - ext4 /dev/sdb1 rw\n", outer, nested, ext))

	e.run("mount", outer+"/inner", "--config-file=c.yaml").expect(t, 1,
		"cloudfuse: mount path "+outer+"/inner overlaps the cloudfuse mount at "+outer+" (of cloudfuse:b); "+
			"mount elsewhere or run: cloudfuse unmount "+outer)
	e.run("mount", around, "--config-file=c.yaml", "-o", "nonempty").expect(t, 1,
		"cloudfuse: mount path "+around+" overlaps the cloudfuse mount at "+nested+" (of cloudfuse:acct/c/sub); "+
			"mount elsewhere or run: cloudfuse unmount "+nested)
	// A name that only shares a prefix is not inside, and a mount of
	// another filesystem around the path is fine: the dry run gets past
	// the path checks and fails only at the closed store port.
	for _, p := range []string{sibling, extInner} {
		r := e.run("mount", p, "--config-file=c.yaml", "--dry-run")
		if r.code == 0 || strings.Contains(r.stderr, "overlaps") {
			t.Errorf("mount %s: %d %s", p, r.code, r.stderr)
		}
	}
}

func TestWithin(t *testing.T) {
	for _, tc := range []struct {
		path, dir string
		want      bool
	}{
		{"/a/b", "/a", true},
		{"/a", "/a", false},
		{"/ab", "/a", false},
		{"/a", "/", true},
		{"/", "/", false},
	} {
		if got := within(tc.path, tc.dir); got != tc.want {
			t.Errorf("within(%q, %q) = %v", tc.path, tc.dir, got)
		}
	}
}
