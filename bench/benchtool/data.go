package main

import (
	"encoding/binary"
	"math/rand/v2"
)

// blockSize is the size of the pseudo-random block every payload is cut
// from: large enough that no compression or dedup shortcut applies to a
// part, small enough to build in a blink.
const blockSize = 64 << 20

// payload hands out slices of one deterministic pseudo-random block.
type payload struct{ block []byte }

func newPayload(seed uint64, size int) *payload {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	b := make([]byte, size)
	_, _ = rand.NewChaCha8(key).Read(b)
	return &payload{block: b}
}

// slice returns n bytes for the i-th piece, so neighbouring pieces differ.
// A piece larger than the block repeats it.
func (p *payload) slice(i int, n int) []byte {
	if n > len(p.block) {
		out := make([]byte, n)
		for off := 0; off < n; off += len(p.block) {
			copy(out[off:], p.block)
		}
		return out
	}
	span := len(p.block) - n + 1
	off := (i * 4099) % span
	return p.block[off : off+n]
}
