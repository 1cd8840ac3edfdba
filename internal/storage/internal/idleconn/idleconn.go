// Package idleconn bounds how long a store connection may stall: a read or
// write that moves no data for the timeout fails with a timeout error,
// which the SDKs retry, so a store that stops answering fails a request
// after its retries instead of blocking it for as long as the store is
// silent.
package idleconn

import (
	"context"
	"net"
	"time"
)

// DialFunc is the type of http.Transport.DialContext.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Dialer wraps dial (or a plain dialer when nil) so that each connection
// it makes fails a read or write idle for timeout.
func Dialer(dial DialFunc, timeout time.Duration) DialFunc {
	if dial == nil {
		dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &idleConn{Conn: conn, timeout: timeout}, nil
	}
}

type idleConn struct {
	net.Conn
	timeout time.Duration
}

func (c *idleConn) Read(p []byte) (int, error) {
	if err := c.SetReadDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

func (c *idleConn) Write(p []byte) (int, error) {
	if err := c.SetWriteDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}
