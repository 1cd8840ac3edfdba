package azstore

import (
	"errors"
	"io"
)

// section is the part of a seekable body from its position when it was
// handed to us to its end, seen as a stream starting at 0. The SDK rewinds
// request bodies to 0 before a retry; section makes 0 mean "where the
// caller's body was", as the Backend contract asks.
type section struct {
	rs   io.ReadSeeker
	base int64
	size int64
	pos  int64
}

// newSection measures body from its current position and leaves it there.
func newSection(body io.ReadSeeker) (*section, error) {
	base, err := body.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, err
	}
	end, err := body.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, err
	}
	if _, err := body.Seek(base, io.SeekStart); err != nil {
		return nil, err
	}
	return &section{rs: body, base: base, size: end - base}, nil
}

func (s *section) Read(p []byte) (int, error) {
	if s.pos >= s.size {
		return 0, io.EOF
	}
	if rest := s.size - s.pos; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := s.rs.Read(p)
	s.pos += int64(n)
	if err == io.EOF && s.pos < s.size {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func (s *section) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		off += s.pos
	case io.SeekEnd:
		off += s.size
	}
	if off < 0 {
		return 0, errors.New("seek before start of body")
	}
	if _, err := s.rs.Seek(s.base+off, io.SeekStart); err != nil {
		return 0, err
	}
	s.pos = off
	return off, nil
}

// Close does nothing: the caller owns the body.
func (s *section) Close() error { return nil }

// sub returns the bytes [off, off+n) of the section as a body of its own
// when the underlying body can be read at offsets, so blocks can be sent
// in parallel without copying. ok is false otherwise.
func (s *section) sub(off, n int64) (io.ReadSeekCloser, bool) {
	ra, ok := s.rs.(io.ReaderAt)
	if !ok {
		return nil, false
	}
	return nopCloser{io.NewSectionReader(ra, s.base+off, n)}, true
}

type nopCloser struct{ io.ReadSeeker }

func (nopCloser) Close() error { return nil }
