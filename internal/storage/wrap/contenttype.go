package wrap

import (
	"context"
	"io"
	"mime"
	"path"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// ContentTypes gives each object written through b the content type its
// name's extension stands for ("report.json": application/json), the way
// browsers and CDNs serving the bucket expect, unless the writer chose one.
// A name without a known extension gets the store's default. A copy (a
// rename) to a name whose extension means another type takes the new
// name's type; otherwise it keeps the source's.
func ContentTypes(b storage.Backend) storage.Backend {
	return Extend(typed{Backend: b}, b, passThrough(b))
}

// TypeByName is the content type of a key's extension, or "" when the
// extension is unknown.
func TypeByName(key string) string {
	return mime.TypeByExtension(path.Ext(key))
}

type typed struct{ storage.Backend }

func (t typed) Put(ctx context.Context, key string, body io.ReadSeeker, opts storage.PutOptions) (storage.Object, error) {
	if opts.ContentType == "" {
		opts.ContentType = TypeByName(key)
	}
	return t.Backend.Put(ctx, key, body, opts)
}

func (t typed) CreateUpload(ctx context.Context, key string, opts storage.PutOptions) (storage.Upload, error) {
	if opts.ContentType == "" {
		opts.ContentType = TypeByName(key)
	}
	return t.Backend.CreateUpload(ctx, key, opts)
}

func (t typed) Copy(ctx context.Context, src, dst string, opts storage.CopyOptions) (storage.Object, error) {
	if ct := TypeByName(dst); opts.ContentType == "" && ct != "" && ct != TypeByName(src) {
		opts.ContentType = ct
	}
	return t.Backend.Copy(ctx, src, dst, opts)
}
