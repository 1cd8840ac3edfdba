package dirstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// sidecar is what the store knows about an object file beyond its bytes.
// Size and MTime record the data file it was written for; when they no
// longer match, the file was changed by someone else and ETag is stale.
type sidecar struct {
	ETag        string            `json:"etag"`
	Size        int64             `json:"size"`
	MTime       int64             `json:"mtime_ns"`
	ContentType string            `json:"content_type,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
}

// readSidecar reads the sidecar at path; a missing or unreadable one gives
// the zero sidecar.
func readSidecar(path string) sidecar {
	var sc sidecar
	raw, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(raw, &sc) != nil {
		return sidecar{}
	}
	return sc
}

// writeSidecar stores sc at path through a temporary file and a rename.
func (s *Store) writeSidecar(path string, sc sidecar) error {
	raw, err := json.Marshal(sc)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(s.tmpDir, "meta-")
	if err != nil {
		return err
	}
	_, werr := f.Write(raw)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(f.Name(), path)
	}
	if werr != nil {
		_ = os.Remove(f.Name())
	}
	return werr
}

// describe builds the Object for a data file and its sidecar.
func describe(key string, fi fs.FileInfo, sc sidecar) storage.Object {
	obj := storage.Object{
		Key:          key,
		Size:         fi.Size(),
		ETag:         sc.ETag,
		LastModified: fi.ModTime(),
		ContentType:  sc.ContentType,
		Metadata:     sc.Metadata,
	}
	if sc.ETag == "" || sc.Size != fi.Size() || sc.MTime != fi.ModTime().UnixNano() {
		obj.ETag = statETag(fi)
	}
	return obj
}

// statETag names a file version the store did not write: a different
// size, time or file gives a different ETag.
func statETag(fi fs.FileInfo) string {
	return fmt.Sprintf("f%x-%x-%x", fi.Size(), fi.ModTime().UnixNano(), fileID(fi))
}

// stamp sets a fresh modification time on a finished temporary data file
// and returns its info as the file system stores it.
func stamp(path string, now time.Time) (fs.FileInfo, error) {
	if err := os.Chtimes(path, now, now); err != nil {
		return nil, err
	}
	return os.Stat(path)
}

// statObject reads the data file and sidecar at l. A directory or any
// other non-file at the data path is ErrNotFound.
func statObject(op, key string, l loc) (fs.FileInfo, sidecar, error) {
	fi, err := os.Stat(l.data)
	if err != nil {
		return nil, sidecar{}, wrapErr(op, key, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, sidecar{}, storage.Errorf(op, key, storage.ErrNotFound, errors.New("not a regular file"))
	}
	return fi, readSidecar(l.meta), nil
}
