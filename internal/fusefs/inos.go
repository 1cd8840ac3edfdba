//go:build linux

package fusefs

import (
	"hash/fnv"
	"sync"
)

// Inode numbers. A name's inode number is a hash of its path, so it is the
// same on every lookup for the life of the mount (and on the next mount),
// and readdir can give the d_ino a later stat shows. Hashes fall in
// [2^32, 2^63): positive for programs that read st_ino as a signed
// number, and apart from the numbers of the counter below.
//
// While an inode lives, no other inode gets its number. When the hash of
// a new inode's path is held by a live inode that is not that path's
// inode any more (renamed away, unlinked while open, dropped after a
// failed write) or by another path (a true hash collision), the new inode
// gets the next number of a counter in [2, 2^32) instead.
const (
	hashInoBase  = 1 << 32
	hashInoRange = 1<<63 - hashInoBase
)

// pathIno is the hash inode number of path p.
func pathIno(p string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(p))
	return hashInoBase + h.Sum64()%hashInoRange
}

// inoTable knows the live inodes by number.
type inoTable struct {
	mu   sync.Mutex
	live map[uint64]*node
	next uint64 // the counter, from 2 (1 is the root)
}

func newInoTable() *inoTable {
	return &inoTable{live: map[uint64]*node{}, next: 2}
}

// assign returns the number for nn, a new inode of type mode for path p,
// and records nn as live under it. When the live inode under p's number
// is still p's, nn is that identity: go-fuse hands the kernel the live one.
func (t *inoTable) assign(nn *node, p string, mode uint32) uint64 {
	ino := pathIno(p)
	t.mu.Lock()
	e := t.live[ino]
	if e == nil {
		t.live[ino] = nn
		nn.ino = ino
		t.mu.Unlock()
		return ino
	}
	t.mu.Unlock()
	// path() takes the tree's locks, so not under t.mu.
	if e.heldBy(p, mode) {
		nn.ino = ino
		return ino
	}
	return t.counted(nn)
}

// counted gives nn the next free counter number.
func (t *inoTable) counted(nn *node) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	for t.live[t.next] != nil || t.next < 2 {
		t.next = (t.next + 1) % hashInoBase
	}
	ino := t.next
	t.next = (t.next + 1) % hashInoBase
	t.live[ino] = nn
	nn.ino = ino
	return ino
}

// forget drops n's number once the kernel forgot the inode.
func (t *inoTable) forget(n *node) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.live[n.ino] == n {
		delete(t.live, n.ino)
	}
}

// heldBy says whether n is still the inode of type mode at path p, so a
// new inode for p is the same identity.
func (n *node) heldBy(p string, mode uint32) bool {
	if n.dropped.Load() || n.StableAttr().Mode != mode {
		return false
	}
	cur, ok := n.path()
	return ok && cur == p
}

// OnForget implements fs.NodeOnForgetter.
func (n *node) OnForget() { n.m.inos.forget(n) }
