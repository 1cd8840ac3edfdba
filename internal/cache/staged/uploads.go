package staged

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// uploadJournal records every multipart upload this mount starts, one
// file per upload under journal/uploads/ in the cache directory. A record
// is written and synced before the upload's first part is sent and removed
// once the upload is completed or aborted, so the records left when the
// daemon is killed name exactly the uploads it left unfinished; the next
// mount over the same cache directory aborts them (see abortLeftUploads).
//
// mu guards live, the IDs of this run's unfinished uploads, which the
// stale-upload sweep must never touch. It is never held across I/O.
type uploadJournal struct {
	dir string

	mu   sync.Mutex
	live map[string]bool
}

// uploadRecord is one unfinished multipart upload on disk.
type uploadRecord struct {
	Key string `json:"key"`
	// ID is the store's upload ID; empty on stores that give none
	// (Azure), where there is nothing to abort.
	ID   string    `json:"upload_id,omitempty"`
	Time time.Time `json:"time"`
}

func openUploadJournal(journalDir string) (*uploadJournal, error) {
	j := &uploadJournal{dir: filepath.Join(journalDir, "uploads"), live: map[string]bool{}}
	if err := os.MkdirAll(j.dir, 0o700); err != nil {
		return nil, fmt.Errorf("upload journal: %w", err)
	}
	return j, nil
}

// add records an upload durably and returns the function that forgets it.
func (j *uploadJournal) add(key string, up storage.Upload) (func(), error) {
	rec := uploadRecord{Key: key, ID: storage.UploadIDOf(up), Time: time.Now().UTC()}
	data, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	path := filepath.Join(j.dir, hex.EncodeToString(b[:])+".json")
	if err := writeSynced(path, data); err != nil {
		return nil, fmt.Errorf("upload journal: %w", err)
	}
	if err := syncDir(j.dir); err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("upload journal: %w", err)
	}
	if rec.ID != "" {
		j.mu.Lock()
		j.live[rec.ID] = true
		j.mu.Unlock()
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			os.Remove(path)
			if rec.ID != "" {
				j.mu.Lock()
				delete(j.live, rec.ID)
				j.mu.Unlock()
			}
		})
	}, nil
}

// isLive reports whether id is an upload of this run not yet finished.
func (j *uploadJournal) isLive(id string) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.live[id]
}

// records returns the records on disk by file path. Unreadable ones are
// removed: a record is written whole before its upload starts, so a torn
// one belongs to an upload that never sent a part.
func (j *uploadJournal) records() (map[string]uploadRecord, error) {
	ents, err := os.ReadDir(j.dir)
	if err != nil {
		return nil, err
	}
	out := map[string]uploadRecord{}
	for _, e := range ents {
		path := filepath.Join(j.dir, e.Name())
		var rec uploadRecord
		data, err := os.ReadFile(path)
		if err == nil {
			err = json.Unmarshal(data, &rec)
		}
		if err != nil || filepath.Ext(e.Name()) != ".json" || rec.Key == "" {
			os.Remove(path)
			continue
		}
		out[path] = rec
	}
	return out, nil
}

// writeSynced writes data to a new file at path and syncs it.
func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

// Track records up, a multipart upload of key that has sent no part yet.
// The returned release forgets it once it is completed or aborted.
func (c *Cache) Track(_ context.Context, key string, up storage.Upload) (func(), error) {
	return c.uploads.add(key, up)
}

// IsLive reports whether id is an upload of this run not yet finished;
// a sweep of stale uploads must leave it alone.
func (c *Cache) IsLive(id string) bool { return c.uploads.isLive(id) }

// abortLeftUploads aborts the multipart uploads an earlier run over this
// cache directory started and never finished (it was killed). On a store
// that gives uploads no ID (Azure) there is nothing to abort: staged
// blocks no block list commits never become visible and the service
// discards them after a week. A record whose abort fails is kept for the
// next mount.
func (c *Cache) abortLeftUploads(ctx context.Context) error {
	recs, err := c.uploads.records()
	if err != nil {
		return fmt.Errorf("upload journal: %w", err)
	}
	lister, canAbort := c.b.(storage.UploadLister)
	for path, rec := range recs {
		switch {
		case c.opts.ReadOnly:
			c.log.Warn("read-only mount: an unfinished multipart upload from an earlier run is left as it is",
				"path", rec.Key, "upload_id", rec.ID, "started", rec.Time)
			continue
		case rec.ID == "" || !canAbort:
			c.log.Info("an earlier run left an unfinished upload; the store discards its uncommitted data by itself",
				"path", rec.Key, "started", rec.Time)
		default:
			if err := lister.AbortUpload(ctx, rec.Key, rec.ID); err != nil {
				c.log.Warn("abort of an unfinished multipart upload from an earlier run failed; will retry at next mount",
					"path", rec.Key, "upload_id", rec.ID, "err", err)
				continue
			}
			c.log.Info("aborted an unfinished multipart upload left by an earlier run",
				"path", rec.Key, "upload_id", rec.ID, "started", rec.Time)
		}
		os.Remove(path)
	}
	return nil
}
