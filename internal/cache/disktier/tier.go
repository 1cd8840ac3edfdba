// Package disktier is the local-disk tier of the streaming data path
// (BlobFuse2's block_cache.path and disk-size-mb): blocks of objects read
// through the mount are kept on disk, each with a CRC-32C, so a later read
// of the same version is served from disk instead of the store.
//
// A block is named by the object's key, its ETag, the block size and its
// index, so a block of one version is never served for another. A block
// file is written under a temporary name and renamed when whole, and is
// checked against its checksum on every read: a block that does not match
// is removed and reported as missing, never returned. The tier has its own
// size bound (least recently used blocks go first) and timeout (blocks
// unused that long go), and blocks outlive the mount unless Cleanup.
package disktier

import (
	"container/list"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/a9de3765/cloudfuse/internal/cache/dirlock"
)

// Options configures a Tier. Every field but Logger is set by the caller.
type Options struct {
	Dir       string        // holds the blocks; created 0700
	MaxBytes  int64         // bound of the blocks on disk (> 0)
	BlockSize int64         // bytes per block (> 0)
	Timeout   time.Duration // unused blocks are removed after it; 0 keeps them
	Cleanup   bool          // remove the blocks an earlier mount left
	Owner     string        // the mountpoint, named in the directory's lock
	Logger    *slog.Logger
}

// Stats are the tier's counters.
type Stats struct {
	Dir       string
	Blocks    int64
	Bytes     int64
	MaxBytes  int64
	Hits      int64 // blocks served from disk
	Misses    int64 // blocks asked for and not on disk
	Corrupt   int64 // blocks whose checksum did not match (removed)
	Writes    int64 // blocks written
	Evictions int64 // blocks removed for room or by the timeout
}

// Tier keeps blocks on disk. mu guards the index; file I/O is done
// without it (a block removed while read fails its read, which then
// counts as a miss).
type Tier struct {
	o    Options
	log  *slog.Logger
	lock *os.File

	mu    sync.Mutex
	index map[string]*list.Element // name -> *block in lru
	lru   *list.List               // front: most recently used
	bytes int64

	hits, misses, corrupt, writes, evictions atomic.Int64

	pool sync.Pool // *[]byte of BlockSize+crcLen, for partial reads
	stop chan struct{}
	bg   sync.WaitGroup
}

type block struct {
	name    string
	size    int64 // file size: data and checksum
	lastUse time.Time
}

const crcLen = 4

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Open opens (or creates) the tier in o.Dir and takes over the blocks an
// earlier mount left there, unless o.Cleanup.
func Open(o Options) (*Tier, error) {
	if o.MaxBytes <= 0 || o.BlockSize <= 0 {
		return nil, errors.New("disktier: size and block size must be positive")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, err
	}
	lock, err := dirlock.Lock(o.Dir, o.Owner)
	if err != nil {
		return nil, err
	}
	t := &Tier{o: o, log: o.Logger, lock: lock, index: map[string]*list.Element{}, lru: list.New(),
		stop: make(chan struct{})}
	t.pool.New = func() any { b := make([]byte, o.BlockSize+crcLen); return &b }
	t.load()
	t.bg.Add(1)
	go t.expireLoop()
	return t, nil
}

// Close stops the timeout and gives the directory up; the blocks stay.
func (t *Tier) Close() {
	select {
	case <-t.stop:
		return
	default:
		close(t.stop)
	}
	t.bg.Wait()
	t.lock.Close()
}

// BlockSize is the size of every block but an object's last.
func (t *Tier) BlockSize() int64 { return t.o.BlockSize }

