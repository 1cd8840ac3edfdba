package s3store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// copyAttempts bounds how often Copy starts over when the source changes
// between its HEAD and the copy (only when the caller set no IfMatch).
const copyAttempts = 3

// Copy copies src to dst on the server. It reads the source's attributes
// first: they decide between CopyObject and a multipart copy (sources over
// 5 GiB), fill in the metadata to keep, and pin the copy to that version
// with x-amz-copy-source-if-match.
func (s *Store) Copy(ctx context.Context, src, dst string, opts storage.CopyOptions) (storage.Object, error) {
	const op = "copy"
	if err := checkKey(op, src); err != nil {
		return storage.Object{}, err
	}
	if err := checkKey(op, dst); err != nil {
		return storage.Object{}, err
	}
	if err := checkMetadata(op, dst, opts.Metadata); err != nil {
		return storage.Object{}, err
	}
	for attempt := 1; ; attempt++ {
		obj, err := s.copyOnce(ctx, src, dst, opts)
		if err != nil && errors.Is(err, storage.ErrPrecondition) && opts.IfMatch == "" && attempt < copyAttempts {
			continue // the source changed under us; copy the new version
		}
		return obj, err
	}
}

func (s *Store) copyOnce(ctx context.Context, src, dst string, opts storage.CopyOptions) (storage.Object, error) {
	const op = "copy"
	head, err := s.Head(ctx, src)
	if err != nil {
		return storage.Object{}, renameOp(op, err)
	}
	if opts.IfMatch != "" && trimETag(opts.IfMatch) != head.ETag {
		return storage.Object{}, storage.Errorf(op, src, storage.ErrPrecondition,
			fmt.Errorf("source ETag is %q, want %q", head.ETag, opts.IfMatch))
	}
	c := copyPlan{src: src, dst: dst, etag: head.ETag, size: head.Size,
		metadata: head.Metadata, contentType: head.ContentType}
	if opts.Metadata != nil {
		c.metadata, c.replace = opts.Metadata, true
	}
	if opts.ContentType != "" {
		c.contentType, c.replace = opts.ContentType, true
	}
	if src == dst {
		// S3 refuses to copy an object onto itself unchanged; replacing
		// the metadata with itself is allowed and refreshes LastModified.
		c.replace = true
	}

	var res storage.Object
	if head.Size > s.copyThreshold {
		res, err = s.copyMultipart(ctx, c)
	} else {
		res, err = s.copyObject(ctx, c)
	}
	if err != nil {
		return storage.Object{}, err
	}
	res.Key = dst
	res.Size = head.Size
	res.ContentType = c.contentType
	res.Metadata = lowerMetadata(c.metadata)
	return res, nil
}

// copyPlan is one copy, with the source version and the attributes the
// destination gets.
type copyPlan struct {
	src, dst    string
	etag        string // source version to copy
	size        int64
	metadata    map[string]string
	contentType string
	replace     bool // send metadata and content type instead of copying them
}

func (s *Store) copySource(key string) *string {
	return aws.String(s.bucket + "/" + storage.EscapeKey(key))
}

func (s *Store) copyObject(ctx context.Context, c copyPlan) (storage.Object, error) {
	in := &s3.CopyObjectInput{
		Bucket:            aws.String(s.bucket),
		Key:               aws.String(c.dst),
		CopySource:        s.copySource(c.src),
		CopySourceIfMatch: aws.String(quoteETag(c.etag)),
		MetadataDirective: types.MetadataDirectiveCopy,
	}
	if c.replace {
		in.MetadataDirective = types.MetadataDirectiveReplace
		in.Metadata = c.metadata
		in.ContentType = optString(c.contentType)
	}
	if s.checksum {
		in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32c
	}
	out, err := s.c.s3.CopyObject(ctx, in)
	if err != nil {
		return storage.Object{}, wrapErr("copy", c.src, err)
	}
	var obj storage.Object
	if r := out.CopyObjectResult; r != nil {
		obj.ETag = trimETag(aws.ToString(r.ETag))
		obj.LastModified = aws.ToTime(r.LastModified)
	}
	return obj, nil
}

// copyMultipart copies a large source part by part with UploadPartCopy,
// several parts at a time.
func (s *Store) copyMultipart(ctx context.Context, c copyPlan) (storage.Object, error) {
	const op = "copy"
	partSize := max(s.copyPartSize, (c.size+maxParts-1)/maxParts)
	nparts := int((c.size + partSize - 1) / partSize)

	create := &s3.CreateMultipartUploadInput{
		Bucket:      aws.String(s.bucket),
		Key:         aws.String(c.dst),
		Metadata:    c.metadata,
		ContentType: optString(c.contentType),
		// No ChecksumAlgorithm: the data never leaves the server, and
		// MinIO then demands part checksums that UploadPartCopy cannot send.
	}
	up, err := s.c.s3.CreateMultipartUpload(ctx, create)
	if err != nil {
		return storage.Object{}, wrapErr(op, c.dst, err)
	}
	uploadID := up.UploadId

	parts := make([]types.CompletedPart, nparts)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.copyConcurrency)
	for i := range nparts {
		g.Go(func() error {
			first := int64(i) * partSize
			last := min(first+partSize, c.size) - 1
			out, err := s.c.s3.UploadPartCopy(gctx, &s3.UploadPartCopyInput{
				Bucket:            aws.String(s.bucket),
				Key:               aws.String(c.dst),
				UploadId:          uploadID,
				PartNumber:        aws.Int32(int32(i + 1)),
				CopySource:        s.copySource(c.src),
				CopySourceIfMatch: aws.String(quoteETag(c.etag)),
				CopySourceRange:   aws.String(fmt.Sprintf("bytes=%d-%d", first, last)),
			})
			if err != nil {
				return wrapErr(op, c.src, err)
			}
			parts[i] = types.CompletedPart{PartNumber: aws.Int32(int32(i + 1))}
			if r := out.CopyPartResult; r != nil {
				parts[i].ETag = r.ETag
				parts[i].ChecksumCRC32C = r.ChecksumCRC32C
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		s.abortCopy(ctx, c.dst, uploadID)
		return storage.Object{}, err
	}
	out, err := s.c.s3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket:          aws.String(s.bucket),
		Key:             aws.String(c.dst),
		UploadId:        uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		s.abortCopy(ctx, c.dst, uploadID)
		return storage.Object{}, wrapErr(op, c.dst, err)
	}
	return storage.Object{ETag: trimETag(aws.ToString(out.ETag))}, nil
}

// abortCopy discards a failed multipart copy, even when ctx was cancelled,
// so its parts do not linger (and cost) on the store.
func (s *Store) abortCopy(ctx context.Context, key string, uploadID *string) {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	_, err := s.c.s3.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{
		Bucket:   aws.String(s.bucket),
		Key:      aws.String(key),
		UploadId: uploadID,
	})
	if err != nil {
		s.log.Warn("s3: could not abort multipart copy", "key", key, "err", err)
	}
}

// renameOp re-labels a storage error from a helper call with op.
func renameOp(op string, err error) error {
	var se *storage.Error
	if errors.As(err, &se) {
		return storage.Errorf(op, se.Key, se.Kind, se.Err)
	}
	return err
}
