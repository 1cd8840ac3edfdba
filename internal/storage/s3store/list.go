package s3store

import (
	"context"
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// List returns one page of a ListObjectsV2 listing. Keys travel URL-encoded
// (encoding-type=url) so that keys with characters XML cannot carry list
// correctly.
func (s *Store) List(ctx context.Context, opts storage.ListOptions) (storage.ListPage, error) {
	const op = "list"
	in := &s3.ListObjectsV2Input{
		Bucket:            aws.String(s.bucket),
		Prefix:            optString(opts.Prefix),
		Delimiter:         optString(opts.Delimiter),
		ContinuationToken: optString(opts.ContinuationToken),
		EncodingType:      types.EncodingTypeUrl,
	}
	if opts.ContinuationToken == "" {
		in.StartAfter = optString(opts.StartAfter)
	}
	if opts.MaxKeys > 0 {
		in.MaxKeys = aws.Int32(int32(min(opts.MaxKeys, 1000)))
	}
	out, err := s.c.s3.ListObjectsV2(ctx, in)
	if err != nil {
		return storage.ListPage{}, wrapErr(op, opts.Prefix, err)
	}
	page := storage.ListPage{
		Objects: make([]storage.Object, 0, len(out.Contents)),
	}
	for _, o := range out.Contents {
		key, err := decodeKey(aws.ToString(o.Key))
		if err != nil {
			return storage.ListPage{}, storage.Errorf(op, opts.Prefix, nil, err)
		}
		page.Objects = append(page.Objects, storage.Object{
			Key:          key,
			Size:         aws.ToInt64(o.Size),
			ETag:         trimETag(aws.ToString(o.ETag)),
			LastModified: aws.ToTime(o.LastModified),
		})
	}
	for _, p := range out.CommonPrefixes {
		prefix, err := decodeKey(aws.ToString(p.Prefix))
		if err != nil {
			return storage.ListPage{}, storage.Errorf(op, opts.Prefix, nil, err)
		}
		page.CommonPrefixes = append(page.CommonPrefixes, prefix)
	}
	if aws.ToBool(out.IsTruncated) {
		page.NextToken = aws.ToString(out.NextContinuationToken)
	}
	return page, nil
}

// decodeKey undoes encoding-type=url, where S3 writes a space as "+".
func decodeKey(s string) (string, error) {
	k, err := url.QueryUnescape(s)
	if err != nil {
		return "", fmt.Errorf("store returned a badly encoded key %q: %w", s, err)
	}
	return k, nil
}
