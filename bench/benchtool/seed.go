package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"golang.org/x/sync/errgroup"
)

// fixtures names the objects the read workloads use; run.sh passes the
// same names to the mounts.
type fixtures struct {
	bigKey    string // the big file
	bigMB     int64
	dirPrefix string // "dir/": the many-object directory, with its marker
	dirFiles  int
	dirSize   int // bytes per object in the directory
}

func (f *fixtures) addFlags(fs *flag.FlagSet) {
	fs.StringVar(&f.bigKey, "big-key", "big.bin", "key of the big file")
	fs.Int64Var(&f.bigMB, "size-mb", 4096, "size of the big file in MiB")
	fs.StringVar(&f.dirPrefix, "dir", "dir/", "prefix of the many-object directory (ends in /)")
	fs.IntVar(&f.dirFiles, "dir-files", 10000, "objects in the directory")
	fs.IntVar(&f.dirSize, "dir-file-bytes", 1024, "bytes per object in the directory")
}

func (f *fixtures) check() error {
	if f.bigMB <= 0 || f.dirFiles <= 0 || f.dirSize < 0 {
		return fmt.Errorf("sizes and counts must be positive")
	}
	if len(f.dirPrefix) < 2 || f.dirPrefix[len(f.dirPrefix)-1] != '/' || f.dirPrefix[0] == '/' {
		return fmt.Errorf("-dir %q must be a relative prefix ending in /", f.dirPrefix)
	}
	return nil
}

// dirKey is the key of the i-th object of the directory.
func (f *fixtures) dirKey(i int) string { return fmt.Sprintf("%sf%05d", f.dirPrefix, i) }

const (
	seedPartSize = 8 << 20
	seedInflight = 8
	seedSmallJob = 16
	maxObjects   = 1_000_000 // bound on any listing the harness makes
)

func cmdSeed(ctx context.Context, env environ, args []string, out io.Writer) error {
	var t s3Target
	var f fixtures
	fs := newFlags("seed")
	t.addFlags(fs, env)
	f.addFlags(fs)
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if err := f.check(); err != nil {
		return err
	}
	c, err := t.client(ctx)
	if err != nil {
		return err
	}
	b := bucketOps{c: c, bucket: t.bucket}
	if err := b.ensureBucket(ctx); err != nil {
		return err
	}
	p := newPayload(1, blockSize)
	start := time.Now()
	want := f.bigMB << 20
	if got, err := b.size(ctx, f.bigKey); err != nil {
		return err
	} else if got != want {
		if err := b.multipartPut(ctx, f.bigKey, p, want, seedPartSize, seedInflight); err != nil {
			return err
		}
		fmt.Fprintf(out, "seeded %s (%d MiB) in %.1fs\n", f.bigKey, f.bigMB, time.Since(start).Seconds())
	}
	start = time.Now()
	objs, err := b.listAll(ctx, f.dirPrefix, maxObjects)
	if err != nil {
		return err
	}
	if len(files(objs)) == f.dirFiles && len(objs) == f.dirFiles+1 {
		return nil
	}
	if err := b.put(ctx, f.dirPrefix, nil); err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(seedSmallJob)
	for i := range f.dirFiles {
		g.Go(func() error { return b.put(gctx, f.dirKey(i), p.slice(i, f.dirSize)) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	fmt.Fprintf(out, "seeded %s with %d objects in %.1fs\n", f.dirPrefix, f.dirFiles, time.Since(start).Seconds())
	return nil
}
