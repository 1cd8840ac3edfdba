package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"
)

// sdkOpts sizes the baseline; run.sh passes the same sizes the mounts get.
type sdkOpts struct {
	fixtures
	partMB, inflight   int
	randFor            time.Duration
	randJobs           int
	files, fileKB      int
	fileJobs, statJobs int
	prefix             string // where the baseline writes, ends in /
	only               string // comma-separated operations; "" runs all
	// forWorkloads, if not empty, runs only the operations the mount
	// workloads it names (space- or comma-separated) are compared with.
	forWorkloads string
}

// sdkOp is one baseline operation; run returns the amount done (bytes or
// operations, by unit).
type sdkOp struct {
	name, unit string
	run        func(ctx context.Context) (int64, error)
}

func cmdSDK(ctx context.Context, env environ, args []string, out io.Writer) error {
	var t s3Target
	var o sdkOpts
	fs := newFlags("sdk")
	t.addFlags(fs, env)
	o.addFlags(fs)
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if err := o.check(); err != nil {
		return err
	}
	c, err := t.client(ctx)
	if err != nil {
		return err
	}
	s := &sdkRun{b: bucketOps{c: c, bucket: t.bucket}, o: o}
	if _, err := s.b.deletePrefix(ctx, o.prefix, maxObjects); err != nil {
		return err
	}
	defer func() { _, _ = s.b.deletePrefix(context.WithoutCancel(ctx), o.prefix, maxObjects) }()
	want := baselinesForAll(o.forWorkloads)
	for _, op := range s.ops() {
		if !selected(o.only, op.name) || (want != nil && !want[op.name]) {
			continue
		}
		r := result{tool: "sdk", workload: op.name, unit: op.unit, status: "ok"}
		measured := resetSelfPeakRSS()
		start := time.Now()
		n, err := op.run(ctx)
		r.elapsed = time.Since(start)
		if measured {
			r.rssKiB = peakRSSKiB("/proc/self/status")
		}
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			r = result{tool: "sdk", workload: op.name, unit: op.unit, status: oneLine(err.Error())}
		} else {
			r.amount = n
		}
		fmt.Fprintln(out, r)
	}
	return nil
}

func (o *sdkOpts) addFlags(fs *flag.FlagSet) {
	o.fixtures.addFlags(fs)
	fs.IntVar(&o.partMB, "part-mb", 8, "part size of ranged GETs and multipart PUTs, MiB")
	fs.IntVar(&o.inflight, "inflight", 8, "parts in flight")
	fs.DurationVar(&o.randFor, "rand-time", 20*time.Second, "duration of each random-read run")
	fs.IntVar(&o.randJobs, "rand-jobs", 4, "concurrent random readers")
	fs.IntVar(&o.files, "files", 2000, "small files to PUT, GET and DELETE")
	fs.IntVar(&o.fileKB, "file-kb", 16, "size of each small file, KiB")
	fs.IntVar(&o.fileJobs, "file-jobs", 1, "concurrent small-file requests")
	fs.IntVar(&o.statJobs, "stat-jobs", 8, "concurrent HEADs over the directory")
	fs.StringVar(&o.prefix, "prefix", "sdk/", "prefix the baseline writes under")
	fs.StringVar(&o.only, "only", "", "comma-separated operations to run (default all)")
	fs.StringVar(&o.forWorkloads, "for", "", "run only the operations these mount workloads are compared with (space- or comma-separated)")
}

func (o *sdkOpts) check() error {
	if err := o.fixtures.check(); err != nil {
		return err
	}
	if o.partMB <= 0 || o.inflight <= 0 || o.randJobs <= 0 || o.files <= 0 || o.fileKB <= 0 ||
		o.fileJobs <= 0 || o.statJobs <= 0 || o.randFor <= 0 {
		return fmt.Errorf("sizes, counts and durations must be positive")
	}
	if o.partMB < 5 {
		return fmt.Errorf("-part-mb %d: S3 parts are at least 5 MiB", o.partMB)
	}
	for _, w := range strings.FieldsFunc(o.forWorkloads, isListSep) {
		if baselinesFor(w) == nil {
			return fmt.Errorf("-for: no baseline for workload %q", w)
		}
	}
	if !strings.HasSuffix(o.prefix, "/") || strings.HasPrefix(o.prefix, "/") {
		return fmt.Errorf("-prefix %q must be relative and end in /", o.prefix)
	}
	return nil
}

// selected says whether name is in the comma-separated list (empty: all).
func selected(list, name string) bool {
	if list == "" {
		return true
	}
	for _, s := range strings.Split(list, ",") {
		if strings.TrimSpace(s) == name {
			return true
		}
	}
	return false
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// sdkRun holds what the baseline operations share.
type sdkRun struct {
	b bucketOps
	o sdkOpts
	p *payload // made by the first upload, so reads run without it
}

func (s *sdkRun) payload() *payload {
	if s.p == nil {
		s.p = newPayload(2, blockSize)
	}
	return s.p
}

func (s *sdkRun) ops() []sdkOp {
	ops := []sdkOp{
		{"get-stream", unitMiBs, s.getStream},
		{"get-ranged", unitMiBs, s.getRanged},
		{"get-rand-4k", unitOps, func(ctx context.Context) (int64, error) { return s.getRandom(ctx, 4<<10, false) }},
		{"get-rand-256k", unitMiBs, func(ctx context.Context) (int64, error) { return s.getRandom(ctx, 256<<10, true) }},
		{"put-multipart", unitMiBs, s.putMultipart},
		{"put-small", unitOps, s.putSmall},
		{"get-small", unitOps, s.getSmall},
		{"list", unitOps, s.list},
		{"head", unitOps, s.head},
		{"delete-small", unitOps, s.deleteSmall},
	}
	if s.o.treeFiles > 0 {
		ops = append(ops, sdkOp{"list-tree", unitOps, s.listTree},
			sdkOp{"get-tree", unitOps, s.getTree}, sdkOp{"put-tree", unitOps, s.putTree})
	}
	return ops
}

func (s *sdkRun) bigSize() int64 { return s.o.bigMB << 20 }

func (s *sdkRun) smallKey(i int) string { return fmt.Sprintf("%ssmall/f%05d", s.o.prefix, i) }

// forEach runs fn for 0..n-1, jobs at a time, stopping at the first error.
func forEach(ctx context.Context, n, jobs int, fn func(ctx context.Context, i int) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(jobs)
	for i := range n {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error { return fn(gctx, i) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// getRange reads length bytes at off into buf (len(buf) >= length); a
// length of -1 reads the whole object and discards it.
func (s *sdkRun) getRange(ctx context.Context, key string, off, length int64, buf []byte) (int64, error) {
	in := &s3.GetObjectInput{Bucket: &s.b.bucket, Key: &key}
	if length >= 0 {
		in.Range = aws.String(fmt.Sprintf("bytes=%d-%d", off, off+length-1))
	}
	out, err := s.b.c.GetObject(ctx, in)
	if err != nil {
		return 0, fmt.Errorf("get %s: %w", key, err)
	}
	defer out.Body.Close()
	var n int64
	if length < 0 {
		n, err = io.CopyBuffer(io.Discard, out.Body, buf)
	} else {
		var m int
		m, err = io.ReadFull(out.Body, buf[:length])
		n = int64(m)
	}
	if err != nil {
		return n, fmt.Errorf("read %s: %w", key, err)
	}
	return n, nil
}
