package azstore

import (
	"context"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/a9de3765/cloudfuse/internal/storage"
)

// maxListResults is the most the service returns in one page.
const maxListResults = 5000

// List returns one page of blobs with their metadata. Azure has no
// start-after parameter that works for every listing, so StartAfter is
// applied here: pages that it empties are skipped.
func (s *Store) List(ctx context.Context, o storage.ListOptions) (storage.ListPage, error) {
	marker := o.ContinuationToken
	for {
		page, next, err := s.listOnce(ctx, o, marker)
		if err != nil {
			return storage.ListPage{}, err
		}
		if o.StartAfter != "" {
			page, err = s.dropUpTo(ctx, page, o)
			if err != nil {
				return storage.ListPage{}, err
			}
		}
		page.NextToken = next
		if next == "" || len(page.Objects) > 0 || len(page.CommonPrefixes) > 0 {
			return page, nil
		}
		marker = next
	}
}

// listOnce fetches one page from the service.
func (s *Store) listOnce(ctx context.Context, o storage.ListOptions, marker string) (storage.ListPage, string, error) {
	var (
		prefix *string
		mark   *string
		maxRes *int32
	)
	if o.Prefix != "" {
		prefix = &o.Prefix
	}
	if marker != "" {
		mark = &marker
	}
	if o.MaxKeys > 0 {
		n := int32(min(o.MaxKeys, maxListResults))
		maxRes = &n
	}
	include := container.ListBlobsInclude{Metadata: true}
	var page storage.ListPage
	if o.Delimiter == "" {
		resp, err := s.cont.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{
			Include: include, Prefix: prefix, Marker: mark, MaxResults: maxRes,
		}).NextPage(ctx)
		if err != nil {
			return page, "", wrapErr("list", o.Prefix, err)
		}
		if resp.Segment != nil {
			for _, b := range resp.Segment.BlobItems {
				page.Objects = append(page.Objects, objectFromItem(b))
			}
		}
		return page, deref(resp.NextMarker), nil
	}
	resp, err := s.cont.NewListBlobsHierarchyPager(o.Delimiter, &container.ListBlobsHierarchyOptions{
		Include: include, Prefix: prefix, Marker: mark, MaxResults: maxRes,
	}).NextPage(ctx)
	if err != nil {
		return page, "", wrapErr("list", o.Prefix, err)
	}
	if resp.Segment != nil {
		for _, b := range resp.Segment.BlobItems {
			page.Objects = append(page.Objects, objectFromItem(b))
		}
		for _, p := range resp.Segment.BlobPrefixes {
			if p.Name != nil {
				page.CommonPrefixes = append(page.CommonPrefixes, *p.Name)
			}
		}
	}
	return page, deref(resp.NextMarker), nil
}

func objectFromItem(b *container.BlobItem) storage.Object {
	obj := storage.Object{Key: deref(b.Name), Metadata: fromAzureMeta(b.Metadata)}
	if p := b.Properties; p != nil {
		obj.Size = deref(p.ContentLength)
		obj.ETag = etagOf(p.ETag)
		obj.LastModified = deref(p.LastModified)
		obj.ContentType = deref(p.ContentType)
	}
	return obj
}

// dropUpTo removes keys at or before o.StartAfter. A common prefix is kept
// when it sorts after StartAfter, or when StartAfter lies inside it and a
// key under it sorts after StartAfter (as S3 rolls up only the keys after
// StartAfter).
func (s *Store) dropUpTo(ctx context.Context, page storage.ListPage, o storage.ListOptions) (storage.ListPage, error) {
	after := o.StartAfter
	objs := page.Objects[:0]
	for _, obj := range page.Objects {
		if obj.Key > after {
			objs = append(objs, obj)
		}
	}
	page.Objects = objs
	cps := page.CommonPrefixes[:0]
	for _, cp := range page.CommonPrefixes {
		keep := cp > after
		if !keep && strings.HasPrefix(after, cp) && after != cp {
			inner, err := s.List(ctx, storage.ListOptions{Prefix: cp, StartAfter: after, MaxKeys: 1})
			if err != nil {
				return page, err
			}
			keep = len(inner.Objects) > 0
		}
		if keep {
			cps = append(cps, cp)
		}
	}
	page.CommonPrefixes = cps
	return page, nil
}
