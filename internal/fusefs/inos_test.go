//go:build linux

package fusefs

import (
	"strconv"
	"testing"
)

func TestPathInoRange(t *testing.T) {
	seen := map[uint64]string{}
	for i := range 100000 {
		p := "dir/file-" + strconv.Itoa(i)
		ino := pathIno(p)
		if ino < hashInoBase || ino >= 1<<63 {
			t.Fatalf("%s: ino %d out of [2^32, 2^63)", p, ino)
		}
		if o, dup := seen[ino]; dup {
			t.Fatalf("%s and %s hash to %d", p, o, ino)
		}
		seen[ino] = p
	}
	first, again := pathIno("a/b"), pathIno("a/"+"b")
	if first != again || first == pathIno("a/c") {
		t.Error("pathIno is not a function of the path")
	}
}

// A number held by a live inode that is not the path's goes to nobody
// else: the new inode gets a counter number, and the counter skips
// numbers in use.
func TestInoTableCounterSkipsLive(t *testing.T) {
	tab := newInoTable()
	detached := &node{}
	detached.dropped.Store(true)
	tab.live[pathIno("x")] = detached
	tab.live[2] = &node{}
	nn := &node{}
	if got := tab.assign(nn, "x", 0); got != 3 || nn.ino != 3 || tab.live[3] != nn {
		t.Fatalf("assign over a dropped inode: %d (node ino %d)", got, nn.ino)
	}
	tab.forget(nn)
	if tab.live[3] != nil {
		t.Error("forget left the number taken")
	}
	fresh := &node{}
	if got := tab.assign(fresh, "y", 0); got != pathIno("y") || tab.live[got] != fresh {
		t.Errorf("a free path number: %d", got)
	}
}
