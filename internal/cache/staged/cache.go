// Package staged is the file cache data path: a file's whole object is
// staged in a local cache directory, read while it downloads, written in
// place and uploaded at flush (parts of a file written afresh go while it
// is written). A journal record per dirty file lets the next mount finish
// an upload a killed daemon left, and a record per multipart upload lets
// it abort what the store would otherwise keep. Clean copies stay for
// reopening until they time out or the disk fills.
package staged

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/a9de3765/cloudfuse/internal/cache/dirlock"
	"github.com/a9de3765/cloudfuse/internal/cache/stream"
	"github.com/a9de3765/cloudfuse/internal/diskspace"
	"github.com/a9de3765/cloudfuse/internal/storage"
)

// ErrInUse says another live mount holds the cache directory.
var ErrInUse = dirlock.ErrInUse

// Options configures the cache. Every field is set by the caller: the
// defaults live in the config layer.
type Options struct {
	// Dir holds staged copies under data/ and records under journal/.
	// Created 0700 if missing.
	Dir string
	// Timeout is how long an unused clean copy stays after its last
	// close; 0 keeps none.
	Timeout time.Duration
	// MaxBytes bounds the clean copies (0: only the disk thresholds).
	MaxBytes int64
	// High and Low are percentages of MaxBytes and of the cache disk:
	// above High, clean copies are evicted until usage is below Low.
	High, Low int
	// MaxEviction bounds how many copies one eviction pass removes (0: no
	// bound); the rest go in the next passes, so a huge cache is trimmed
	// without a long burst of unlinks.
	MaxEviction int
	// PartSize and Concurrency govern multipart uploads and parallel
	// downloads (the store's part size and concurrency).
	PartSize    int64
	Concurrency int
	// Budget is the mount's memory budget; download buffers come from it.
	Budget *stream.Budget
	// ReadOnly leaves what an earlier run left in place.
	ReadOnly bool
	// Lazy says files are uploaded after their close (lazy-write): no
	// part is sent while a file is written, since close does not wait for
	// the upload and a file's parts would only hold the writes back.
	Lazy bool
	// Persist keeps clean copies for the next mount over the directory,
	// which reuses each one whose object still has its ETag and size
	// (see persist.go); without it they are removed at mount.
	Persist bool
	// Owner names the mount (its mountpoint) in the directory's lock, so
	// that a second mount over the directory is refused naming it.
	Owner  string
	Logger *slog.Logger
}

// Cache owns the cache directory: staged copies of objects under data/ and
// one journal record per dirty file under journal/. A journal record is
// written before a file is reported dirty-but-safe, and removed only
// after its upload succeeded, so a killed daemon leaves enough behind for
// the next mount to finish the upload.
//
// Clean copies stay after the last close for Timeout so a reopen of an
// unchanged object (same key and ETag) reads locally. Dirty files are never
// evicted. mu guards items; it is never held across file or store I/O other
// than unlink of evicted copies.
type Cache struct {
	b       storage.Backend
	caps    storage.Caps
	opts    Options
	log     *slog.Logger
	uploads *uploadJournal
	lock    *os.File // flock held for the life of the mount (dirlock)

	stop chan struct{}
	bg   sync.WaitGroup

	mu        sync.Mutex
	items     map[string]*cacheItem // clean copies not in use, by key
	itemBytes int64                 // their total size (setItem, unsetItem)
	closed    bool                  // Close began: no new background work

	preload atomic.Pointer[preloadState] // the running or last preload
}

type cacheItem struct {
	key     string
	etag    string
	path    string
	size    int64
	lastUse time.Time
	pinned  bool // preloaded and not used yet: the timeout spares it
}

// journalRecord describes a dirty file on disk.
type journalRecord struct {
	Key      string            `json:"key"`
	Data     string            `json:"data"` // file name under data/
	BaseETag string            `json:"base_etag,omitempty"`
	Meta     map[string]string `json:"meta,omitempty"`
	Created  bool              `json:"created,omitempty"`
	// Unfinished says the data was changed after the last flush the
	// application asked for (close, fsync): it may be torn, and is never
	// published under Key (see recoverOne). Records of earlier versions
	// lack it: they were written when an upload at flush failed.
	Unfinished bool `json:"unfinished,omitempty"`
	// Size and CRC32C (Castagnoli), when set, are what the data held when
	// the application closed the file and its upload was left to the
	// background (lazy-write, File.Finish). A data file that no longer
	// matches them did not reach the disk whole before the machine
	// stopped: it is treated as Unfinished.
	Size   int64     `json:"size,omitempty"`
	CRC32C *uint32   `json:"crc32c,omitempty"`
	Time   time.Time `json:"time"`
}

