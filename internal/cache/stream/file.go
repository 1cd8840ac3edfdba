package stream

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/a9de3765/cloudfuse/internal/cache/content"
	"github.com/a9de3765/cloudfuse/internal/cache/disktier"
	"github.com/a9de3765/cloudfuse/internal/storage"
)

// Options configures the streaming data path of a mount. Every field is
// set by the caller: the defaults live in the config layer.
type Options struct {
	Budget      *Budget // shared by every reader and writer of the mount
	PartSize    int64   // read request and upload part size
	MaxWindow   int64   // read-ahead one open file may hold
	Concurrency int     // parts of one file uploading at once
	// Track records each multipart upload as it starts (see
	// WriterOptions.Track); nil records nothing.
	Track func(ctx context.Context, key string, up storage.Upload) (func(), error)
	// Disk, if set, is the mount's disk tier for reads.
	Disk *disktier.Tier
	// Ranges, if set, keeps what random reads fetch (ReaderOptions.Ranges).
	Ranges *Ranges
	Logger *slog.Logger
}

// Streamer makes the streamed content of a mount's files.
type Streamer struct {
	b    storage.Backend
	opts Options
	log  *slog.Logger
}

// NewStreamer returns the streaming data path over b.
func NewStreamer(b storage.Backend, o Options) *Streamer {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Streamer{b: b, opts: o, log: log}
}

// OpenFile returns the streamed content of version v: each handle opened
// for reading reads it through a Reader of its own.
func (s *Streamer) OpenFile(v content.Version, t content.Target) *File {
	return &File{s: s, base: v, target: t, size: v.Size}
}

// CreateFile returns the streamed content of a file written afresh: its
// bytes go to the store as they are written.
func (s *Streamer) CreateFile(t content.Target) *File {
	f := &File{s: s, target: t}
	f.startWriter()
	return f
}

// File is the streamed content of one file (content.Content): reads of
// the stored version through Readers, or a file written from its start
// through a Writer. Anything else answers content.ErrRestage.
//
// mu guards the fields; vfs serialises every call but reads, which run
// beside the others.
type File struct {
	s *Streamer

	mu     sync.Mutex
	base   content.Version
	target content.Target
	size   int64
	w      *Writer           // the upload of a file written afresh, or nil
	wMeta  map[string]string // the metadata w's object gets
	wStart time.Time
	// emptyStored is set once the store holds the file written afresh
	// while it is still empty (Flush with keepOpen).
	emptyStored bool
}

// startWriter starts a new upload of the file's key. Caller holds f.mu.
func (f *File) startWriter() {
	o := f.s.opts
	key := f.target.Key
	f.wMeta, f.wStart = f.target.Meta, time.Now().Truncate(time.Second)
	wo := WriterOptions{Budget: o.Budget, PartSize: o.PartSize, Concurrency: o.Concurrency,
		Put: storage.PutOptions{Metadata: f.wMeta}}
	if o.Track != nil {
		wo.Track = func(ctx context.Context, up storage.Upload) (func(), error) { return o.Track(ctx, key, up) }
	}
	f.w = NewWriter(f.s.b, key, wo)
	f.size, f.emptyStored = 0, false
}

// Size is the file's size.
func (f *File) Size() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.w != nil {
		return f.w.Size()
	}
	return f.size
}

// Dirty says an upload is in progress.
func (f *File) Dirty() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.w != nil
}

// Bound is the key of the upload in progress: it can complete only there.
func (f *File) Bound() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.w != nil {
		return f.w.key
	}
	return ""
}

// readState is what one handle keeps: the reader of the version it reads
// and readers of versions it read before, which a read may still use and
// which are closed with the handle.
type readState struct {
	r       *Reader
	v       content.Version
	retired []*Reader
}

func (rs *readState) Close() {
	for _, r := range append(rs.retired, rs.r) {
		r.Close()
	}
}

// reader returns the handle's reader of the current version.
func (f *File) reader(rd *content.Reads) (*Reader, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.w != nil || !rd.Stream || f.base.Key == "" {
		return nil, content.ErrRestage
	}
	var r *Reader
	rd.Use(func(st content.ReadState) content.ReadState {
		rs, _ := st.(*readState)
		if rs == nil {
			rs = &readState{}
		}
		if rs.r == nil || rs.v != f.base {
			if rs.r != nil {
				rs.retired = append(rs.retired, rs.r)
			}
			rs.r, rs.v = f.s.newReader(f.base), f.base
		}
		r = rs.r
		return rs
	})
	return r, nil
}

