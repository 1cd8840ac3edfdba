package azstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// cpkPolicy adds a customer-provided key to the requests that read or
// write a blob's data, properties or metadata (Put Blob, Put Block, Put
// Block List, Get Blob, Get Blob Properties, Get and Set Blob Metadata).
// Requests that take no key (listings, deletes, block lists, copies,
// container and dfs path requests) go without it.
type cpkPolicy struct{ key, sha string }

func newCPKPolicy(key []byte) cpkPolicy {
	sum := sha256.Sum256(key)
	return cpkPolicy{key: base64.StdEncoding.EncodeToString(key), sha: base64.StdEncoding.EncodeToString(sum[:])}
}

// CPKKeySHA256 is the base64 SHA-256 of a key, as the service stores it
// (BlobFuse2's cpk-encryption-key-sha256).
func CPKKeySHA256(key []byte) string { return newCPKPolicy(key).sha }

func (p cpkPolicy) Do(req *policy.Request) (*http.Response, error) {
	if r := req.Raw(); cpkApplies(r) {
		r.Header.Set("x-ms-encryption-key", p.key)
		r.Header.Set("x-ms-encryption-key-sha256", p.sha)
		r.Header.Set("x-ms-encryption-algorithm", "AES256")
	}
	return req.Next()
}

func cpkApplies(r *http.Request) bool {
	q := r.URL.Query()
	if q.Get("restype") != "" || r.Header.Get("x-ms-copy-source") != "" || r.Header.Get("x-ms-rename-source") != "" ||
		q.Get("resource") != "" || q.Get("action") != "" {
		return false
	}
	comp := q.Get("comp")
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return comp == "" || comp == "metadata"
	case http.MethodPut:
		return comp == "" || comp == "block" || comp == "blocklist" || comp == "metadata"
	}
	return false
}

// copyThrough copies src to dst by reading and writing the data, block by
// block: a blob encrypted with a customer-provided key cannot be the
// source of a server-side copy.
func (s *Store) copyThrough(ctx context.Context, src, dst string, o storage.CopyOptions) (storage.Object, error) {
	head, err := s.Head(ctx, src)
	if err != nil {
		return storage.Object{}, err
	}
	if o.IfMatch != "" && o.IfMatch != head.ETag {
		return storage.Object{}, storage.Errorf("copy", src, storage.ErrPrecondition, fmt.Errorf("etag %s, want %s", head.ETag, o.IfMatch))
	}
	po := storage.PutOptions{Metadata: o.Metadata, ContentType: o.ContentType}
	if po.Metadata == nil {
		po.Metadata = head.Metadata
	}
	if po.ContentType == "" {
		po.ContentType = head.ContentType
	}
	if head.Size == 0 {
		return s.Put(ctx, dst, bytes.NewReader(nil), po)
	}
	up, err := s.CreateUpload(ctx, dst, po)
	if err != nil {
		return storage.Object{}, err
	}
	fail := func(err error) (storage.Object, error) {
		up.Abort(context.WithoutCancel(ctx))
		return storage.Object{}, err
	}
	buf := make([]byte, min(s.cfg.BlockSize, head.Size))
	var parts []storage.Part
	for n, off := 1, int64(0); off < head.Size; n++ {
		size := min(int64(len(buf)), head.Size-off)
		body, _, err := s.Get(ctx, src, storage.GetOptions{Offset: off, Length: size, IfMatch: head.ETag})
		if err != nil {
			return fail(err)
		}
		_, err = io.ReadFull(body, buf[:size])
		body.Close()
		if err != nil {
			return fail(storage.Errorf("copy", src, nil, err))
		}
		p, err := up.WritePart(ctx, n, bytes.NewReader(buf[:size]))
		if err != nil {
			return fail(err)
		}
		parts = append(parts, p)
		off += size
	}
	return up.Complete(ctx, parts)
}
