package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// getStream reads the big file with one GetObject.
func (s *sdkRun) getStream(ctx context.Context) (int64, error) {
	n, err := s.getRange(ctx, s.o.bigKey, 0, -1, make([]byte, 1<<20))
	if err == nil && n != s.bigSize() {
		err = fmt.Errorf("read %d bytes of %s, want %d", n, s.o.bigKey, s.bigSize())
	}
	return n, err
}

// getRanged reads the big file as ranged GETs of partMB, inflight at a
// time, each into a reused buffer.
func (s *sdkRun) getRanged(ctx context.Context) (int64, error) {
	part := int64(s.o.partMB) << 20
	bufs := make(chan []byte, s.o.inflight)
	for range s.o.inflight {
		bufs <- make([]byte, part)
	}
	nparts := int((s.bigSize() + part - 1) / part)
	var total atomic.Int64
	err := forEach(ctx, nparts, s.o.inflight, func(ctx context.Context, i int) error {
		buf := <-bufs
		defer func() { bufs <- buf }()
		off := int64(i) * part
		n, err := s.getRange(ctx, s.o.bigKey, off, min(part, s.bigSize()-off), buf)
		total.Add(n)
		return err
	})
	return total.Load(), err
}

// getRandom reads size-aligned ranges of size bytes at random offsets of
// the big file with randJobs readers for randFor. It returns bytes read
// when inBytes, else the number of reads.
func (s *sdkRun) getRandom(ctx context.Context, size int64, inBytes bool) (int64, error) {
	slots := s.bigSize() / size
	if slots < 1 {
		return 0, fmt.Errorf("big file smaller than one %d-byte read", size)
	}
	ctx, cancel := context.WithTimeout(ctx, s.o.randFor)
	defer cancel()
	var reads, total atomic.Int64
	err := forEach(ctx, s.o.randJobs, s.o.randJobs, func(ctx context.Context, i int) error {
		rng := rand.New(rand.NewPCG(uint64(i), 7))
		buf := make([]byte, size)
		for ctx.Err() == nil {
			n, err := s.getRange(ctx, s.o.bigKey, rng.Int64N(slots)*size, size, buf)
			if err != nil {
				if ctx.Err() != nil {
					return nil // the time is up mid-read
				}
				return err
			}
			reads.Add(1)
			total.Add(n)
		}
		return nil
	})
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return 0, err
	}
	if inBytes {
		return total.Load(), nil
	}
	return reads.Load(), nil
}

// putMultipart uploads a file of the big size as a multipart upload and
// stops the clock when CompleteMultipartUpload returns.
func (s *sdkRun) putMultipart(ctx context.Context) (int64, error) {
	key := s.o.prefix + "big.bin"
	err := s.b.multipartPut(ctx, key, s.payload(), s.bigSize(), s.o.partMB<<20, s.o.inflight)
	if err != nil {
		return 0, err
	}
	return s.bigSize(), nil
}

func (s *sdkRun) putSmall(ctx context.Context) (int64, error) {
	size := s.o.fileKB << 10
	p := s.payload()
	err := forEach(ctx, s.o.files, s.o.fileJobs, func(ctx context.Context, i int) error {
		return s.b.put(ctx, s.smallKey(i), p.slice(i, size))
	})
	return int64(s.o.files), err
}

func (s *sdkRun) getSmall(ctx context.Context) (int64, error) {
	size := int64(s.o.fileKB) << 10
	err := forEach(ctx, s.o.files, s.o.fileJobs, func(ctx context.Context, i int) error {
		buf := make([]byte, 64<<10)
		n, err := s.getRange(ctx, s.smallKey(i), 0, -1, buf)
		if err == nil && n != size {
			err = fmt.Errorf("read %d bytes of %s, want %d", n, s.smallKey(i), size)
		}
		return err
	})
	return int64(s.o.files), err
}

func (s *sdkRun) deleteSmall(ctx context.Context) (int64, error) {
	err := forEach(ctx, s.o.files, s.o.fileJobs, func(ctx context.Context, i int) error {
		key := s.smallKey(i)
		_, err := s.b.c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.b.bucket, Key: &key})
		if err != nil {
			return fmt.Errorf("delete %s: %w", key, err)
		}
		return nil
	})
	return int64(s.o.files), err
}

