package stream

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/a9de3765/cloudfuse/internal/cache/disktier"
)

// A second pass over an object read once is served by the disk tier: no
// GET. A block changed on disk is detected and fetched again, never
// returned, and random reads of blocks on disk need no GET either.
func TestDiskTierServesTheSecondPass(t *testing.T) {
	s, obj, data := newStore(t, 5<<20+12345)
	dir := t.TempDir()
	tier, err := disktier.Open(disktier.Options{Dir: dir, MaxBytes: 64 << 20, BlockSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer tier.Close()
	c := &counting{Backend: s}
	opts := ReaderOptions{Budget: NewBudget(64 << 20), PartSize: 2 << 20, Disk: tier}

	pass := func() int {
		before := len(c.getLog())
		r := NewReader(c, refOf(obj), opts)
		defer r.Close()
		if got := readAll(t, r, 128<<10); !bytes.Equal(got, data) {
			t.Fatal("a pass read wrong bytes")
		}
		return len(c.getLog()) - before
	}
	if n := pass(); n == 0 {
		t.Fatal("the first pass sent no GET")
	}
	if st := tier.Stats(); st.Blocks != 6 {
		t.Fatalf("after the first pass the tier holds %d blocks, want 6: %v", st.Blocks, st)
	}
	if n := pass(); n != 0 {
		t.Errorf("the second pass sent %d GETs", n)
	}

	files, _ := filepath.Glob(filepath.Join(dir, "*", "*"))
	if len(files) != 6 {
		t.Fatalf("block files: %v", files)
	}
	b, _ := os.ReadFile(files[2])
	b[len(b)/2] ^= 0x40
	if err := os.WriteFile(files[2], b, 0o600); err != nil {
		t.Fatal(err)
	}
	if n := pass(); n != 1 {
		t.Errorf("with one block corrupted the pass sent %d GETs, want 1", n)
	}
	if st := tier.Stats(); st.Corrupt != 1 || st.Blocks != 6 {
		t.Errorf("after the corrupted block: %v", st)
	}

	before := len(c.getLog())
	r := NewReader(c, refOf(obj), opts)
	defer r.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	p := make([]byte, 4<<10)
	for range 50 {
		off := rng.Int64N(int64(len(data)) - int64(len(p)))
		n, err := r.ReadAt(t.Context(), p, off)
		checkRead(t, data, p, off, n, err)
	}
	if n := len(c.getLog()) - before; n != 0 {
		t.Errorf("random reads of blocks on disk sent %d GETs", n)
	}
}

// A random read served through Ranges keeps on disk the blocks its chunk
// covers whole, as a streamed read does: a file's short last block read
// first out of order is not fetched again by the next pass.
func TestRangesKeepWholeBlocksOnDisk(t *testing.T) {
	s, obj, data := newStore(t, 1<<20+2000)
	tier, err := disktier.Open(disktier.Options{Dir: t.TempDir(), MaxBytes: 64 << 20, BlockSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer tier.Close()
	b := NewBudget(64 << 20)
	r := NewReader(s, refOf(obj), ReaderOptions{Budget: b, Disk: tier, Ranges: NewRanges(b, 0)})
	defer r.Close()
	p := make([]byte, 2000)
	n, err := r.ReadAt(t.Context(), p, 1<<20)
	checkRead(t, data, p, 1<<20, n, err)
	if st := tier.Stats(); st.Blocks != 1 {
		t.Fatalf("after a random read of the last block the tier holds %d blocks, want 1: %v", st.Blocks, st)
	}
}
