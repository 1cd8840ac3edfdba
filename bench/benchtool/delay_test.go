package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"net"
	"testing"
	"time"
)

// Bytes cross the proxy unchanged, in order, each way, and a request and
// its answer take at least the round trip.
func TestDelayProxyForwardsEverythingLater(t *testing.T) {
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		for {
			c, err := echo.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	const delay = 30 * time.Millisecond
	go func() { done <- delayProxy(ctx, ln, echo.Addr().String(), delay) }()

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("echo: %q %v", buf, err)
	}
	if rtt := time.Since(start); rtt < 2*delay {
		t.Fatalf("round trip %s, under twice the delay %s", rtt, delay)
	}
	big := make([]byte, 3<<20)
	_, _ = rand.Read(big)
	go func() {
		_, _ = c.Write(big)
		_ = c.(*net.TCPConn).CloseWrite()
	}()
	got, err := io.ReadAll(c)
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("3 MiB through the proxy: %d bytes, equal %v, %v", len(got), bytes.Equal(got, big), err)
	}
	c.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
