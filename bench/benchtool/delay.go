package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// The delay proxy puts a store "farther away" for the bench: every byte
// that crosses it, in either direction, arrives delay later, as on a link
// with a round trip of twice delay. Data is forwarded in the order and
// chunks it arrived, each held until its own time, so the proxy adds
// latency, not a bandwidth limit (BENCH_NET_MBIT does that). The kernel
// on this machine has no netem, hence a proxy.

// delayedChunk is data read at some time, due at another.
type delayedChunk struct {
	data []byte
	due  time.Time
}

// pipeDelayed copies src to dst, each chunk delay after it was read. It
// closes dst's write side when src ends.
func pipeDelayed(dst, src net.Conn, delay time.Duration) {
	q := make(chan delayedChunk, 4096)
	go func() {
		defer close(q)
		for {
			buf := make([]byte, 64<<10)
			n, err := src.Read(buf)
			if n > 0 {
				q <- delayedChunk{data: buf[:n], due: time.Now().Add(delay)}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range q {
		if d := time.Until(c.due); d > 0 {
			time.Sleep(d)
		}
		if _, err := dst.Write(c.data); err != nil {
			break
		}
	}
	for range q { // let the reader finish after a write error
	}
	if tc, ok := dst.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	} else {
		_ = dst.Close()
	}
}

// delayProxy listens on ln and forwards every connection to target with
// delay each way, until ctx ends.
func delayProxy(ctx context.Context, ln net.Listener, target string, delay time.Duration) error {
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			var d net.Dialer
			s, err := d.DialContext(ctx, "tcp", target)
			if err != nil {
				return
			}
			defer s.Close()
			done := make(chan struct{})
			go func() {
				pipeDelayed(s, c, delay)
				close(done)
			}()
			pipeDelayed(c, s, delay)
			<-done
		}()
	}
}

// cmdDelayProxy runs the proxy in the foreground; it prints the address
// it listens on, then serves until interrupted.
func cmdDelayProxy(ctx context.Context, _ environ, args []string, out io.Writer) error {
	fs := newFlags("delay-proxy")
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on (loopback)")
	target := fs.String("target", "", "host:port to forward to")
	ms := fs.Int("delay-ms", 10, "one-way delay in milliseconds (the round trip is twice this)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *target == "" || *ms < 0 {
		return fmt.Errorf("-target is required and -delay-ms must not be negative")
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, ln.Addr().String())
	if f, ok := out.(interface{ Sync() error }); ok {
		_ = f.Sync()
	}
	return delayProxy(ctx, ln, *target, time.Duration(*ms)*time.Millisecond)
}
