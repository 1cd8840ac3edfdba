package azstore

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/a9de3765/cloudfuse/internal/storage"
)

// blockIDs names the blocks of one upload. Azure wants every block ID of a
// blob to have the same length, so an ID is a random prefix unique to the
// upload plus the zero-padded part number, base64-encoded: two uploads to
// the same blob never stage over each other's blocks.
type blockIDs string

func newBlockIDs() blockIDs {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return blockIDs(hex.EncodeToString(b[:]))
}

func (p blockIDs) id(n int) string {
	return base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "%s-%06d", string(p), n))
}

// upload is a multipart upload made of staged blocks. Nothing is visible
// until Complete commits the block list.
//
// Azure has no call to discard staged blocks: Abort only forgets them. The
// service drops uncommitted blocks when the blob is next committed or
// deleted, and otherwise after a week. For the same reason two uploads to
// one blob do not both succeed: committing one drops the other's staged
// blocks, and the other's Complete then fails.
type upload struct {
	s    *Store
	key  string
	bb   *blockblob.Client
	opts storage.PutOptions
	md   map[string]*string
	ids  blockIDs

	mu    sync.Mutex
	sizes map[int]int64 // part number -> size of the block staged for it
	state string        // "" while open, "completed" or "aborted"
}

// CreateUpload starts a staged-block upload. It does no network I/O.
func (s *Store) CreateUpload(ctx context.Context, key string, o storage.PutOptions) (storage.Upload, error) {
	if err := checkKey("upload", key); err != nil {
		return nil, err
	}
	md, err := toAzureMeta("upload", key, o.Metadata)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, storage.Errorf("upload", key, nil, err)
	}
	o.Metadata = copyMeta(o.Metadata)
	return &upload{
		s:     s,
		key:   key,
		bb:    s.cont.NewBlockBlobClient(key),
		opts:  o,
		md:    md,
		ids:   newBlockIDs(),
		sizes: map[int]int64{},
	}, nil
}

func (u *upload) open() error {
	if u.state != "" {
		return storage.Errorf("upload", u.key, nil, fmt.Errorf("upload already %s", u.state))
	}
	return nil
}

// WritePart stages block n. An empty part is recorded but not sent: the
// service takes no empty blocks, and it adds nothing to the blob.
func (u *upload) WritePart(ctx context.Context, n int, body io.ReadSeeker) (storage.Part, error) {
	if n < 1 || n > maxBlocks {
		return storage.Part{}, storage.Errorf("upload", u.key, storage.ErrTooLarge,
			fmt.Errorf("part number %d outside 1..%d", n, maxBlocks))
	}
	u.mu.Lock()
	err := u.open()
	u.mu.Unlock()
	if err != nil {
		return storage.Part{}, err
	}
	sec, err := newSection(body)
	if err != nil {
		return storage.Part{}, storage.Errorf("upload", u.key, nil, err)
	}
	if sec.size > maxBlockSize {
		return storage.Part{}, storage.Errorf("upload", u.key, storage.ErrTooLarge,
			fmt.Errorf("part %d is %d bytes, a block holds at most %d", n, sec.size, int64(maxBlockSize)))
	}
	id := u.ids.id(n)
	if sec.size > 0 {
		if _, err := u.bb.StageBlock(ctx, id, sec, nil); err != nil {
			return storage.Part{}, wrapErr("upload", u.key, err)
		}
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if err := u.open(); err != nil {
		return storage.Part{}, err
	}
	u.sizes[n] = sec.size
	return storage.Part{Number: n, ETag: id, Size: sec.size}, nil
}

// Complete commits the parts in part-number order.
func (u *upload) Complete(ctx context.Context, parts []storage.Part) (storage.Object, error) {
	u.mu.Lock()
	if err := u.open(); err != nil {
		u.mu.Unlock()
		return storage.Object{}, err
	}
	sorted := slices.Clone(parts)
	slices.SortFunc(sorted, func(a, b storage.Part) int { return a.Number - b.Number })
	var (
		list  []string
		total int64
	)
	for i, p := range sorted {
		if i > 0 && sorted[i-1].Number == p.Number {
			u.mu.Unlock()
			return storage.Object{}, storage.Errorf("upload", u.key, nil, fmt.Errorf("part %d listed twice", p.Number))
		}
		id := u.ids.id(p.Number)
		if p.ETag != "" && p.ETag != id {
			u.mu.Unlock()
			return storage.Object{}, storage.Errorf("upload", u.key, storage.ErrPrecondition,
				fmt.Errorf("part %d was not written by this upload", p.Number))
		}
		size, ok := u.sizes[p.Number]
		if !ok {
			u.mu.Unlock()
			return storage.Object{}, storage.Errorf("upload", u.key, storage.ErrPrecondition,
				fmt.Errorf("part %d was never written", p.Number))
		}
		if size > 0 {
			list = append(list, id)
			total += size
		}
	}
	u.mu.Unlock()

	resp, err := u.bb.CommitBlockList(ctx, list, &blockblob.CommitBlockListOptions{
		HTTPHeaders:      contentType(u.opts.ContentType),
		Metadata:         u.md,
		AccessConditions: ifMatch(u.opts.IfMatch, u.opts.IfNoneMatch),
	})
	if err != nil {
		if isCode(err, "InvalidBlockList") {
			err = fmt.Errorf("staged blocks are gone (another write to the blob committed first): %w", err)
		}
		return storage.Object{}, wrapErr("upload", u.key, err)
	}
	u.mu.Lock()
	u.state = "completed"
	u.mu.Unlock()
	obj := writtenObject(u.key, total, etagOf(resp.ETag), u.opts)
	obj.LastModified = deref(resp.LastModified)
	return obj, nil
}

// Abort forgets the upload; after Complete it does nothing. Staged blocks
// cannot be deleted one by one on Azure; the service discards them (see
// upload).
func (u *upload) Abort(ctx context.Context) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.state == "" {
		u.state = "aborted"
	}
	return nil
}
