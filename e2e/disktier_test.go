//go:build linux

package e2e

// The block cache's disk tier (block_cache.path, disk-size-mb).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type diskTierStats struct {
	Blocks, Bytes, Hits, Misses, Corrupt int64
}

func diskTierOf(t *testing.T, m *mnt) diskTierStats {
	t.Helper()
	out, code := cloudfuse(t, "health", m.Dir, "--format=json")
	if code != 0 {
		t.Fatalf("health: %s", out)
	}
	var s struct {
		DiskTier *diskTierStats `json:"disk_tier"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil || s.DiskTier == nil {
		t.Fatalf("no disk tier in health: %v\n%s", err, out)
	}
	return *s.DiskTier
}

// A second epoch after a remount reads from the disk tier, not the
// store; a block changed on disk is detected and read from the store
// again, never returned.
func TestDiskTierMount(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			b, section := tg.setup(t)
			want := map[string]string{"ds/big.bin": pattern(20<<20 + 777)}
			for i := range 5 {
				want[fmt.Sprintf("ds/s%d.bin", i)] = pattern(2<<20 + i*1000)
			}
			for k, v := range want {
				storePut(t, b, k, v)
			}
			m := mountWith(t, b, section, mountOpts{dataPath: "block_cache", blockCache: "  disk-size-mb: 256\n"})
			// epoch reads every file after a remount (nothing in memory or
			// in the kernel's page cache) and returns the GETs and bytes
			// it cost the store.
			epoch := func() (int64, int64) {
				m.remount()
				before := healthJSON(t, m.Dir).Store["get"]
				for k, v := range want {
					if got := mustRead(t, m.path(k)); got != v {
						t.Fatalf("%s: wrong bytes (%d of %d)", k, len(got), len(v))
					}
				}
				after := healthJSON(t, m.Dir).Store["get"]
				return after.Count - before.Count, after.Bytes - before.Bytes
			}
			n1, b1 := epoch()
			if n1 == 0 {
				t.Fatal("the first epoch sent no GET")
			}
			// A read-ahead part that began or ended inside a block leaves
			// that block to the next epoch: allow a few, not the data.
			n2, b2 := epoch()
			t.Logf("epoch 1: %d GETs, %d bytes; epoch 2: %d GETs, %d bytes", n1, b1, n2, b2)
			if b2*10 > b1 {
				t.Errorf("the second epoch read %d of %d bytes from the store; disk tier %+v", b2, b1, diskTierOf(t, m))
			}
			if d := diskTierOf(t, m); d.Hits < 30 || d.Corrupt != 0 {
				t.Errorf("disk tier after the second epoch: %+v", d)
			}
			blocks := 0
			for _, v := range want {
				blocks += (len(v) + 1<<20 - 1) >> 20
			}
			files, _ := filepath.Glob(filepath.Join(m.Cache, "blocks", "*", "*"))
			if len(files) != blocks {
				t.Fatalf("%d block files, want %d", len(files), blocks)
			}
			// A whole block, not the short last one of a file, so the GET
			// that replaces it is the block's 1 MiB.
			var victim string
			var data []byte
			for _, f := range files {
				if d, err := os.ReadFile(f); err == nil && len(d) >= 1<<20 {
					victim, data = f, d
					break
				}
			}
			if victim == "" {
				t.Fatal("no whole block on disk")
			}
			data[len(data)/3] ^= 0x20
			if err := os.WriteFile(victim, data, 0o600); err != nil {
				t.Fatal(err)
			}
			if n, b := epoch(); n < 1 || b < 1<<20 || b > 4<<20 {
				t.Errorf("with one block corrupted the epoch sent %d GETs of %d bytes, want the block's", n, b)
			}
			if d := diskTierOf(t, m); d.Corrupt != 1 {
				t.Errorf("disk tier after the corrupted block: %+v", d)
			}
		})
	}
}

// pattern is n bytes that differ from block to block.
func pattern(n int) string {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "%09d|", i)
	}
	return strings.Clone(b.String()[:n])
}
