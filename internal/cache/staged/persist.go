package staged

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Clean copies outlive the mount when Options.Persist is set: each one
// kept for reopening has a record under clean/ naming its key, ETag and
// size, written after the copy is complete. The next mount over the
// directory takes back every copy whose record and data agree; an open
// then uses it only if the object still has that ETag and size, so a copy
// of an object changed behind the mount's back is dropped and fetched
// again. Without Persist the records are removed at mount with the
// copies, as they always were.

// cleanRecord describes a clean copy on disk.
type cleanRecord struct {
	Key  string    `json:"key"`
	ETag string    `json:"etag"`
	Size int64     `json:"size"`
	Time time.Time `json:"time"`
}

func (c *Cache) cleanDir() string { return filepath.Join(c.opts.Dir, "clean") }

func (c *Cache) cleanRecordPath(dataPath string) string {
	return filepath.Join(c.cleanDir(), filepath.Base(dataPath)+".json")
}

// remember writes the record of a clean copy kept for reopening. A copy
// whose record cannot be written is still kept for this mount.
func (c *Cache) remember(it *cacheItem) {
	if !c.opts.Persist {
		return
	}
	data, err := json.Marshal(cleanRecord{Key: it.key, ETag: it.etag, Size: it.size, Time: it.lastUse})
	if err == nil {
		tmp := c.cleanRecordPath(it.path) + ".tmp"
		if err = os.WriteFile(tmp, data, 0o600); err == nil {
			err = os.Rename(tmp, c.cleanRecordPath(it.path))
		}
	}
	if err != nil {
		c.log.Warn("clean copy will not be reused after a remount", "path", it.key, "err", err)
	}
}

// forget removes the record of a clean copy (the copy is removed or is
// being used).
func (c *Cache) forget(it *cacheItem) {
	if c.opts.Persist {
		os.Remove(c.cleanRecordPath(it.path))
	}
}

// discard removes a clean copy and its record.
func (c *Cache) discard(it *cacheItem) {
	c.forget(it)
	os.Remove(it.path)
}

// loadClean takes back the clean copies an earlier mount kept and marks
// their data in keep. It runs in Open, before anything else uses the
// cache. Records without matching data, and all records
// when copies are not persisted, are removed. Copies count as used now:
// their timeout runs from this mount.
func (c *Cache) loadClean(keep map[string]bool) {
	ents, err := os.ReadDir(c.cleanDir())
	if err != nil {
		return
	}
	now := time.Now()
	for _, e := range ents {
		path := filepath.Join(c.cleanDir(), e.Name())
		data := strings.TrimSuffix(e.Name(), ".json")
		if !c.opts.Persist || data == e.Name() || keep[data] {
			os.Remove(path)
			continue
		}
		it, ok := c.readClean(path, data)
		if !ok {
			os.Remove(path)
			continue
		}
		it.lastUse = now
		if old := c.setItem(it); old != nil {
			c.discard(old)
		}
		keep[data] = true
	}
	if len(c.items) > 0 {
		c.log.Info("file cache: clean copies from an earlier mount kept for reuse", "files", len(c.items))
	}
}

// readClean reads one record and checks that its data file has the size
// it names.
func (c *Cache) readClean(path, data string) (*cacheItem, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	var rec cleanRecord
	if json.Unmarshal(b, &rec) != nil || rec.Key == "" || rec.ETag == "" {
		return nil, false
	}
	st, err := os.Stat(c.dataPath(data))
	if err != nil || !st.Mode().IsRegular() || st.Size() != rec.Size {
		return nil, false
	}
	return &cacheItem{key: rec.Key, etag: rec.ETag, path: c.dataPath(data), size: rec.Size}, true
}
