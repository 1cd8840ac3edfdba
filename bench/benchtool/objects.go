package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"
)

// bucketOps are the S3 calls the harness makes, on one bucket.
type bucketOps struct {
	c      *s3.Client
	bucket string
}

// ensureBucket creates the bucket unless it exists.
func (b bucketOps) ensureBucket(ctx context.Context) error {
	if _, err := b.c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &b.bucket}); err == nil {
		return nil
	}
	_, err := b.c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &b.bucket})
	var owned *types.BucketAlreadyOwnedByYou
	if err != nil && !errors.As(err, &owned) {
		return fmt.Errorf("create bucket %s: %w", b.bucket, err)
	}
	return nil
}

// size returns the size of key, or -1 when it does not exist.
func (b bucketOps) size(ctx context.Context, key string) (int64, error) {
	out, err := b.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b.bucket, Key: &key})
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) && (ae.ErrorCode() == "NotFound" || ae.ErrorCode() == "NoSuchKey") {
			return -1, nil
		}
		return 0, fmt.Errorf("head %s: %w", key, err)
	}
	return aws.ToInt64(out.ContentLength), nil
}

func (b bucketOps) put(ctx context.Context, key string, data []byte) error {
	_, err := b.c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &b.bucket, Key: &key, Body: bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
	}, unsignedPayload)
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// multipartPut uploads size bytes from p as key in parts of partSize,
// inflight parts at a time, and returns once the upload is complete.
func (b bucketOps) multipartPut(ctx context.Context, key string, p *payload, size int64, partSize, inflight int) error {
	up, err := b.c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: &b.bucket, Key: &key, ChecksumAlgorithm: types.ChecksumAlgorithmCrc32,
	})
	if err != nil {
		return fmt.Errorf("create upload %s: %w", key, err)
	}
	nparts := int((size + int64(partSize) - 1) / int64(partSize))
	parts := make([]types.CompletedPart, nparts)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(inflight)
	for i := range nparts {
		n := int(min(int64(partSize), size-int64(i)*int64(partSize)))
		g.Go(func() error {
			num := aws.Int32(int32(i + 1))
			out, err := b.c.UploadPart(gctx, &s3.UploadPartInput{
				Bucket: &b.bucket, Key: &key, UploadId: up.UploadId, PartNumber: num,
				Body: bytes.NewReader(p.slice(i, n)), ContentLength: aws.Int64(int64(n)),
				ChecksumAlgorithm: types.ChecksumAlgorithmCrc32,
			}, unsignedPayload)
			if err != nil {
				return fmt.Errorf("upload part %d of %s: %w", i+1, key, err)
			}
			parts[i] = types.CompletedPart{ETag: out.ETag, PartNumber: num, ChecksumCRC32: out.ChecksumCRC32}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		_, _ = b.c.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{
			Bucket: &b.bucket, Key: &key, UploadId: up.UploadId})
		return err
	}
	_, err = b.c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &b.bucket, Key: &key, UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		return fmt.Errorf("complete upload %s: %w", key, err)
	}
	return nil
}

// listAll returns every object under prefix (no delimiter), at most limit.
func (b bucketOps) listAll(ctx context.Context, prefix string, limit int) ([]types.Object, error) {
	var objs []types.Object
	p := s3.NewListObjectsV2Paginator(b.c, &s3.ListObjectsV2Input{Bucket: &b.bucket, Prefix: &prefix})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", prefix, err)
		}
		objs = append(objs, page.Contents...)
		if len(objs) > limit {
			return nil, fmt.Errorf("list %s: more than %d objects", prefix, limit)
		}
	}
	return objs, nil
}

// files drops directory markers (keys ending in "/") from objs.
func files(objs []types.Object) []types.Object {
	out := objs[:0:0]
	for _, o := range objs {
		if !strings.HasSuffix(aws.ToString(o.Key), "/") {
			out = append(out, o)
		}
	}
	return out
}

// deletePrefix deletes every object under prefix, in batches of 1000.
func (b bucketOps) deletePrefix(ctx context.Context, prefix string, limit int) (int, error) {
	objs, err := b.listAll(ctx, prefix, limit)
	if err != nil {
		return 0, err
	}
	for start := 0; start < len(objs); start += 1000 {
		batch := objs[start:min(start+1000, len(objs))]
		ids := make([]types.ObjectIdentifier, len(batch))
		for i, o := range batch {
			ids[i] = types.ObjectIdentifier{Key: o.Key}
		}
		out, err := b.c.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: &b.bucket, Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)},
		})
		if err != nil {
			return 0, fmt.Errorf("delete under %s: %w", prefix, err)
		}
		if len(out.Errors) > 0 {
			e := out.Errors[0]
			return 0, fmt.Errorf("delete %s: %s", aws.ToString(e.Key), aws.ToString(e.Message))
		}
	}
	return len(objs), nil
}