// Open opens the cache directory for a mount over b: it aborts the
// multipart uploads and uploads the dirty files an earlier run over the
// same directory left (unless ReadOnly), then trims the cache in the
// background until Close.
func Open(ctx context.Context, b storage.Backend, o Options) (*Cache, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Cache{b: b, caps: b.Caps(), opts: o, log: o.Logger, items: map[string]*cacheItem{},
		stop: make(chan struct{})}
	// The cache directory may be one the user already has (even a shared
	// one like /tmp): its mode is left alone. What we keep in it lives in
	// data/ and journal/, which only the mounting user can enter.
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, err
	}
	for _, d := range []string{c.dataDir(), c.journalDir(), c.cleanDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
		if err := os.Chmod(d, 0o700); err != nil {
			return nil, err
		}
	}
	var err error
	if c.lock, err = dirlock.Lock(o.Dir, o.Owner); err != nil {
		return nil, err
	}
	if c.uploads, err = openUploadJournal(c.journalDir()); err == nil {
		if err = c.abortLeftUploads(ctx); err == nil {
			var keep map[string]bool
			if keep, err = c.recoverDirty(ctx); err == nil {
				c.loadClean(keep)
				c.removeOrphans(keep)
			}
		}
	}
	if err != nil {
		c.lock.Close()
		return nil, err
	}
	c.bg.Add(1)
	go c.evictLoop()
	return c, nil
}

// Close stops the background eviction and gives the directory up.
func (c *Cache) Close() {
	c.mu.Lock()
	closed := c.closed
	c.closed = true
	c.mu.Unlock()
	if closed {
		return
	}
	close(c.stop)
	c.bg.Wait()
	c.lock.Close()
}

func (c *Cache) dataDir() string    { return filepath.Join(c.opts.Dir, "data") }
func (c *Cache) journalDir() string { return filepath.Join(c.opts.Dir, "journal") }

// newDataFile creates an empty staging file with a unique name.
func (c *Cache) newDataFile() (*os.File, string, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, "", err
	}
	name := hex.EncodeToString(b[:])
	f, err := os.OpenFile(filepath.Join(c.dataDir(), name), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, "", err
	}
	return f, name, nil
}

func (c *Cache) dataPath(name string) string { return filepath.Join(c.dataDir(), name) }

// take removes and returns the clean copy of key at etag, if cached.
func (c *Cache) take(key, etag string) *cacheItem {
	c.mu.Lock()
	defer c.mu.Unlock()
	it := c.unsetItem(key)
	if it == nil {
		return nil
	}
	if it.etag != etag || etag == "" {
		c.discard(it)
		return nil
	}
	c.forget(it)
	return it
}

// put keeps a clean copy of key for later reopens, replacing an older one.
func (c *Cache) put(key, etag, path string, size int64) {
	if c.opts.Timeout <= 0 || etag == "" {
		os.Remove(path)
		return
	}
	it := &cacheItem{key: key, etag: etag, path: path, size: size, lastUse: time.Now()}
	c.remember(it)
	c.mu.Lock()
	old := c.setItem(it)
	c.mu.Unlock()
	if old != nil && old.path != path {
		c.discard(old)
	}
}

// Drop discards any clean copy of key (the object was deleted or
// replaced).
func (c *Cache) Drop(key string) {
	c.mu.Lock()
	it := c.unsetItem(key)
	c.mu.Unlock()
	if it != nil {
		c.discard(it)
	}
}

// setItem keeps it as the clean copy of its key and returns the copy it
// replaces, if any; unsetItem removes the copy of key and returns it.
// Both keep itemBytes. Caller holds c.mu.
func (c *Cache) setItem(it *cacheItem) (old *cacheItem) {
	if old = c.items[it.key]; old != nil {
		c.itemBytes -= old.size
	}
	c.items[it.key] = it
	c.itemBytes += it.size
	return old
}

func (c *Cache) unsetItem(key string) *cacheItem {
	it := c.items[key]
	if it != nil {
		delete(c.items, key)
		c.itemBytes -= it.size
	}
	return it
}

