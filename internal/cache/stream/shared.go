package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// ReadShared reads like ReadAt, up to len(scratch) bytes at off, but
// without copying: the bytes come back as slices of the reader's own
// buffers, which stay valid until release is called. release must be
// called exactly once, also after an error. Bytes that are not in a buffer
// (the budget had no room) are read into scratch and returned as a slice
// of it. The slices hold the bytes in order; an error or io.EOF means the
// same as for ReadAt.
func (r *Reader) ReadShared(ctx context.Context, scratch []byte, off int64) (bufs [][]byte, release func(), err error) {
	var pinned []*part
	release = func() {
		for _, pt := range pinned {
			r.unuse(pt)
		}
		pinned = nil
	}
	if off < 0 {
		return nil, release, fmt.Errorf("read %q: negative offset %d", r.obj.Key, off)
	}
	if err := r.usable(); err != nil {
		return nil, release, err
	}
	r.lastRead.Store(time.Now().UnixNano())
	if off >= r.obj.Size {
		return nil, release, io.EOF
	}
	want := min(int64(len(scratch)), r.obj.Size-off)
	var n int64
	for first := true; n < want; first = false {
		pos := off + n
		pt, err := r.locate(pos, off, off+want, first)
		if err != nil {
			return bufs, release, err
		}
		var b []byte
		if pt == nil {
			var m int
			m, err = r.direct(ctx, scratch[n:want], pos)
			b = scratch[n : n+int64(m)]
		} else {
			pinned = append(pinned, pt)
			b, err = pt.view(ctx, pos, want-n)
		}
		if len(b) > 0 {
			bufs = append(bufs, b)
			n += int64(len(b))
		}
		if err != nil {
			if uerr := r.usable(); uerr != nil && !errors.Is(err, ErrStale) {
				err = uerr
			}
			return bufs, release, err
		}
	}
	if want < int64(len(scratch)) {
		return bufs, release, io.EOF
	}
	return bufs, release, nil
}
