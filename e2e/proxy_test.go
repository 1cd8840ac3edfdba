//go:build linux

package e2e

import (
	"context"
	"math/rand/v2"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// faultProxy is a TCP proxy on 127.0.0.1 between a mount and its store
// server. It can add latency, cut connections in the middle of a body and
// refuse new connections. It is bounded: it stops by itself after its
// lifetime and at test cleanup, closing every connection it holds.
type faultProxy struct {
	t      *testing.T
	target string
	addr   string // host:port clients dial; kept across refuse/restore

	latency  atomic.Int64 // per forwarded chunk, in nanoseconds
	accepted atomic.Int64
	cuts     atomic.Int64
	refused  atomic.Bool

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu    sync.Mutex
	ln    net.Listener             // nil while refusing; guarded by mu
	conns map[*proxyConn]bool      // live connections; guarded by mu
	rng   *rand.Rand               // guarded by mu
	cut   func(r *rand.Rand) int64 // bytes a new connection may forward before it is cut; <= 0: never; guarded by mu
}

// proxyConn is one client connection and its upstream.
type proxyConn struct {
	client, server net.Conn
	budget         atomic.Int64 // bytes left before a cut; < 0: no cut
	once           sync.Once
}

// newFaultProxy starts a proxy to endpoint (a URL such as
// http://127.0.0.1:9000) that stops by itself after lifetime.
func newFaultProxy(t *testing.T, endpoint string, lifetime time.Duration) *faultProxy {
	t.Helper()
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), lifetime)
	p := &faultProxy{t: t, target: u.Host, addr: ln.Addr().String(), ctx: ctx, cancel: cancel,
		ln: ln, conns: map[*proxyConn]bool{}, rng: rand.New(rand.NewPCG(1, 2))}
	p.wg.Add(2)
	go p.serve(ln)
	go func() {
		defer p.wg.Done()
		<-ctx.Done()
		p.shutdown()
	}()
	t.Cleanup(p.close)
	return p
}

func (p *faultProxy) close() {
	p.cancel()
	p.wg.Wait()
}

// shutdown closes the listener and every connection.
func (p *faultProxy) shutdown() {
	p.mu.Lock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	p.mu.Unlock()
	p.dropAll()
}

// setLatency delays every forwarded chunk by d in both directions.
func (p *faultProxy) setLatency(d time.Duration) { p.latency.Store(int64(d)) }

// cutAfter makes each new connection reset itself after forwarding the
// number of bytes pick returns (<= 0: this connection is never cut). nil
// stops cutting.
func (p *faultProxy) cutAfter(pick func(r *rand.Rand) int64) {
	p.mu.Lock()
	p.cut = pick
	p.mu.Unlock()
}

// cutEvery resets every open connection each interval until the returned
// stop is called or the proxy ends.
func (p *faultProxy) cutEvery(interval time.Duration) (stop func()) {
	done := make(chan struct{})
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-p.ctx.Done():
				return
			case <-t.C:
				p.cuts.Add(int64(p.dropAll()))
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done) }) }
}

func (p *faultProxy) dropAll() int {
	p.mu.Lock()
	conns := make([]*proxyConn, 0, len(p.conns))
	for c := range p.conns {
		conns = append(conns, c)
	}
	p.mu.Unlock()
	for _, c := range conns {
		p.reset(c)
	}
	return len(conns)
}

// refuse closes the listening socket, so new connections are refused
// (ECONNREFUSED), and resets every open one: the server seems down.
func (p *faultProxy) refuse() {
	p.mu.Lock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	p.refused.Store(true)
	p.mu.Unlock()
	p.dropAll()
}

// restore listens again on the same address.
func (p *faultProxy) restore() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil || p.ctx.Err() != nil {
		return
	}
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ {
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		p.t.Errorf("proxy: listen again on %s: %v", p.addr, err)
		return
	}
	p.ln = ln
	p.refused.Store(false)
	p.wg.Add(1)
	go p.serve(ln)
}

func (p *faultProxy) serve(ln net.Listener) {
	defer p.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return // closed by refuse or shutdown
		}
		p.accepted.Add(1)
		p.wg.Add(1)
		go p.handle(c)
	}
}

func (p *faultProxy) handle(client net.Conn) {
	defer p.wg.Done()
	var d net.Dialer
	server, err := d.DialContext(p.ctx, "tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	c := &proxyConn{client: client, server: server}
	c.budget.Store(-1)
	p.mu.Lock()
	if p.ctx.Err() != nil {
		p.mu.Unlock()
		client.Close()
		server.Close()
		return
	}
	if p.cut != nil {
		if n := p.cut(p.rng); n > 0 {
			c.budget.Store(n)
		}
	}
	p.conns[c] = true
	p.mu.Unlock()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.pipe(c, server, client) }()
	go func() { defer wg.Done(); p.pipe(c, client, server) }()
	wg.Wait()
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// pipe copies src to dst chunk by chunk, adding latency and counting the
// connection's byte budget; either side ending ends both.
func (p *faultProxy) pipe(c *proxyConn, dst, src net.Conn) {
	defer p.closeBoth(c)
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if d := time.Duration(p.latency.Load()); d > 0 {
				select {
				case <-time.After(d):
				case <-p.ctx.Done():
					return
				}
			}
			chunk := buf[:n]
			if left := c.budget.Load(); left >= 0 {
				if int64(n) >= left {
					// Forward part of this chunk, then cut mid-body.
					dst.Write(chunk[:left])
					p.cuts.Add(1)
					p.reset(c)
					return
				}
				c.budget.Add(-int64(n))
			}
			if _, werr := dst.Write(chunk); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// closeBoth ends a connection whose copy finished or failed.
func (p *faultProxy) closeBoth(c *proxyConn) {
	c.client.Close()
	c.server.Close()
}

// reset aborts both sides with a TCP RST, as a dropped network would.
func (p *faultProxy) reset(c *proxyConn) {
	c.once.Do(func() {
		for _, conn := range []net.Conn{c.client, c.server} {
			if tc, ok := conn.(*net.TCPConn); ok {
				tc.SetLinger(0)
			}
			conn.Close()
		}
	})
}
