package vfs

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"time"
)

// fileCache owns the cache directory: staged copies of objects under data/
// and one journal record per dirty file under journal/. A journal record is
// written and synced before a file is reported dirty-but-safe, and removed
// only after its upload succeeded, so a killed daemon leaves enough behind
// for the next mount to finish the upload.
//
// Clean copies stay after the last close for CacheTimeout so a reopen of an
// unchanged object (same key and ETag) reads locally. Dirty files are never
// evicted. mu guards items; it is never held across file or store I/O other
// than unlink of evicted copies.
type fileCache struct {
	dir     string
	timeout time.Duration
	maxSize int64
	high    int
	low     int

	mu    sync.Mutex
	items map[string]*cacheItem // clean copies not in use, by key
}

type cacheItem struct {
	key     string
	etag    string
	path    string
	size    int64
	lastUse time.Time
}

// journalRecord describes a dirty file on disk.
type journalRecord struct {
	Key      string            `json:"key"`
	Data     string            `json:"data"` // file name under data/
	BaseETag string            `json:"base_etag,omitempty"`
	Meta     map[string]string `json:"meta,omitempty"`
	Created  bool              `json:"created,omitempty"`
	Time     time.Time         `json:"time"`
}

func openFileCache(o Options) (*fileCache, error) {
	c := &fileCache{dir: o.CacheDir, timeout: o.CacheTimeout, maxSize: o.CacheMaxBytes,
		high: o.HighDiskThreshold, low: o.LowDiskThreshold, items: map[string]*cacheItem{}}
	// The cache directory may be one the user already has (even a shared
	// one like /tmp): its mode is left alone. What we keep in it lives in
	// data/ and journal/, which only the mounting user can enter.
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return nil, fmt.Errorf("file cache: %w", err)
	}
	for _, d := range []string{c.dataDir(), c.journalDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("file cache: %w", err)
		}
		if err := os.Chmod(d, 0o700); err != nil {
			return nil, fmt.Errorf("file cache: %w", err)
		}
	}
	return c, nil
}

func (c *fileCache) dataDir() string    { return filepath.Join(c.dir, "data") }
func (c *fileCache) journalDir() string { return filepath.Join(c.dir, "journal") }

// newDataFile creates an empty staging file with a unique name.
func (c *fileCache) newDataFile() (*os.File, string, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, "", err
	}
	name := hex.EncodeToString(b[:])
	f, err := os.OpenFile(filepath.Join(c.dataDir(), name), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, "", mapLocalErr(err)
	}
	return f, name, nil
}

func (c *fileCache) dataPath(name string) string { return filepath.Join(c.dataDir(), name) }

// take removes and returns the clean copy of key at etag, if cached.
func (c *fileCache) take(key, etag string) *cacheItem {
	c.mu.Lock()
	defer c.mu.Unlock()
	it, ok := c.items[key]
	if !ok {
		return nil
	}
	delete(c.items, key)
	if it.etag != etag || etag == "" {
		os.Remove(it.path)
		return nil
	}
	return it
}

// put keeps a clean copy of key for later reopens, replacing an older one.
func (c *fileCache) put(key, etag, path string, size int64) {
	if c.timeout <= 0 || etag == "" {
		os.Remove(path)
		return
	}
	c.mu.Lock()
	old := c.items[key]
	c.items[key] = &cacheItem{key: key, etag: etag, path: path, size: size, lastUse: time.Now()}
	c.mu.Unlock()
	if old != nil && old.path != path {
		os.Remove(old.path)
	}
}

// drop discards any clean copy of key.
func (c *fileCache) drop(key string) {
	c.mu.Lock()
	it := c.items[key]
	delete(c.items, key)
	c.mu.Unlock()
	if it != nil {
		os.Remove(it.path)
	}
}

// evict removes copies unused for longer than the timeout, then the least
// recently used ones while the cache is over its size or disk threshold.
func (c *fileCache) evict(now time.Time) {
	c.mu.Lock()
	var victims []*cacheItem
	var total int64
	rest := make([]*cacheItem, 0, len(c.items))
	for k, it := range c.items {
		if now.Sub(it.lastUse) >= c.timeout {
			victims = append(victims, it)
			delete(c.items, k)
			continue
		}
		total += it.size
		rest = append(rest, it)
	}
	sort.Slice(rest, func(i, j int) bool { return rest[i].lastUse.Before(rest[j].lastUse) })
	// Past the high threshold, free down to the low one (of max-size when
	// set, and of the cache disk).
	var free int64
	if c.maxSize > 0 && total*100 >= c.maxSize*int64(c.high) {
		free = total - c.maxSize*int64(c.low)/100
	}
	if used, size := diskUsage(c.dir); size > 0 && used*100 >= size*int64(c.high) {
		free = max(free, used-size*int64(c.low)/100)
	}
	for len(rest) > 0 && free > 0 {
		it := rest[0]
		rest = rest[1:]
		delete(c.items, it.key)
		victims = append(victims, it)
		free -= it.size
	}
	c.mu.Unlock()
	for _, it := range victims {
		os.Remove(it.path)
	}
}

// diskUsage returns used and total bytes of the filesystem holding dir.
func diskUsage(dir string) (used, size int64) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, 0
	}
	bs := int64(st.Bsize)
	return int64(st.Blocks-st.Bavail) * bs, int64(st.Blocks) * bs
}

// writeJournal records a dirty file (write to a temporary name, rename).
// With sync set the record and the directory are flushed to disk: that is
// done when an upload failed and the data must outlive a machine crash.
// Without it the record survives a killed daemon but not a power loss,
// which matches the staged data it describes, itself not yet synced.
func (c *fileCache) writeJournal(id string, rec journalRecord, sync bool) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	final := filepath.Join(c.journalDir(), id+".json")
	tmp := final + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return mapLocalErr(err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return mapLocalErr(err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			f.Close()
			return mapLocalErr(err)
		}
	}
	if err := f.Close(); err != nil {
		return mapLocalErr(err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return mapLocalErr(err)
	}
	if sync {
		return syncDir(c.journalDir())
	}
	return nil
}

func (c *fileCache) removeJournal(id string) {
	os.Remove(filepath.Join(c.journalDir(), id+".json"))
}

// journals lists the records left in the journal directory.
func (c *fileCache) journals() (map[string]journalRecord, error) {
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
func (c *fileCache) removeOrphans(keep map[string]bool) {
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

// mapLocalErr turns local disk errors into vfs errors.
func mapLocalErr(err error) error {
	if err == nil {
		return nil
	}
	if pe, ok := err.(*os.PathError); ok && pe.Err == syscall.ENOSPC {
		return fmt.Errorf("%w: %w", ErrNoSpace, err)
	}
	return err
}
