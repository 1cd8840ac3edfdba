package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The dataset commands serve bench/data.sh: a set of objects to preload
// or read in epochs, and the raw-SDK download of it to local files that
// a preload is compared with.

type setFlags struct {
	prefix string
	n      int
	sizeKB int64
}

func (f *setFlags) addFlags(fs *flag.FlagSet) {
	fs.StringVar(&f.prefix, "prefix", "set/", "prefix of the set (ends in /)")
	fs.IntVar(&f.n, "n", 2000, "objects in the set")
	fs.Int64Var(&f.sizeKB, "size-kb", 1024, "size of each object in KiB")
}

func (f *setFlags) key(i int) string { return fmt.Sprintf("%sf%05d", f.prefix, i) }

// cmdSeedSet uploads the set unless the bucket already holds it.
func cmdSeedSet(ctx context.Context, env environ, args []string, out io.Writer) error {
	var t s3Target
	var f setFlags
	fs := newFlags("seed-set")
	t.addFlags(fs, env)
	f.addFlags(fs)
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if f.n <= 0 || f.sizeKB <= 0 {
		return fmt.Errorf("-n and -size-kb must be positive")
	}
	c, err := t.client(ctx)
	if err != nil {
		return err
	}
	b := bucketOps{c: c, bucket: t.bucket}
	if err := b.ensureBucket(ctx); err != nil {
		return err
	}
	size := f.sizeKB << 10
	objs, err := b.listAll(ctx, f.prefix, maxObjects)
	if err != nil {
		return err
	}
	have := 0
	for _, o := range objs {
		if aws.ToInt64(o.Size) == size {
			have++
		}
	}
	if have == f.n && len(objs) == f.n {
		return nil
	}
	start := time.Now()
	p := newPayload(7, blockSize)
	if size > seedPartSize {
		for i := range f.n {
			if err := b.multipartPut(ctx, f.key(i), p, size, seedPartSize, seedInflight); err != nil {
				return err
			}
		}
	} else if err := forEach(ctx, f.n, seedSmallJob, func(ctx context.Context, i int) error {
		return b.put(ctx, f.key(i), p.slice(i, int(size)))
	}); err != nil {
		return err
	}
	fmt.Fprintf(out, "seeded %s: %d x %d KiB in %.1fs\n", f.prefix, f.n, f.sizeKB, time.Since(start).Seconds())
	return nil
}

// cmdDownload downloads every object under a prefix into files of a
// directory the way a well-tuned SDK program would: jobs objects at once,
// an object larger than a part as ranged GETs of 8 MiB, 8 in flight. It
// prints "bytes<TAB>seconds".
func cmdDownload(ctx context.Context, env environ, args []string, out io.Writer) error {
	var t s3Target
	var prefix, dir string
	var jobs int
	fs := newFlags("download")
	t.addFlags(fs, env)
	fs.StringVar(&prefix, "prefix", "set/", "prefix to download")
	fs.StringVar(&dir, "dir", "", "directory the files go to (created)")
	fs.IntVar(&jobs, "jobs", 16, "objects at once")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if dir == "" || jobs <= 0 {
		return fmt.Errorf("-dir is required and -jobs must be positive")
	}
	c, err := t.client(ctx)
	if err != nil {
		return err
	}
	b := bucketOps{c: c, bucket: t.bucket}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	start := time.Now()
	objs, err := b.listAll(ctx, prefix, maxObjects)
	if err != nil {
		return err
	}
	var total atomic.Int64
	err = forEach(ctx, len(objs), jobs, func(ctx context.Context, i int) error {
		o := objs[i]
		n, err := b.downloadFile(ctx, aws.ToString(o.Key), aws.ToInt64(o.Size), filepath.Join(dir, fmt.Sprintf("o%06d", i)))
		total.Add(n)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%d\t%.3f\n", total.Load(), time.Since(start).Seconds())
	return nil
}

// downloadFile writes the object to path: one GET, or 8 MiB ranged GETs
// 8 at a time for a larger object.
func (b bucketOps) downloadFile(ctx context.Context, key string, size int64, path string) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	const part = seedPartSize
	nparts := int(max((size+part-1)/part, 1))
	var got atomic.Int64
	err = forEach(ctx, nparts, seedInflight, func(ctx context.Context, i int) error {
		off := int64(i) * part
		in := &s3.GetObjectInput{Bucket: &b.bucket, Key: &key}
		if nparts > 1 {
			in.Range = aws.String(fmt.Sprintf("bytes=%d-%d", off, min(off+part, size)-1))
		}
		resp, err := b.c.GetObject(ctx, in)
		if err != nil {
			return fmt.Errorf("get %s: %w", key, err)
		}
		defer resp.Body.Close()
		n, err := io.Copy(io.NewOffsetWriter(f, off), resp.Body)
		got.Add(n)
		return err
	})
	return got.Load(), err
}
