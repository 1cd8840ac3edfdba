// Package netopt builds the network settings both stores take from their
// options: the proxy for each endpoint scheme and extra trusted CAs.
package netopt

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"

	"golang.org/x/net/http/httpproxy"
)

// Proxy returns the proxy function of a transport: httpProxy for http
// URLs and httpsProxy for https ones; a scheme without its own setting
// goes by the environment (HTTP_PROXY, HTTPS_PROXY, NO_PROXY, read now).
// A proxy written without a scheme is taken as http://.
func Proxy(httpProxy, httpsProxy string) (func(*http.Request) (*url.URL, error), error) {
	hp, err := parse(httpProxy)
	if err != nil {
		return nil, err
	}
	hsp, err := parse(httpsProxy)
	if err != nil {
		return nil, err
	}
	env := httpproxy.FromEnvironment().ProxyFunc()
	return func(r *http.Request) (*url.URL, error) {
		switch {
		case r.URL.Scheme == "http" && hp != nil:
			return hp, nil
		case r.URL.Scheme == "https" && hsp != nil:
			return hsp, nil
		}
		return env(r.URL)
	}, nil
}

func parse(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, nil
	}
	s := raw
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("proxy %q is not a URL", raw)
	}
	return u, nil
}

// RootCAs returns the system's trusted CAs plus those in the PEM file, or
// nil (the system's alone) when file is "".
func RootCAs(file string) (*x509.CertPool, error) {
	if file == "" {
		return nil, nil
	}
	return AppendCAs(nil, file)
}

// AppendCAs adds the CAs of the PEM file to a copy of pool (the system's
// when nil).
func AppendCAs(pool *x509.CertPool, file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("CA file %s: %w", file, err)
	}
	if pool != nil {
		pool = pool.Clone()
	} else if pool, err = x509.SystemCertPool(); err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("CA file %s holds no PEM certificate", file)
	}
	return pool, nil
}
