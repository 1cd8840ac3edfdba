package s3store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// Get opens the object, or the range opts selects, for reading. The reader
// reconnects (pinned to the same ETag) when its connection breaks mid-stream.
func (s *Store) Get(ctx context.Context, key string, opts storage.GetOptions) (io.ReadCloser, storage.Object, error) {
	const op = "get"
	if err := checkKey(op, key); err != nil {
		return nil, storage.Object{}, err
	}
	if opts.Offset < 0 {
		return nil, storage.Object{}, storage.Errorf(op, key, storage.ErrInvalidRange,
			fmt.Errorf("negative offset %d", opts.Offset))
	}
	if opts.Length == 0 {
		return s.getNothing(ctx, key, opts)
	}
	rc, obj, err := s.getObject(ctx, key, opts.Offset, opts.Length, opts.IfMatch)
	if errors.Is(err, storage.ErrInvalidRange) && opts.Offset == 0 {
		// S3 refuses every range on an empty object, even one starting
		// at 0; read it whole instead.
		rc, obj, err = s.getObject(ctx, key, 0, -1, opts.IfMatch)
	}
	if err != nil {
		return nil, storage.Object{}, err
	}
	end := obj.Size
	if opts.Length > 0 && opts.Offset+opts.Length < end {
		end = opts.Offset + opts.Length
	}
	return &body{
		s:       s,
		ctx:     ctx,
		key:     key,
		etag:    obj.ETag,
		rc:      rc,
		pos:     opts.Offset,
		end:     end,
		resumes: s.getResumes,
	}, obj, nil
}

// getNothing serves a zero-length read: it checks the object, the range
// and the precondition with a HEAD and returns an empty body.
func (s *Store) getNothing(ctx context.Context, key string, opts storage.GetOptions) (io.ReadCloser, storage.Object, error) {
	const op = "get"
	obj, err := s.Head(ctx, key)
	if err != nil {
		return nil, storage.Object{}, err
	}
	if opts.IfMatch != "" && trimETag(opts.IfMatch) != obj.ETag {
		return nil, storage.Object{}, storage.Errorf(op, key, storage.ErrPrecondition,
			fmt.Errorf("ETag is %q, want %q", obj.ETag, opts.IfMatch))
	}
	if opts.Offset >= obj.Size && (obj.Size > 0 || opts.Offset > 0) {
		return nil, storage.Object{}, storage.Errorf(op, key, storage.ErrInvalidRange,
			fmt.Errorf("offset %d is past the end (%d bytes)", opts.Offset, obj.Size))
	}
	return io.NopCloser(strings.NewReader("")), obj, nil
}

// getObject issues one GetObject for length bytes at offset (length < 0:
// to the end) and describes the whole object.
func (s *Store) getObject(ctx context.Context, key string, offset, length int64, ifMatch string) (io.ReadCloser, storage.Object, error) {
	const op = "get"
	in := &s3.GetObjectInput{
		Bucket:  aws.String(s.bucket),
		Key:     aws.String(key),
		IfMatch: optString(quoteETag(ifMatch)),
	}
	switch {
	case length > 0:
		in.Range = aws.String(fmt.Sprintf("bytes=%d-%d", offset, offset+length-1))
	case offset > 0:
		in.Range = aws.String(fmt.Sprintf("bytes=%d-", offset))
	}
	out, err := s.c.s3.GetObject(ctx, in)
	if err != nil {
		return nil, storage.Object{}, wrapErr(op, key, err)
	}
	size := aws.ToInt64(out.ContentLength)
	if total, ok := rangeTotal(aws.ToString(out.ContentRange)); ok {
		size = total
	}
	return out.Body, storage.Object{
		Key:          key,
		Size:         size,
		ETag:         trimETag(aws.ToString(out.ETag)),
		LastModified: aws.ToTime(out.LastModified),
		ContentType:  aws.ToString(out.ContentType),
		Metadata:     lowerMetadata(out.Metadata),
	}, nil
}

// rangeTotal returns the complete length from a Content-Range header such
// as "bytes 0-99/1234".
func rangeTotal(cr string) (int64, bool) {
	i := strings.LastIndexByte(cr, '/')
	if i < 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(cr[i+1:], 10, 64)
	return n, err == nil
}

// body reads bytes [pos, end) of one version of an object. When the
// connection fails mid-stream it asks for the rest again with If-Match, so a
// reader never mixes two versions.
type body struct {
	s       *Store
	ctx     context.Context // the Get call's context; the SDK ties the stream to it
	key     string
	etag    string
	rc      io.ReadCloser
	pos     int64
	end     int64
	resumes int
	err     error // sticky error once resuming gave up
}

func (b *body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.rc == nil {
		return 0, storage.Errorf("get", b.key, nil, errors.New("read after close"))
	}
	for {
		n, err := b.rc.Read(p)
		b.pos += int64(n)
		if err == nil {
			return n, nil
		}
		if b.pos >= b.end {
			// Everything asked for has arrived; a late error changes nothing.
			return n, io.EOF
		}
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		if rerr := b.resume(err); rerr != nil {
			b.err = rerr
			if n > 0 {
				return n, nil
			}
			return 0, rerr
		}
		if n > 0 {
			return n, nil
		}
	}
}

// resume replaces a broken stream with a new request for the rest.
func (b *body) resume(cause error) error {
	if b.resumes <= 0 || b.ctx.Err() != nil || b.etag == "" {
		return wrapErr("get", b.key, cause)
	}
	b.resumes--
	_ = b.rc.Close()
	b.rc = nil
	b.s.log.Debug("s3: resuming broken download", "key", b.key, "offset", b.pos, "err", cause)
	rc, _, err := b.s.getObject(b.ctx, b.key, b.pos, b.end-b.pos, b.etag)
	if err != nil {
		return fmt.Errorf("%w (resuming after: %v)", err, cause)
	}
	b.rc = rc
	return nil
}

func (b *body) Close() error {
	if b.rc == nil {
		return nil
	}
	err := b.rc.Close()
	b.rc = nil
	return err
}