func (s *Streamer) newReader(v content.Version) *Reader {
	o := s.opts
	return NewReader(s.b, ObjectRef{Key: v.Key, ETag: v.ETag, Size: v.Size},
		ReaderOptions{Budget: o.Budget, PartSize: o.PartSize, MaxWindow: o.MaxWindow, Disk: o.Disk, Ranges: o.Ranges})
}

// ReadAt reads the stored version through the handle's reader.
func (f *File) ReadAt(ctx context.Context, rd *content.Reads, buf []byte, off int64) (int, error) {
	r, err := f.reader(rd)
	if err != nil {
		return 0, err
	}
	return r.ReadAt(ctx, buf, off)
}

// ReadShared reads without a copy from the reader's buffers.
func (f *File) ReadShared(ctx context.Context, rd *content.Reads, buf []byte, off int64) ([][]byte, func(), error) {
	r, err := f.reader(rd)
	if err != nil {
		return nil, func() {}, err
	}
	return r.ReadShared(ctx, buf, off)
}

// WriteAt appends to the upload; anything but a write at its end answers
// content.ErrRestage with nothing taken.
func (f *File) WriteAt(ctx context.Context, data []byte, off int64) (int, error) {
	f.mu.Lock()
	w := f.w
	f.mu.Unlock()
	if w == nil {
		return 0, content.ErrRestage
	}
	n, err := w.WriteAt(ctx, data, off)
	if errors.Is(err, ErrNotSequential) {
		return 0, content.ErrRestage
	}
	return n, err
}

// Truncate to the current size changes nothing; a truncate to zero of a
// file being written starts its upload afresh.
func (f *File) Truncate(ctx context.Context, size int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.w != nil && size == f.w.Size():
		return nil
	case f.w != nil && size == 0:
		if err := f.w.Abort(ctx); err != nil {
			f.s.log.Warn("abort of a streamed upload", "path", f.w.key, "err", err)
		}
		f.startWriter()
		return nil
	}
	return content.ErrRestage
}

// Load answers content.ErrRestage: a stream keeps nothing local.
func (f *File) Load(context.Context) error { return content.ErrRestage }

// Settle has nothing to wait for.
func (f *File) Settle(context.Context) error { return nil }

// Describe records where a new upload goes.
func (f *File) Describe(t content.Target) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.target = t
	return nil
}

// Flush completes the upload: the object becomes visible with what was
// written. With keepOpen and nothing written yet, the store gets the
// empty file at once and the upload goes on: programs such as dd open a
// file, duplicate the descriptor and close the first one before writing.
func (f *File) Flush(ctx context.Context, t content.Target, keepOpen bool) (content.Stored, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.target = t
	w := f.w
	if w == nil {
		return content.Stored{}, false, nil
	}
	if keepOpen && w.Size() == 0 {
		if f.emptyStored {
			return content.Stored{}, false, nil
		}
		obj, err := f.s.b.Put(ctx, w.key, bytes.NewReader(nil), storage.PutOptions{Metadata: t.Meta})
		if err != nil {
			return content.Stored{}, false, err
		}
		f.emptyStored = true
		return content.Stored{Object: obj, Meta: t.Meta}, true, nil
	}
	f.w = nil
	obj, err := w.Close(ctx)
	if err != nil {
		f.s.log.Error("streamed upload failed; the data written to this file is lost", "path", w.key, "err", err)
		f.size = 0
		return content.Stored{}, false, err
	}
	f.size = w.Size()
	f.base = content.Version{Key: w.key, ETag: obj.ETag, Size: f.size}
	return content.Stored{Object: obj, Meta: f.wMeta, Since: f.wStart}, true, nil
}

// Rebase points reads at another version with the same bytes.
func (f *File) Rebase(v content.Version) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.base = v
}

// Abandon aborts an upload in progress.
func (f *File) Abandon() {
	f.mu.Lock()
	w := f.w
	f.w = nil
	f.mu.Unlock()
	if w != nil {
		if err := w.Abort(context.Background()); err != nil {
			f.s.log.Warn("abort of a streamed upload", "path", w.key, "err", err)
		}
	}
}

// Close has nothing to release: readers belong to handles.
func (f *File) Close() {}

var _ content.Content = (*File)(nil)
