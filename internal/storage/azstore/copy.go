package azstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/a9de3765/cloudfuse/internal/storage"
)

// Polling of a pending server-side copy backs off from copyPollMin to
// copyPollMax. Copies inside one account are usually done by the time Copy
// Blob answers; big ones across storage units may take a while.
const (
	copyPollMin = 20 * time.Millisecond
	copyPollMax = time.Second
)

// Copy copies src to dst with Copy Blob and waits until the copy is done.
// A copy of a blob onto itself changes metadata and content type in place
// without moving data.
func (s *Store) Copy(ctx context.Context, src, dst string, o storage.CopyOptions) (storage.Object, error) {
	if err := checkKey("copy", src); err != nil {
		return storage.Object{}, err
	}
	if err := checkKey("copy", dst); err != nil {
		return storage.Object{}, err
	}
	md, err := toAzureMeta("copy", dst, o.Metadata)
	if err != nil {
		return storage.Object{}, err
	}
	if src == dst {
		return s.updateInPlace(ctx, dst, o, md)
	}
	if len(s.cfg.CPKKey) > 0 {
		return s.copyThrough(ctx, src, dst, o)
	}
	sc := s.cont.NewBlobClient(src)
	dc := s.cont.NewBlobClient(dst)
	opts := &blob.StartCopyFromURLOptions{}
	if len(md) > 0 {
		// An empty set means "copy the source's", so clearing is done below.
		opts.Metadata = md
	}
	if o.IfMatch != "" {
		opts.SourceModifiedAccessConditions = &blob.SourceModifiedAccessConditions{SourceIfMatch: quoted(o.IfMatch)}
	}
	resp, err := dc.StartCopyFromURL(ctx, s.sourceURL(sc.URL()), opts)
	if err != nil {
		return storage.Object{}, wrapErr("copy", src, err)
	}
	props, err := s.waitCopy(ctx, dc, dst, deref(resp.CopyID), deref(resp.CopyStatus))
	if err != nil {
		return storage.Object{}, err
	}
	changed := false
	if md != nil && len(md) == 0 && len(props.Metadata) > 0 {
		_, err := dc.SetMetadata(ctx, md, &blob.SetMetadataOptions{AccessConditions: ifMatch(etagOf(props.ETag), "")})
		if err != nil {
			return storage.Object{}, wrapErr("copy", dst, err)
		}
		changed = true
	}
	if o.ContentType != "" && o.ContentType != deref(props.ContentType) {
		if err := setContentType(ctx, dc, props, o.ContentType, ""); err != nil {
			return storage.Object{}, wrapErr("copy", dst, err)
		}
		changed = true
	}
	if !changed {
		return objectFromProps(dst, props), nil
	}
	return s.Head(ctx, dst)
}

// waitCopy polls the destination until the copy with id has finished and
// returns its properties.
func (s *Store) waitCopy(ctx context.Context, dc *blob.Client, dst, id string, status blob.CopyStatusType) (blob.GetPropertiesResponse, error) {
	delay := copyPollMin
	for {
		if status == blob.CopyStatusTypePending {
			t := time.NewTimer(delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return blob.GetPropertiesResponse{}, s.abortCopy(ctx, dc, dst, id)
			case <-t.C:
			}
			delay = min(2*delay, copyPollMax)
		}
		p, err := dc.GetProperties(ctx, nil)
		if err != nil {
			if ctx.Err() != nil {
				return p, s.abortCopy(ctx, dc, dst, id)
			}
			return p, wrapErr("copy", dst, err)
		}
		if id != "" && p.CopyID != nil && *p.CopyID != id {
			return p, storage.Errorf("copy", dst, storage.ErrPrecondition,
				errors.New("destination was replaced by another copy while this one ran"))
		}
		status = deref(p.CopyStatus)
		switch status {
		case blob.CopyStatusTypePending:
			s.log.DebugContext(ctx, "copy pending", "key", dst, "progress", deref(p.CopyProgress))
			continue
		case blob.CopyStatusTypeSuccess, "":
			return p, nil
		default:
			return p, storage.Errorf("copy", dst, nil,
				fmt.Errorf("server-side copy %s: %s", status, deref(p.CopyStatusDescription)))
		}
	}
}

// abortCopy stops a pending copy when the caller gave up, so the service
// does not work for nobody, and returns the caller's error. It runs on a
// fresh context, as ctx is done.
func (s *Store) abortCopy(ctx context.Context, dc *blob.Client, dst, id string) error {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := dc.AbortCopyFromURL(actx, id, nil); err != nil {
		s.log.DebugContext(actx, "abort of a canceled copy failed", "key", dst, "err", err)
	}
	return storage.Errorf("copy", dst, nil, ctx.Err())
}

// updateInPlace applies new metadata and/or content type to key itself.
func (s *Store) updateInPlace(ctx context.Context, key string, o storage.CopyOptions, md map[string]*string) (storage.Object, error) {
	bc := s.cont.NewBlobClient(key)
	etag := o.IfMatch
	if md != nil {
		r, err := bc.SetMetadata(ctx, md, &blob.SetMetadataOptions{AccessConditions: ifMatch(etag, "")})
		if err != nil {
			return storage.Object{}, wrapErr("copy", key, err)
		}
		if etag != "" {
			etag = etagOf(r.ETag)
		}
	}
	p, err := bc.GetProperties(ctx, &blob.GetPropertiesOptions{AccessConditions: ifMatch(etag, "")})
	if err != nil {
		return storage.Object{}, wrapErr("copy", key, err)
	}
	if o.ContentType == "" || o.ContentType == deref(p.ContentType) {
		return objectFromProps(key, p), nil
	}
	if err := setContentType(ctx, bc, p, o.ContentType, etagOf(p.ETag)); err != nil {
		return storage.Object{}, wrapErr("copy", key, err)
	}
	return s.Head(ctx, key)
}

// setContentType changes the content type and keeps the other HTTP
// headers, which Set Blob Properties would otherwise clear.
func setContentType(ctx context.Context, bc *blob.Client, p blob.GetPropertiesResponse, ct, etag string) error {
	h := blob.HTTPHeaders{
		BlobCacheControl:       p.CacheControl,
		BlobContentDisposition: p.ContentDisposition,
		BlobContentEncoding:    p.ContentEncoding,
		BlobContentLanguage:    p.ContentLanguage,
		BlobContentMD5:         p.ContentMD5,
		BlobContentType:        &ct,
	}
	if etag == "" {
		etag = etagOf(p.ETag)
	}
	_, err := bc.SetHTTPHeaders(ctx, h, &blob.SetHTTPHeadersOptions{AccessConditions: ifMatch(etag, "")})
	return err
}

// sourceURL is a blob's URL as the source of a copy: with a SAS, the
// service authorizes the source read by the SAS in its URL.
func (s *Store) sourceURL(u string) string {
	if s.cred.sas == nil {
		return u
	}
	return u + "?" + s.cred.sas.encoded()
}
