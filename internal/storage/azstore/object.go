package azstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/a9de3765/cloudfuse/internal/storage"
)

// Head returns the blob's properties and metadata.
func (s *Store) Head(ctx context.Context, key string) (storage.Object, error) {
	if err := checkKey("head", key); err != nil {
		return storage.Object{}, err
	}
	p, err := s.cont.NewBlobClient(key).GetProperties(ctx, nil)
	if err != nil {
		return storage.Object{}, wrapErr("head", key, err)
	}
	return objectFromProps(key, p), nil
}

func objectFromProps(key string, p blob.GetPropertiesResponse) storage.Object {
	return storage.Object{
		Key:          key,
		Size:         deref(p.ContentLength),
		ETag:         etagOf(p.ETag),
		LastModified: deref(p.LastModified),
		ContentType:  deref(p.ContentType),
		Metadata:     fromAzureMeta(p.Metadata),
	}
}

// ifMatch builds access conditions for an If-Match and/or If-None-Match.
func ifMatch(match, noneMatch string) *blob.AccessConditions {
	if match == "" && noneMatch == "" {
		return nil
	}
	return &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{
		IfMatch:     quoted(match),
		IfNoneMatch: quoted(noneMatch),
	}}
}

// Get reads a byte range. Interrupted bodies are resumed from where they
// broke off, pinned to the ETag of the first answer so a changed blob
// fails instead of mixing two versions.
func (s *Store) Get(ctx context.Context, key string, o storage.GetOptions) (io.ReadCloser, storage.Object, error) {
	if err := checkKey("get", key); err != nil {
		return nil, storage.Object{}, err
	}
	if o.Offset < 0 {
		return nil, storage.Object{}, storage.Errorf("get", key, storage.ErrInvalidRange, errors.New("negative offset"))
	}
	if o.Length == 0 {
		return s.getNothing(ctx, key, o)
	}
	bc := s.cont.NewBlobClient(key)
	resp, err := bc.DownloadStream(ctx, &blob.DownloadStreamOptions{
		Range:            blob.HTTPRange{Offset: o.Offset, Count: max(o.Length, 0)},
		AccessConditions: ifMatch(o.IfMatch, ""),
	})
	if err != nil {
		if o.Offset == 0 && kindOf(err) == storage.ErrInvalidRange {
			// The service answers 416 to any range on an empty blob.
			return s.getNothing(ctx, key, o)
		}
		return nil, storage.Object{}, wrapErr("get", key, err)
	}
	obj := storage.Object{
		Key:          key,
		Size:         totalSize(deref(resp.ContentRange), deref(resp.ContentLength)),
		ETag:         etagOf(resp.ETag),
		LastModified: deref(resp.LastModified),
		ContentType:  deref(resp.ContentType),
		Metadata:     fromAzureMeta(resp.Metadata),
	}
	if o.Offset > 0 && o.Offset >= obj.Size {
		// Azurite answers a range starting exactly at the end with an
		// empty body; the service itself answers 416.
		_ = resp.Body.Close()
		return nil, storage.Object{}, storage.Errorf("get", key, storage.ErrInvalidRange,
			fmt.Errorf("offset %d at or past the end (%d bytes)", o.Offset, obj.Size))
	}
	retries := max(int32(s.cfg.MaxRetries), 0)
	body := resp.NewRetryReader(ctx, &blob.RetryReaderOptions{MaxRetries: retries})
	return &readBody{rc: body, op: "get", key: key}, obj, nil
}

// getNothing answers a zero-length read, or any read of an empty blob,
// from the blob's properties.
func (s *Store) getNothing(ctx context.Context, key string, o storage.GetOptions) (io.ReadCloser, storage.Object, error) {
	p, err := s.cont.NewBlobClient(key).GetProperties(ctx, &blob.GetPropertiesOptions{
		AccessConditions: ifMatch(o.IfMatch, ""),
	})
	if err != nil {
		return nil, storage.Object{}, wrapErr("get", key, err)
	}
	obj := objectFromProps(key, p)
	if o.Offset > 0 && o.Offset >= obj.Size {
		return nil, storage.Object{}, storage.Errorf("get", key, storage.ErrInvalidRange,
			errors.New("offset at or past the end of the object"))
	}
	return io.NopCloser(strings.NewReader("")), obj, nil
}

// totalSize takes the full size from "bytes 0-9/100", else the length.
func totalSize(contentRange string, length int64) int64 {
	if i := strings.LastIndexByte(contentRange, '/'); i >= 0 {
		if n, err := strconv.ParseInt(contentRange[i+1:], 10, 64); err == nil {
			return n
		}
	}
	return length
}

// readBody wraps read errors from the service (a changed blob during a
// resumed read) with sentinels.
type readBody struct {
	rc  io.ReadCloser
	op  string
	key string
}

func (r *readBody) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	if err != nil && err != io.EOF && kindOf(err) != nil {
		err = wrapErr(r.op, r.key, err)
	}
	return n, err
}

func (r *readBody) Close() error { return r.rc.Close() }

// Delete removes the blob and its snapshots. A missing blob is not an
// error; a missing container is.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := checkKey("delete", key); err != nil {
		return err
	}
	_, err := s.cont.NewBlobClient(key).Delete(ctx, &blob.DeleteOptions{
		DeleteSnapshots: to.Ptr(blob.DeleteSnapshotsOptionTypeInclude),
	})
	if err != nil && kindOf(err) == storage.ErrNotFound {
		return nil
	}
	return wrapErr("delete", key, err)
}

// Tags returns the blob's index tags (Get Blob Tags).
func (s *Store) Tags(ctx context.Context, key string) (map[string]string, error) {
	resp, err := s.cont.NewBlobClient(key).GetTags(ctx, nil)
	if err != nil {
		return nil, wrapErr("tags", key, err)
	}
	tags := make(map[string]string, len(resp.BlobTagSet))
	for _, t := range resp.BlobTagSet {
		tags[deref(t.Key)] = deref(t.Value)
	}
	return tags, nil
}
