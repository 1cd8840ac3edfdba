package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// pollEvery is how often the wait commands ask the server again.
const pollEvery = 10 * time.Millisecond

// poll calls done until it reports true, fails, or timeout passes.
func poll(ctx context.Context, timeout time.Duration, what string, done func(ctx context.Context) (bool, string, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	last := ""
	for {
		ok, state, err := done(ctx)
		if err != nil && ctx.Err() == nil {
			return err
		}
		if ok {
			return nil
		}
		if state != "" {
			last = state
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: not there after %s (last seen: %s)", what, timeout, last)
		case <-time.After(pollEvery):
		}
	}
}

func cmdWaitObject(ctx context.Context, env environ, args []string, _ io.Writer) error {
	var t s3Target
	fs := newFlags("wait-object")
	t.addFlags(fs, env)
	key := fs.String("key", "", "object key")
	size := fs.Int64("size", 0, "size the object must have")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up after this long")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	c, err := t.client(ctx)
	if err != nil {
		return err
	}
	b := bucketOps{c: c, bucket: t.bucket}
	return poll(ctx, *timeout, "object "+*key, func(ctx context.Context) (bool, string, error) {
		n, err := b.size(ctx, *key)
		return n == *size, fmt.Sprintf("size %d", n), err
	})
}

func cmdWaitCount(ctx context.Context, env environ, args []string, _ io.Writer) error {
	var t s3Target
	fs := newFlags("wait-count")
	t.addFlags(fs, env)
	prefix := fs.String("prefix", "", "prefix (directory markers ending in / are not counted)")
	count := fs.Int("count", 0, "number of objects wanted")
	size := fs.Int64("size", -1, "size every object must have (-1: any)")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up after this long")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *prefix == "" {
		return fmt.Errorf("-prefix is required")
	}
	c, err := t.client(ctx)
	if err != nil {
		return err
	}
	b := bucketOps{c: c, bucket: t.bucket}
	return poll(ctx, *timeout, fmt.Sprintf("%d objects under %s", *count, *prefix), func(ctx context.Context) (bool, string, error) {
		objs, err := b.listAll(ctx, *prefix, maxObjects)
		if err != nil {
			return false, "", err
		}
		objs = files(objs)
		right := 0
		for _, o := range objs {
			if *size < 0 || aws.ToInt64(o.Size) == *size {
				right++
			}
		}
		return len(objs) == *count && right == *count,
			fmt.Sprintf("%d objects, %d of the right size", len(objs), right), nil
	})
}

func cmdRmPrefix(ctx context.Context, env environ, args []string, out io.Writer) error {
	var t s3Target
	fs := newFlags("rm-prefix")
	t.addFlags(fs, env)
	prefix := fs.String("prefix", "", "prefix to empty (must end in /)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if len(*prefix) < 2 || (*prefix)[len(*prefix)-1] != '/' {
		return fmt.Errorf("-prefix %q must name a directory, ending in /", *prefix)
	}
	c, err := t.client(ctx)
	if err != nil {
		return err
	}
	n, err := bucketOps{c: c, bucket: t.bucket}.deletePrefix(ctx, *prefix, maxObjects)
	if err == nil && n > 0 {
		fmt.Fprintf(out, "deleted %d objects under %s\n", n, *prefix)
	}
	return err
}
