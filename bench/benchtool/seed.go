package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"
)

// fixtures names the objects the read workloads use; run.sh passes the
// same names to the mounts.
type fixtures struct {
	bigKey    string // the big file
	bigMB     int64
	dirPrefix string // "dir/": the many-object directory, with its marker
	dirFiles  int
	dirSize   int // bytes per object in the directory
	// The tree walked by find: treeFiles objects of dirSize bytes spread
	// over treeDirs directories under treePrefix; none when treeFiles is 0.
	treePrefix          string
	treeDirs, treeFiles int
}

func (f *fixtures) addFlags(fs *flag.FlagSet) {
	fs.StringVar(&f.bigKey, "big-key", "big.bin", "key of the big file")
	fs.Int64Var(&f.bigMB, "size-mb", 4096, "size of the big file in MiB")
	fs.StringVar(&f.dirPrefix, "dir", "dir/", "prefix of the many-object directory (ends in /)")
	fs.IntVar(&f.dirFiles, "dir-files", 10000, "objects in the directory")
	fs.IntVar(&f.dirSize, "dir-file-bytes", 1024, "bytes per object in the directory")
	fs.StringVar(&f.treePrefix, "tree", "tree/", "prefix of the tree walked by find (ends in /)")
	fs.IntVar(&f.treeDirs, "tree-dirs", 200, "directories of the tree")
	fs.IntVar(&f.treeFiles, "tree-files", 0, "objects of the tree, spread evenly over its directories (0: no tree)")
}

func (f *fixtures) check() error {
	if f.bigMB <= 0 || f.dirFiles <= 0 || f.dirSize < 0 {
		return fmt.Errorf("sizes and counts must be positive")
	}
	if len(f.dirPrefix) < 2 || f.dirPrefix[len(f.dirPrefix)-1] != '/' || f.dirPrefix[0] == '/' {
		return fmt.Errorf("-dir %q must be a relative prefix ending in /", f.dirPrefix)
	}
	if f.treeFiles < 0 || f.treeDirs <= 0 {
		return fmt.Errorf("-tree-files must not be negative and -tree-dirs must be positive")
	}
	if len(f.treePrefix) < 2 || f.treePrefix[len(f.treePrefix)-1] != '/' || f.treePrefix[0] == '/' {
		return fmt.Errorf("-tree %q must be a relative prefix ending in /", f.treePrefix)
	}
	return nil
}

// treeKey is the key of the i-th object of the tree.
func (f *fixtures) treeKey(i int) string {
	return fmt.Sprintf("%sd%03d/f%05d", f.treePrefix, i%f.treeDirs, i)
}

// dirKey is the key of the i-th object of the directory.
func (f *fixtures) dirKey(i int) string { return fmt.Sprintf("%sf%05d", f.dirPrefix, i) }

const (
	seedPartSize = 8 << 20
	seedInflight = 8
	seedSmallJob = 16
	maxObjects   = 2_000_000 // bound on any listing the harness makes
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
		return seedTree(ctx, b, f, p, out)
	}
	if err := b.put(ctx, f.dirPrefix, nil); err != nil {
		return err
	}
	if err := forEach(ctx, f.dirFiles, seedSmallJob, func(ctx context.Context, i int) error {
		return b.put(ctx, f.dirKey(i), p.slice(i, f.dirSize))
	}); err != nil {
		return err
	}
	fmt.Fprintf(out, "seeded %s with %d objects in %.1fs\n", f.dirPrefix, f.dirFiles, time.Since(start).Seconds())
	return seedTree(ctx, b, f, p, out)
}

// seedTree uploads the tree unless it is there already.
func seedTree(ctx context.Context, b bucketOps, f fixtures, p *payload, out io.Writer) error {
	if f.treeFiles == 0 {
		return nil
	}
	start := time.Now()
	objs, err := b.listAll(ctx, f.treePrefix, maxObjects)
	if err != nil {
		return err
	}
	if len(objs) == f.treeFiles {
		return nil
	}
	if err := forEach(ctx, f.treeFiles, seedSmallJob, func(ctx context.Context, i int) error {
		return b.put(ctx, f.treeKey(i), p.slice(i, f.dirSize))
	}); err != nil {
		return err
	}
	fmt.Fprintf(out, "seeded %s with %d objects in %d directories in %.1fs\n", f.treePrefix, f.treeFiles,
		min(f.treeDirs, f.treeFiles), time.Since(start).Seconds())
	return nil
}