// name is the file name of a block: a hash of what identifies it.
func (t *Tier) name(key, etag string, idx int64) string {
	h := sha256.New()
	var n [16]byte
	binary.LittleEndian.PutUint64(n[:8], uint64(t.o.BlockSize))
	binary.LittleEndian.PutUint64(n[8:], uint64(idx))
	h.Write([]byte(key))
	h.Write([]byte{0})
	h.Write([]byte(etag))
	h.Write([]byte{0})
	h.Write(n[:])
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func (t *Tier) path(name string) string { return filepath.Join(t.o.Dir, name[:2], name) }

// Has says whether the block is on disk (unchecked).
func (t *Tier) Has(key, etag string, idx int64) bool { return t.has(t.name(key, etag, idx)) }

func (t *Tier) has(name string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.index[name]
	return ok
}

// unlink takes a block out of the index and the LRU; its file stays.
// Caller holds t.mu.
func (t *Tier) unlink(e *list.Element) *block {
	b := e.Value.(*block)
	t.lru.Remove(e)
	delete(t.index, b.name)
	t.bytes -= b.size
	return b
}

// Read copies bytes [off, off+len(dst)) of the block idx of the version
// (key, etag), a block of blockLen bytes, into dst, after checking the
// whole block against its checksum. It reports false, leaving dst
// undefined, when the block is not on disk or fails the check.
func (t *Tier) Read(key, etag string, idx, blockLen, off int64, dst []byte) bool {
	if len(dst) == 0 || off < 0 || off+int64(len(dst)) > blockLen || blockLen > t.o.BlockSize {
		return false
	}
	name := t.name(key, etag, idx)
	t.mu.Lock()
	e, ok := t.index[name]
	if ok {
		b := e.Value.(*block)
		if b.size != blockLen+crcLen {
			ok = false // not the length this version's block has
		} else {
			b.lastUse = time.Now()
			t.lru.MoveToFront(e)
		}
	}
	t.mu.Unlock()
	if !ok {
		t.misses.Add(1)
		return false
	}
	buf := dst
	if off != 0 || int64(len(dst)) != blockLen {
		p := t.pool.Get().(*[]byte)
		defer t.pool.Put(p)
		buf = (*p)[:blockLen]
	}
	if err := t.readBlock(name, buf); err != nil {
		t.drop(name)
		if errors.Is(err, errChecksum) {
			t.corrupt.Add(1)
			t.log.Warn("disk tier: a cached block failed its checksum; removed and read from the store",
				"path", key, "block", idx, "file", t.path(name))
		}
		t.misses.Add(1)
		return false
	}
	if &buf[0] != &dst[0] {
		copy(dst, buf[off:])
	}
	t.hits.Add(1)
	return true
}

var errChecksum = errors.New("block checksum mismatch")

// readBlock reads a block file into buf (its data) and checks it.
func (t *Tier) readBlock(name string, buf []byte) error {
	f, err := os.Open(t.path(name))
	if err != nil {
		return err
	}
	defer f.Close()
	var sum [crcLen]byte
	if _, err := f.ReadAt(buf, 0); err != nil {
		return err
	}
	if _, err := f.ReadAt(sum[:], int64(len(buf))); err != nil {
		return err
	}
	if crc32.Checksum(buf, castagnoli) != binary.LittleEndian.Uint32(sum[:]) {
		return errChecksum
	}
	return nil
}

// Write keeps data as the block idx of (key, etag), making room by
// evicting the least recently used blocks. A block that cannot be written
// is simply not kept.
func (t *Tier) Write(key, etag string, idx int64, data []byte) {
	name := t.name(key, etag, idx)
	size := int64(len(data)) + crcLen
	if size > t.o.MaxBytes || t.has(name) {
		return
	}
	if err := t.writeBlock(name, data); err != nil {
		t.log.Debug("disk tier: block not kept", "path", key, "block", idx, "err", err)
		return
	}
	t.writes.Add(1)
	t.mu.Lock()
	if old, ok := t.index[name]; ok {
		t.unlink(old)
	}
	t.index[name] = t.lru.PushFront(&block{name: name, size: size, lastUse: time.Now()})
	t.bytes += size
	victims := t.overflow()
	t.mu.Unlock()
	t.remove(victims)
}

// writeBlock writes a block file whole under a temporary name, then
// renames it into place (mode 0600, as CreateTemp makes it).
func (t *Tier) writeBlock(name string, data []byte) error {
	final := t.path(name)
	if err := os.MkdirAll(filepath.Dir(final), 0o700); err != nil {
		return err
	}
	// A name of its own: two readers may keep the same block at once.
	f, err := os.CreateTemp(filepath.Dir(final), name+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	var sum [crcLen]byte
	binary.LittleEndian.PutUint32(sum[:], crc32.Checksum(data, castagnoli))
	_, err = f.Write(data)
	if err == nil {
		_, err = f.Write(sum[:])
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, final)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// overflow takes the least recently used blocks out of the index until
// the rest fit MaxBytes. Caller holds mu.
func (t *Tier) overflow() []string {
	var out []string
	for t.bytes > t.o.MaxBytes {
		out = append(out, t.unlink(t.lru.Back()).name)
	}
	return out
}

// remove deletes evicted blocks' files.
func (t *Tier) remove(names []string) {
	for _, n := range names {
		os.Remove(t.path(n))
	}
	t.evictions.Add(int64(len(names)))
}

// drop forgets a block and removes its file (it failed its read).
func (t *Tier) drop(name string) {
	t.mu.Lock()
	if e, ok := t.index[name]; ok {
		t.unlink(e)
	}
	t.mu.Unlock()
	os.Remove(t.path(name))
}

// Stats returns the counters.
func (t *Tier) Stats() Stats {
	t.mu.Lock()
	s := Stats{Dir: t.o.Dir, Blocks: int64(len(t.index)), Bytes: t.bytes, MaxBytes: t.o.MaxBytes}
	t.mu.Unlock()
	s.Hits, s.Misses, s.Corrupt = t.hits.Load(), t.misses.Load(), t.corrupt.Load()
	s.Writes, s.Evictions = t.writes.Load(), t.evictions.Load()
	return s
}

// load indexes the blocks an earlier mount left (oldest first in the LRU
// by modification time), or removes them with Cleanup; half-written
// files are removed.
func (t *Tier) load() {
	type found struct {
		name string
		size int64
		mod  time.Time
	}
	var blocks []found
	_ = filepath.WalkDir(t.o.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Dir(p) == t.o.Dir {
			return nil // the lock file lives at the top
		}
		info, err := d.Info()
		if t.o.Cleanup || err != nil || strings.HasSuffix(p, ".tmp") || len(d.Name()) != 32 || info.Size() < crcLen {
			os.Remove(p)
			return nil
		}
		blocks = append(blocks, found{d.Name(), info.Size(), info.ModTime()})
		return nil
	})
	// Oldest first, so the newest end up at the front.
	slices.SortFunc(blocks, func(a, b found) int { return a.mod.Compare(b.mod) })
	for _, b := range blocks {
		t.index[b.name] = t.lru.PushFront(&block{name: b.name, size: b.size, lastUse: time.Now()})
		t.bytes += b.size
	}
	t.remove(t.overflow())
	if len(t.index) > 0 {
		t.log.Info("disk tier: blocks from an earlier mount kept for reuse", "blocks", len(t.index),
			"bytes", t.bytes, "dir", t.o.Dir)
	}
}

// expireLoop removes blocks unused for Timeout.
func (t *Tier) expireLoop() {
	defer t.bg.Done()
	if t.o.Timeout <= 0 {
		<-t.stop
		return
	}
	tick := time.NewTicker(min(max(t.o.Timeout/4, time.Second), 30*time.Second))
	defer tick.Stop()
	for {
		select {
		case <-t.stop:
			return
		case now := <-tick.C:
			t.remove(t.expired(now))
		}
	}
}

// expired takes the blocks unused for Timeout out of the index.
func (t *Tier) expired(now time.Time) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for e := t.lru.Back(); e != nil && now.Sub(e.Value.(*block).lastUse) >= t.o.Timeout; e = t.lru.Back() {
		out = append(out, t.unlink(e).name)
	}
	return out
}
