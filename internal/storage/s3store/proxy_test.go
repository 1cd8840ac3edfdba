package s3store

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
)

// fault says what a faultProxy does to one connection.
type fault struct {
	reset bool // reset the connection at once
	stall bool // accept it and never answer
	// cutAfter > 0 forwards that many response bytes, calls onCut, then
	// resets the connection.
	cutAfter int64
	onCut    func()
}

// faultProxy is a TCP proxy on 127.0.0.1 in front of the test server that
// breaks chosen connections, to test retries and resumed downloads.
type faultProxy struct {
	ln     net.Listener
	target string
	plan   func(n int) fault // n counts accepted connections from 1

	mu    sync.Mutex
	conns []net.Conn // every connection, closed on cleanup; guarded by mu
	n     int        // connections accepted; guarded by mu
}

func newFaultProxy(t *testing.T, endpoint string, plan func(n int) fault) *faultProxy {
	t.Helper()
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{ln: ln, target: u.Host, plan: plan}
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *faultProxy) endpoint() string { return "http://" + p.ln.Addr().String() }

func (p *faultProxy) accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

func (p *faultProxy) track(c net.Conn) {
	p.mu.Lock()
	p.conns = append(p.conns, c)
	p.mu.Unlock()
}

func (p *faultProxy) close() {
	_ = p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		_ = c.Close()
	}
}

func (p *faultProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.n++
		n := p.n
		p.mu.Unlock()
		p.track(c)
		go p.handle(c, p.plan(n))
	}
}

func resetConn(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // close with RST, not FIN
	}
	_ = c.Close()
}

func (p *faultProxy) handle(client net.Conn, f fault) {
	switch {
	case f.reset:
		resetConn(client)
		return
	case f.stall:
		return // closed on cleanup
	}
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		resetConn(client)
		return
	}
	p.track(server)
	go func() {
		_, _ = io.Copy(server, client)
		_ = server.Close()
	}()
	if f.cutAfter > 0 {
		_, _ = io.CopyN(client, server, f.cutAfter)
		if f.onCut != nil {
			f.onCut()
		}
		resetConn(client)
		_ = server.Close()
		return
	}
	_, _ = io.Copy(client, server)
	_ = client.Close()
}

// throttlingProxy answers the first n requests with 503 SlowDown and
// forwards the rest to the test server. It returns its endpoint and a
// counter of requests seen.
func throttlingProxy(t *testing.T, endpoint string, n int64) (string, *atomic.Int64) {
	t.Helper()
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	var seen atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if seen.Add(1) <= n {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>`+
				`<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &seen
}

// recordingProxy forwards every request to the test server and records
// its headers, with the method and query under X-Test-Method and
// X-Test-Query. The Host header is kept: signatures cover it.
func recordingProxy(t *testing.T, endpoint string) (string, func() []http.Header) {
	t.Helper()
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	var mu sync.Mutex
	var seen []http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Clone()
		h.Set("X-Test-Method", r.Method)
		h.Set("X-Test-Query", r.URL.RawQuery)
		mu.Lock()
		seen = append(seen, h)
		mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() []http.Header {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(seen)
	}
}

// withMethod keeps the recorded requests of one method.
func withMethod(hs []http.Header, method string) []http.Header {
	return slices.DeleteFunc(hs, func(h http.Header) bool { return h.Get("X-Test-Method") != method })
}
