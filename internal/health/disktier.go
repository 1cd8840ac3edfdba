package health

import (
	"fmt"
	"strings"
)

// DiskTier is the block cache's disk tier (block_cache.path): blocks kept
// on local disk and how reads used them.
type DiskTier struct {
	Dir       string `json:"dir"`
	Blocks    int64  `json:"blocks"`
	Bytes     int64  `json:"bytes"`
	MaxBytes  int64  `json:"max_bytes"`
	Hits      int64  `json:"hits"`      // blocks read from disk
	Misses    int64  `json:"misses"`    // blocks not on disk, read from the store
	Corrupt   int64  `json:"corrupt"`   // blocks that failed their checksum (removed)
	Writes    int64  `json:"writes"`    // blocks written
	Evictions int64  `json:"evictions"` // blocks removed for room or by the timeout
}

func (d DiskTier) summary(b *strings.Builder) {
	fmt.Fprintf(b, "  disk     %s in %d blocks of %s; %d hits, %d misses, %d corrupt, %d evictions; %s\n",
		sizeText(d.Bytes), d.Blocks, sizeText(d.MaxBytes), d.Hits, d.Misses, d.Corrupt, d.Evictions, d.Dir)
}

func (d DiskTier) prometheus(w *promWriter) {
	gauge := func(name, typ, help string, v int64) {
		w.header(name, typ, help)
		w.sample(name, nil, float64(v))
	}
	gauge("cloudfuse_disk_tier_bytes", "gauge", "Bytes of blocks in the block cache's disk tier.", d.Bytes)
	gauge("cloudfuse_disk_tier_blocks", "gauge", "Blocks in the disk tier.", d.Blocks)
	gauge("cloudfuse_disk_tier_hits_total", "counter", "Blocks read from the disk tier.", d.Hits)
	gauge("cloudfuse_disk_tier_misses_total", "counter", "Blocks looked up and not found on disk.", d.Misses)
	gauge("cloudfuse_disk_tier_corrupt_total", "counter", "Blocks that failed their checksum and were fetched again.", d.Corrupt)
	gauge("cloudfuse_disk_tier_evictions_total", "counter", "Blocks removed for room or by the timeout.", d.Evictions)
}