// list lists the directory one level deep, page after page, as a file
// system's readdir would; the amount is the number of entries.
func (s *sdkRun) list(ctx context.Context) (int64, error) {
	p := s3.NewListObjectsV2Paginator(s.b.c, &s3.ListObjectsV2Input{
		Bucket: &s.b.bucket, Prefix: &s.o.dirPrefix, Delimiter: aws.String("/"),
	})
	var n int64
	for p.HasMorePages() && n <= maxObjects {
		page, err := p.NextPage(ctx)
		if err != nil {
			return n, fmt.Errorf("list %s: %w", s.o.dirPrefix, err)
		}
		for _, o := range page.Contents {
			if !strings.HasSuffix(aws.ToString(o.Key), "/") {
				n++
			}
		}
		n += int64(len(page.CommonPrefixes))
	}
	if n != int64(s.o.dirFiles) {
		return n, fmt.Errorf("listed %d entries under %s, want %d", n, s.o.dirPrefix, s.o.dirFiles)
	}
	return n, nil
}

// listTree lists the whole tree with ListObjectsV2 and no delimiter, page
// after page: the fewest requests that name every object of it. Nothing
// runs without a tree.
func (s *sdkRun) listTree(ctx context.Context) (int64, error) {
	p := s3.NewListObjectsV2Paginator(s.b.c, &s3.ListObjectsV2Input{Bucket: &s.b.bucket, Prefix: &s.o.treePrefix})
	var n int64
	for p.HasMorePages() && n <= maxObjects {
		page, err := p.NextPage(ctx)
		if err != nil {
			return n, fmt.Errorf("list %s: %w", s.o.treePrefix, err)
		}
		n += int64(len(page.Contents))
	}
	if n != int64(s.o.treeFiles) {
		return n, fmt.Errorf("listed %d objects under %s, want %d", n, s.o.treePrefix, s.o.treeFiles)
	}
	return n, nil
}

// head sends a HEAD for every object of the directory, statJobs at a time.
func (s *sdkRun) head(ctx context.Context) (int64, error) {
	err := forEach(ctx, s.o.dirFiles, s.o.statJobs, func(ctx context.Context, i int) error {
		n, err := s.b.size(ctx, s.o.dirKey(i))
		if err == nil && n < 0 {
			err = fmt.Errorf("head %s: not found", s.o.dirKey(i))
		}
		return err
	})
	return int64(s.o.dirFiles), err
}

// treeObjects lists the tree's objects, page after page.
func (s *sdkRun) treeObjects(ctx context.Context) ([]string, error) {
	objs, err := s.b.listAll(ctx, s.o.treePrefix, maxObjects)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(objs))
	for _, o := range files(objs) {
		keys = append(keys, aws.ToString(o.Key))
	}
	if len(keys) != s.o.treeFiles {
		return nil, fmt.Errorf("listed %d objects under %s, want %d", len(keys), s.o.treePrefix, s.o.treeFiles)
	}
	return keys, nil
}

// getTree lists the tree and reads every object of it, one at a time, as
// `cp -r` out of a mount does.
func (s *sdkRun) getTree(ctx context.Context) (int64, error) {
	keys, err := s.treeObjects(ctx)
	if err != nil {
		return 0, err
	}
	buf := make([]byte, 64<<10)
	for _, k := range keys {
		if _, err := s.getRange(ctx, k, 0, -1, buf); err != nil {
			return 0, err
		}
	}
	return int64(len(keys)), nil
}

// putTree writes a copy of the tree under the baseline's prefix, one
// object at a time, as `cp -r` into a mount does.
func (s *sdkRun) putTree(ctx context.Context) (int64, error) {
	p := s.payload()
	for i := range s.o.treeFiles {
		if err := s.b.put(ctx, s.o.prefix+s.o.treeKey(i), p.slice(i, s.o.dirSize)); err != nil {
			return 0, err
		}
	}
	return int64(s.o.treeFiles), nil
}
