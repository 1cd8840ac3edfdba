package staged

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// recoverDirty uploads files that were dirty when an earlier run stopped.
// A file changed since the last close or fsync the application asked for
// may be torn: it is saved next to its object as "<name>.conflict-<time>",
// and so is an edit whose object changed in the store meanwhile; neither
// overwrites the stored version.
// Files that still cannot be uploaded keep their journal record and are
// retried at the next mount.
// It returns the data files the journal still refers to.
func (c *Cache) recoverDirty(ctx context.Context) (map[string]bool, error) {
	recs, err := c.journals()
	if err != nil {
		return nil, fmt.Errorf("file cache journal: %w", err)
	}
	keep := map[string]bool{}
	for id, rec := range recs {
		keep[rec.Data] = true
		if c.opts.ReadOnly {
			c.log.Warn("read-only mount: pending upload left in cache", "path", rec.Key,
				"cache_file", c.dataPath(rec.Data))
			continue
		}
		if err := c.recoverOne(ctx, rec); err != nil {
			c.log.Error("pending upload failed; will retry at next mount", "path", rec.Key,
				"cache_file", c.dataPath(rec.Data), "err", err)
			continue
		}
		c.removeJournal(id)
		os.Remove(c.dataPath(rec.Data))
		delete(keep, rec.Data)
	}
	return keep, nil
}

func (c *Cache) recoverOne(ctx context.Context, rec journalRecord) error {
	lf, err := os.Open(c.dataPath(rec.Data))
	if err != nil {
		return err
	}
	defer lf.Close()
	st, err := lf.Stat()
	if err != nil {
		return err
	}
	if !rec.Unfinished && rec.CRC32C != nil {
		if sum, err := checksum(lf); err != nil || st.Size() != rec.Size || sum != *rec.CRC32C {
			c.log.Warn("a file closed before an earlier run stopped is not on disk as it was closed "+
				"(the machine stopped before the cache disk had it); it is saved as a copy, never as the file",
				"path", rec.Key, "bytes", st.Size(), "closed_bytes", rec.Size)
			rec.Unfinished = true
		}
	}
	if rec.Unfinished {
		// Written after the last close or fsync: possibly torn. It never
		// replaces what the store holds under its name, unless that is
		// already these bytes (a flush's upload completed, and the daemon
		// stopped before it could remove the record).
		if cur, err := c.b.Head(ctx, rec.Key); err == nil && (rec.BaseETag == "" || cur.ETag != rec.BaseETag) {
			if same, err := c.holdsData(ctx, rec.Key, cur, lf, st.Size()); err == nil && same {
				c.log.Info("pending change from an earlier run was already uploaded", "path", rec.Key)
				return nil
			}
		}
		key, err := c.conflictKey(ctx, rec.Key)
		if err != nil {
			return err
		}
		if _, err := c.putFile(ctx, key, lf, st.Size(), rec.Meta); err != nil {
			return err
		}
		c.log.Warn("a file was being written when an earlier run stopped (never closed or synced); "+
			"saved what was written as a copy and left the stored version as it was",
			"path", rec.Key, "recovered_copy", key, "bytes", st.Size())
		return nil
	}
	key := rec.Key
	cur, err := c.b.Head(ctx, key)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		if !rec.Created && rec.BaseETag != "" {
			c.log.Warn("object was deleted while an edit was pending; restoring the edited version", "path", key)
		}
	case err != nil:
		return err
	case rec.BaseETag != "" && cur.ETag != rec.BaseETag, rec.Created:
		if same, err := c.holdsData(ctx, key, cur, lf, st.Size()); err == nil && same {
			// The upload completed, but the daemon stopped before it
			// could remove the record.
			c.log.Info("pending change from an earlier run was already uploaded", "path", key)
			return nil
		}
		if key, err = c.conflictKey(ctx, rec.Key); err != nil {
			return err
		}
		c.log.Warn("object changed while an edit was pending; saved the edit as a conflict copy",
			"path", rec.Key, "conflict_copy", key)
	}
	if _, err := c.putFile(ctx, key, lf, st.Size(), rec.Meta); err != nil {
		return err
	}
	c.log.Info("uploaded pending change from an earlier run", "path", key, "bytes", st.Size())
	return nil
}

// checksum is the CRC32C of all of r.
func checksum(r io.ReaderAt) (uint32, error) {
	h := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	if _, err := io.Copy(h, io.NewSectionReader(r, 0, math.MaxInt64)); err != nil {
		return 0, err
	}
	return h.Sum32(), nil
}

// holdsData reports whether obj, the object at key, holds exactly the size
// bytes of r.
func (c *Cache) holdsData(ctx context.Context, key string, obj storage.Object, r io.ReaderAt, size int64) (bool, error) {
	if obj.Size != size {
		return false, nil
	}
	rc, _, err := c.b.Get(ctx, key, storage.GetOptions{Length: -1, IfMatch: obj.ETag})
	if err != nil {
		return false, err
	}
	defer rc.Close()
	local := io.NewSectionReader(r, 0, size)
	a, b := make([]byte, 256<<10), make([]byte, 256<<10)
	var total int64
	for {
		n, err := io.ReadFull(rc, a)
		if n > 0 {
			if _, lerr := io.ReadFull(local, b[:n]); lerr != nil || !bytes.Equal(a[:n], b[:n]) {
				return false, lerr
			}
			total += int64(n)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return total == size, nil
		}
		if err != nil {
			return false, err
		}
	}
}

// conflictName is the key of a copy saved beside key instead of replacing
// it: "<key>.conflict-<UTC time>", and "-<n>" after it for the n-th copy
// saved in the same second.
func conflictName(key string, now time.Time, n int) string {
	name := fmt.Sprintf("%s.conflict-%s", key, now.UTC().Format("20060102T150405Z"))
	if n > 1 {
		name += fmt.Sprintf("-%d", n)
	}
	return name
}

// conflictKey is the first conflict name for key that no object holds
// yet: a copy saved after another in the same second never replaces it.
func (c *Cache) conflictKey(ctx context.Context, key string) (string, error) {
	now := time.Now()
	for n := 1; ; n++ {
		name := conflictName(key, now, n)
		_, err := c.b.Head(ctx, name)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			return name, nil
		case err != nil:
			return "", err
		}
	}
}
