package s3store

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// List returns one page of a ListObjectsV2 listing. Keys travel URL-encoded
// (encoding-type=url) so that keys with characters XML cannot carry list
// correctly. Objects carry their user metadata when the server returns it
// in listings (see listmeta.go); otherwise their Metadata is nil.
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
	var raw listRaw
	var optFns []func(*s3.Options)
	askMeta := !s.noListMeta.Load() && !opts.NoMetadata
	if askMeta {
		optFns = append(optFns, listMetaOptions(&raw))
	}
	out, err := s.c.s3.ListObjectsV2(ctx, in, optFns...)
	if status, ok := statusOf(err); askMeta && ok && status == http.StatusBadRequest {
		// A server that refuses the extension gets plain listings from
		// now on.
		out, err = s.c.s3.ListObjectsV2(ctx, in)
		if err == nil {
			s.noListMeta.Store(true)
			s.log.Info("the store does not return metadata in listings; directory reads will read each object's metadata")
		}
	}
	if err != nil {
		return storage.ListPage{}, wrapErr(op, opts.Prefix, err)
	}
	var metas map[string]map[string]string
	if raw.body != nil {
		// The SDK read the page; metadata it cannot model is a bonus, and
		// without it the objects are read one by one as on other servers.
		if metas, err = listedMetadata(raw.body); err != nil {
			s.log.Debug("ignoring the metadata of a listing page", "prefix", opts.Prefix, "err", err)
			metas = nil
		}
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
			Metadata:     metas[aws.ToString(o.Key)],
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
