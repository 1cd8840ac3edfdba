package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
)

// fsWork is a small-file workload on a directory of a mounted file system.
// Files are named f00000, f00001, ... as in the fixture directory.
type fsWork struct {
	op   string // create, read, stat or delete
	dir  string
	n    int
	size int // bytes per file (create writes it, read checks it; -1: any)
	jobs int
}

func (w fsWork) name(i int) string { return filepath.Join(w.dir, fmt.Sprintf("f%05d", i)) }

func cmdFS(ctx context.Context, _ environ, args []string, out io.Writer) error {
	var w fsWork
	fs := newFlags("fs")
	fs.StringVar(&w.op, "op", "", "create, read, stat or delete")
	fs.StringVar(&w.dir, "dir", "", "directory (on the mount)")
	fs.IntVar(&w.n, "n", 2000, "number of files")
	fs.IntVar(&w.size, "size", 16<<10, "bytes per file (read: -1 accepts any size)")
	fs.IntVar(&w.jobs, "jobs", 1, "files handled at once")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	ops, bytes, err := w.run(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%d\t%d\n", ops, bytes)
	return nil
}

// run does the workload and returns the files handled and bytes moved.
func (w fsWork) run(ctx context.Context) (int64, int64, error) {
	if w.dir == "" || w.n <= 0 || w.jobs <= 0 {
		return 0, 0, fmt.Errorf("need -dir, and positive -n and -jobs")
	}
	var fn func(i int) (int64, error)
	switch w.op {
	case "create":
		if w.size < 0 {
			return 0, 0, fmt.Errorf("create needs -size >= 0")
		}
		p := newPayload(3, max(w.size, 1)*16)
		fn = func(i int) (int64, error) { return w.create(i, p.slice(i, w.size)) }
	case "read":
		fn = w.read
	case "stat":
		fn = w.stat
	case "delete":
		fn = func(i int) (int64, error) { return 0, os.Remove(w.name(i)) }
	default:
		return 0, 0, fmt.Errorf("unknown -op %q (want create, read, stat or delete)", w.op)
	}
	var total atomic.Int64
	err := forEach(ctx, w.n, w.jobs, func(ctx context.Context, i int) error {
		n, err := fn(i)
		total.Add(n)
		return err
	})
	return int64(w.n), total.Load(), err
}

// create writes data to file i and reports the close: that is where a
// mount uploads.
func (w fsWork) create(i int, data []byte) (int64, error) {
	f, err := os.OpenFile(w.name(i), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return 0, err
	}
	n, err := f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return int64(n), err
}

func (w fsWork) read(i int) (int64, error) {
	f, err := os.Open(w.name(i))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n, err := io.Copy(io.Discard, f)
	if err == nil && w.size >= 0 && n != int64(w.size) {
		err = fmt.Errorf("%s: read %d bytes, want %d", w.name(i), n, w.size)
	}
	return n, err
}

func (w fsWork) stat(i int) (int64, error) {
	fi, err := os.Lstat(w.name(i))
	if err != nil {
		return 0, err
	}
	if !fi.Mode().IsRegular() {
		return 0, fmt.Errorf("%s: not a regular file (%s)", w.name(i), fi.Mode())
	}
	return 0, nil
}