// evict removes copies unused for longer than the timeout, then the least
// recently used ones while the cache is over its size or disk threshold.
func (c *Cache) evict(now time.Time) {
	c.mu.Lock()
	var victims []*cacheItem
	rest := make([]*cacheItem, 0, len(c.items))
	room := func() bool { return c.opts.MaxEviction <= 0 || len(victims) < c.opts.MaxEviction }
	for k, it := range c.items {
		if !it.pinned && now.Sub(it.lastUse) >= c.opts.Timeout && room() {
			victims = append(victims, it)
			c.unsetItem(k)
			continue
		}
		rest = append(rest, it)
	}
	total := c.itemBytes
	sort.Slice(rest, func(i, j int) bool { return rest[i].lastUse.Before(rest[j].lastUse) })
	// Past the high threshold, free down to the low one (of max-size when
	// set, and of the cache disk).
	var free int64
	high, low := int64(c.opts.High), int64(c.opts.Low)
	if c.opts.MaxBytes > 0 && total*100 >= c.opts.MaxBytes*high {
		free = total - c.opts.MaxBytes*low/100
	}
	if used, size := diskUsage(c.opts.Dir); size > 0 && used*100 >= size*high {
		free = max(free, used-size*low/100)
	}
	for len(rest) > 0 && free > 0 && room() {
		it := rest[0]
		rest = rest[1:]
		c.unsetItem(it.key)
		victims = append(victims, it)
		free -= it.size
	}
	c.mu.Unlock()
	for _, it := range victims {
		c.discard(it)
	}
}

// room makes n bytes of the cache disk free for a copy of an object,
// evicting clean copies when needed. An object that cannot fit answers
// EFBIG, with the sizes.
func (c *Cache) room(n int64) error {
	free := func() int64 {
		used, size := diskUsage(c.opts.Dir)
		if size == 0 {
			return -1 // unknown: go ahead
		}
		return size - used
	}
	if f := free(); f < 0 || n <= f {
		return nil
	}
	c.evictAll()
	f := free()
	if n <= f {
		return nil
	}
	err := fmt.Errorf("%w: the object is %d bytes and the cache directory %s has %d bytes free",
		syscall.EFBIG, n, c.opts.Dir, f)
	c.log.Error("object larger than the free space of the file cache; use a larger cache disk or the streaming data path (block_cache)", "err", err)
	return err
}

// evictAll removes every clean copy not in use; it reports whether there
// was any.
func (c *Cache) evictAll() bool {
	c.mu.Lock()
	items := c.items
	c.items, c.itemBytes = map[string]*cacheItem{}, 0
	c.mu.Unlock()
	for _, it := range items {
		c.discard(it)
	}
	return len(items) > 0
}

// diskUsage returns used and total bytes of the filesystem holding dir
// (used counts what the caller cannot use: blocks less those available),
// or 0, 0 when it cannot tell.
func diskUsage(dir string) (used, size int64) {
	u, err := diskspace.Of(dir)
	if err != nil {
		return 0, 0
	}
	return u.Used(), u.Total
}

// writeJournal records a dirty file (write to a temporary name, rename).
// With sync set the record and the directory are flushed to disk: that is
// done when an upload failed and the data must outlive a machine crash.
// Without it the record survives a killed daemon but not a power loss,
// which matches the staged data it describes, itself not yet synced.
func (c *Cache) writeJournal(id string, rec journalRecord, sync bool) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	final := filepath.Join(c.journalDir(), id+".json")
	tmp := final + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if sync {
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		return err
	}
	if sync {
		return syncDir(c.journalDir())
	}
	return nil
}

func (c *Cache) removeJournal(id string) {
	os.Remove(filepath.Join(c.journalDir(), id+".json"))
}

// journals lists the records left in the journal directory.
func (c *Cache) journals() (map[string]journalRecord, error) {
	ents, err := os.ReadDir(c.journalDir())
	if err != nil {
		return nil, err
	}
	out := map[string]journalRecord{}
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() {
			continue // uploads/: see uploadJournal
		}
		if filepath.Ext(name) != ".json" {
			os.Remove(filepath.Join(c.journalDir(), name))
			continue
		}
		data, err := os.ReadFile(filepath.Join(c.journalDir(), name))
		if err != nil {
			return nil, err
		}
		var rec journalRecord
		if err := json.Unmarshal(data, &rec); err != nil {
			return nil, fmt.Errorf("journal record %s: %w", name, err)
		}
		out[name[:len(name)-len(".json")]] = rec
	}
	return out, nil
}

// removeOrphans deletes staged data that no journal record refers to.
func (c *Cache) removeOrphans(keep map[string]bool) {
	ents, err := os.ReadDir(c.dataDir())
	if err != nil {
		return
	}
	for _, e := range ents {
		if !keep[e.Name()] {
			os.Remove(filepath.Join(c.dataDir(), e.Name()))
		}
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// evictLoop trims the cache until Close.
func (c *Cache) evictLoop() {
	defer c.bg.Done()
	period := min(max(c.opts.Timeout/4, time.Second), 30*time.Second)
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case now := <-t.C:
			c.evict(now)
		}
	}
}
