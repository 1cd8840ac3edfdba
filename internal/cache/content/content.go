// Package content says what an open file's bytes are. vfs keeps a file's
// name, identity and attributes and holds one Content for its bytes,
// chosen when the file is opened or created:
//
//   - staged (package staged): a whole copy in the cache directory, read
//     while it downloads, uploaded at flush, journaled so a crash loses
//     nothing that was staged;
//   - streamed (package stream): reads through ranged GETs with a growing
//     prefetch window, and a file written from start to end sent as a
//     multipart upload while it is written, in memory bounded by one
//     budget.
//
// A streamed file that is asked for something a stream cannot do (a write
// out of order, a read of a file being written) answers ErrRestage; vfs
// then completes the stream and moves the file to a staged copy, once and
// one way.
//
// Calls on a Content are serialised by the file's lock in vfs, except
// ReadAt and ReadShared, which vfs makes without it so that reads of one
// file run in parallel; implementations guard what those share.
package content

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// ErrRestage says the content cannot take this call: vfs moves the file
// to a staged copy and makes the call again there.
var ErrRestage = errors.New("the file's data must be staged for this")

// Version is the version of an object a file's bytes come from. Key ""
// means the store holds nothing for the file yet.
type Version struct {
	Key  string
	ETag string
	Size int64
}

// Target is where and how the file's bytes are stored: its key, the
// metadata the object gets (mode, owner, times, the user's own), the ETag
// of the version it replaces and whether it was never stored. A staged
// file records it in its journal, so a crash can still finish the upload.
type Target struct {
	Key      string
	Meta     map[string]string
	BaseETag string
	Created  bool
}

// Stored is what Flush put in the store.
type Stored struct {
	Object storage.Object
	// Meta is the metadata the object was stored with. When it differs
	// from the Target's, vfs brings the object up to date.
	Meta map[string]string
	// Since, when set, says the object was started at that time with
	// times the writes since then make stale: times at or after Since are
	// not written back; the file shows the object's own (those in Meta
	// when it has them, else its Last-Modified).
	Since time.Time
}

// Reads is what one open handle keeps for its reads (a streaming reader
// of the version it reads, with its prefetch window). Stream says the
// handle may read through a stream: vfs sets it for handles opened
// read-only. Close releases what reads left.
type Reads struct {
	Stream bool

	mu    sync.Mutex
	state ReadState
}

// ReadState is what a content keeps in a handle's Reads.
type ReadState interface{ Close() }

// Use gives fn the handle's read state and keeps the one fn returns.
func (r *Reads) Use(fn func(ReadState) ReadState) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.state = fn(r.state)
}

// Close releases the read state.
func (r *Reads) Close() {
	r.mu.Lock()
	s := r.state
	r.state = nil
	r.mu.Unlock()
	if s != nil {
		s.Close()
	}
}

// Content is an open file's bytes.
type Content interface {
	// Size is the file's size.
	Size() int64
	// Dirty says the content holds bytes the store does not have yet.
	Dirty() bool
	// Bound is the key the content must be stored under, if it cannot
	// choose (an upload in progress); "" if it can be stored anywhere.
	Bound() string

	// ReadAt reads into buf at off; it returns fewer bytes only at the
	// end of the file. rd is the calling handle's read state.
	ReadAt(ctx context.Context, rd *Reads, buf []byte, off int64) (int, error)
	// ReadShared is ReadAt without a copy where the content holds the
	// bytes in memory: slices valid until release, which must be called
	// once, also after an error.
	ReadShared(ctx context.Context, rd *Reads, buf []byte, off int64) (bufs [][]byte, release func(), err error)
	// WriteAt writes data at off, growing the file as needed.
	WriteAt(ctx context.Context, data []byte, off int64) (int, error)
	// Truncate sets the size.
	Truncate(ctx context.Context, size int64) error
	// Load makes the bytes independent of the stored object, which is
	// about to be deleted (unlink of an open file).
	Load(ctx context.Context) error
	// Settle waits for transfers of the stored version that run in the
	// background (a download), before the object moves.
	Settle(ctx context.Context) error

	// Describe tells the content where and how it will be stored; a
	// staged file rewrites its journal record.
	Describe(t Target) error
	// Flush makes the store hold the content if it is dirty, under
	// t.Key (or under Bound when set). stored says whether anything was
	// stored. keepOpen says a descriptor closed while others may go on
	// writing: a stream that has not started keeps going.
	Flush(ctx context.Context, t Target, keepOpen bool) (st Stored, stored bool, err error)
	// Rebase says the store holds the same bytes as another version now
	// (a rename, a metadata rewrite that changed the ETag).
	Rebase(v Version)
	// Abandon drops the content: the file was unlinked or replaced in
	// the store. Nothing is uploaded any more; reads of what is local go
	// on until Close.
	Abandon()
	// Close ends the content after its last handle: a clean staged copy
	// stays in the cache for the next open.
	Close()
}

// Metadata keys of a file's times (s3fs's convention: seconds since the
// epoch). vfs writes them; a content that starts an upload before the
// file's times are final leaves them out (see Stored.Since).
const (
	MetaMtime = "mtime"
	MetaAtime = "atime"
	MetaCtime = "ctime"
)

// WithoutTimes returns a copy of md without the times.
func WithoutTimes(md map[string]string) map[string]string {
	out := make(map[string]string, len(md))
	for k, v := range md {
		switch k {
		case MetaMtime, MetaAtime, MetaCtime:
		default:
			out[k] = v
		}
	}
	return out
}

// ErrLost says a change could not be kept (the cache disk is full): the
// file's unsaved changes are dropped and nothing of them is stored; the
// store keeps its last version. Every later call on the content answers
// it, so no write lands on a copy that lacks the ones before it.
var ErrLost = errors.New("unsaved changes lost")
