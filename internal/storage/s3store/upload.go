package s3store

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// CreateUpload starts a multipart upload. The preconditions in opts are
// checked when the upload completes.
func (s *Store) CreateUpload(ctx context.Context, key string, opts storage.PutOptions) (storage.Upload, error) {
	const op = "upload"
	if err := checkKey(op, key); err != nil {
		return nil, err
	}
	if err := checkMetadata(op, key, opts.Metadata); err != nil {
		return nil, err
	}
	in := &s3.CreateMultipartUploadInput{
		Bucket:      aws.String(s.bucket),
		Key:         aws.String(key),
		Metadata:    opts.Metadata,
		ContentType: optString(opts.ContentType),
	}
	if s.checksum {
		in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32c
	}
	out, err := s.c.s3.CreateMultipartUpload(ctx, in)
	if err != nil {
		return nil, wrapErr(op, key, err)
	}
	return &upload{
		s:        s,
		key:      key,
		id:       aws.ToString(out.UploadId),
		opts:     opts,
		checksum: s.checksum,
		sums:     map[int]partSum{},
	}, nil
}

// upload is one multipart upload. Parts may be written concurrently.
type upload struct {
	s        *Store
	key      string
	id       string
	opts     storage.PutOptions
	checksum bool

	mu   sync.Mutex
	sums map[int]partSum // part number -> checksum of its latest upload; guarded by mu
}

// partSum remembers a part's CRC32C, which S3 wants back on completion
// but storage.Part has no room for.
type partSum struct {
	etag   string
	crc32c string
}

func (u *upload) WritePart(ctx context.Context, n int, body io.ReadSeeker) (storage.Part, error) {
	const op = "upload"
	if n < 1 || n > maxParts {
		return storage.Part{}, storage.Errorf(op, u.key, storage.ErrTooLarge,
			fmt.Errorf("part number %d is outside 1..%d", n, maxParts))
	}
	size, err := remaining(body)
	if err != nil {
		return storage.Part{}, storage.Errorf(op, u.key, nil, err)
	}
	if size > maxPartSize {
		return storage.Part{}, storage.Errorf(op, u.key, storage.ErrTooLarge,
			fmt.Errorf("part %d is %d bytes, S3 allows %d", n, size, int64(maxPartSize)))
	}
	in := &s3.UploadPartInput{
		Bucket:        aws.String(u.s.bucket),
		Key:           aws.String(u.key),
		UploadId:      aws.String(u.id),
		PartNumber:    aws.Int32(int32(n)),
		Body:          body,
		ContentLength: aws.Int64(size),
	}
	if u.checksum {
		in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32c
	}
	out, err := u.s.c.s3.UploadPart(ctx, in, u.s.uploadOptions()...)
	if err != nil {
		return storage.Part{}, wrapErr(op, u.key, err)
	}
	part := storage.Part{Number: n, ETag: trimETag(aws.ToString(out.ETag)), Size: size}
	if sum := aws.ToString(out.ChecksumCRC32C); sum != "" {
		u.mu.Lock()
		u.sums[n] = partSum{etag: part.ETag, crc32c: sum}
		u.mu.Unlock()
	}
	return part, nil
}

func (u *upload) Complete(ctx context.Context, parts []storage.Part) (storage.Object, error) {
	const op = "upload"
	if len(parts) == 0 {
		// S3 wants at least one part; an empty last part makes an empty object.
		p, err := u.WritePart(ctx, 1, strings.NewReader(""))
		if err != nil {
			return storage.Object{}, err
		}
		parts = []storage.Part{p}
	}
	parts = slices.Clone(parts)
	slices.SortFunc(parts, func(a, b storage.Part) int { return a.Number - b.Number })

	completed := make([]types.CompletedPart, len(parts))
	var size int64
	u.mu.Lock()
	for i, p := range parts {
		completed[i] = types.CompletedPart{
			PartNumber: aws.Int32(int32(p.Number)),
			ETag:       aws.String(quoteETag(p.ETag)),
		}
		if sum, ok := u.sums[p.Number]; ok && sum.etag == trimETag(p.ETag) {
			completed[i].ChecksumCRC32C = aws.String(sum.crc32c)
		}
		size += p.Size
	}
	u.mu.Unlock()

	out, err := u.s.c.s3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket:          aws.String(u.s.bucket),
		Key:             aws.String(u.key),
		UploadId:        aws.String(u.id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: completed},
		IfMatch:         optString(quoteETag(u.opts.IfMatch)),
		IfNoneMatch:     optString(u.opts.IfNoneMatch),
	})
	if err != nil {
		return storage.Object{}, wrapErr(op, u.key, err)
	}
	return storage.Object{
		Key:         u.key,
		Size:        size,
		ETag:        trimETag(aws.ToString(out.ETag)),
		ContentType: u.opts.ContentType,
		Metadata:    lowerMetadata(u.opts.Metadata),
	}, nil
}

func (u *upload) Abort(ctx context.Context) error {
	_, err := u.s.c.s3.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket:   aws.String(u.s.bucket),
		Key:      aws.String(u.key),
		UploadId: aws.String(u.id),
	})
	if err != nil && kindOf(err) == storage.ErrNotFound {
		return nil // already completed or aborted
	}
	return wrapErr("upload", u.key, err)
}
