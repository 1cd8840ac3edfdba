package azstore

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/a9de3765/cloudfuse/internal/storage"
	"golang.org/x/sync/errgroup"
)

// bufferedBlocks bounds how many blocks Put holds in memory at once when
// the body cannot be read at offsets (each is BlockSize bytes).
const bufferedBlocks = 4

// Put stores body as the whole blob: one Put Blob request up to
// singleShotLimit, staged blocks and a Put Block List above it.
func (s *Store) Put(ctx context.Context, key string, body io.ReadSeeker, o storage.PutOptions) (storage.Object, error) {
	if err := checkKey("put", key); err != nil {
		return storage.Object{}, err
	}
	md, err := toAzureMeta("put", key, o.Metadata)
	if err != nil {
		return storage.Object{}, err
	}
	sec, err := newSection(body)
	if err != nil {
		return storage.Object{}, storage.Errorf("put", key, nil, err)
	}
	bb := s.cont.NewBlockBlobClient(key)
	if sec.size > s.putLimit {
		return s.putBlocks(ctx, bb, key, sec, o, md)
	}
	resp, err := bb.Upload(ctx, sec, &blockblob.UploadOptions{
		HTTPHeaders:      contentType(o.ContentType),
		Metadata:         md,
		AccessConditions: ifMatch(o.IfMatch, o.IfNoneMatch),
	})
	if err != nil {
		return storage.Object{}, wrapErr("put", key, err)
	}
	obj := writtenObject(key, sec.size, etagOf(resp.ETag), o)
	obj.LastModified = deref(resp.LastModified)
	return obj, nil
}

// writtenObject describes what a successful write stored.
func writtenObject(key string, size int64, etag string, o storage.PutOptions) storage.Object {
	md := copyMeta(o.Metadata)
	if md == nil {
		md = map[string]string{}
	}
	ct := o.ContentType
	if ct == "" {
		ct = defaultContentType
	}
	return storage.Object{Key: key, Size: size, ETag: etag, ContentType: ct, Metadata: md}
}

// defaultContentType is what the service records when none is given.
const defaultContentType = "application/octet-stream"

func contentType(ct string) *blob.HTTPHeaders {
	if ct == "" {
		return nil
	}
	return &blob.HTTPHeaders{BlobContentType: &ct}
}

// putBlocks uploads a large body as staged blocks and commits them. Blocks
// go up in parallel: straight from the body when it can be read at
// offsets, else through a few BlockSize buffers filled in order.
func (s *Store) putBlocks(ctx context.Context, bb *blockblob.Client, key string, sec *section, o storage.PutOptions, md map[string]*string) (storage.Object, error) {
	bs := s.cfg.BlockSize
	if need := (sec.size + maxBlocks - 1) / maxBlocks; bs < need {
		bs = need
	}
	if bs > maxBlockSize {
		return storage.Object{}, storage.Errorf("put", key, storage.ErrTooLarge,
			fmt.Errorf("%d bytes is more than a block blob can hold", sec.size))
	}
	n := int((sec.size + bs - 1) / bs)
	ids := newBlockIDs()
	list := make([]string, n)
	g, gctx := errgroup.WithContext(ctx)
	_, direct := sec.sub(0, 0)
	if direct {
		g.SetLimit(s.cfg.MaxConcurrency)
	} else {
		g.SetLimit(min(s.cfg.MaxConcurrency, bufferedBlocks))
	}
	for i := range n {
		off := int64(i) * bs
		size := min(bs, sec.size-off)
		id := ids.id(i + 1)
		list[i] = id
		var part io.ReadSeekCloser
		if direct {
			part, _ = sec.sub(off, size)
		} else {
			buf := make([]byte, size)
			if _, err := io.ReadFull(sec, buf); err != nil {
				_ = g.Wait()
				return storage.Object{}, storage.Errorf("put", key, nil, err)
			}
			part = nopCloser{bytes.NewReader(buf)}
		}
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			_, err := bb.StageBlock(gctx, id, part, nil)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return storage.Object{}, wrapErr("put", key, err)
	}
	if err := ctx.Err(); err != nil {
		return storage.Object{}, storage.Errorf("put", key, nil, err)
	}
	resp, err := bb.CommitBlockList(ctx, list, &blockblob.CommitBlockListOptions{
		HTTPHeaders:      contentType(o.ContentType),
		Metadata:         md,
		AccessConditions: ifMatch(o.IfMatch, o.IfNoneMatch),
	})
	if err != nil {
		return storage.Object{}, wrapErr("put", key, err)
	}
	obj := writtenObject(key, sec.size, etagOf(resp.ETag), o)
	obj.LastModified = deref(resp.LastModified)
	return obj, nil
}
