// Package adls talks to the ADLS Gen2 (dfs) endpoint of an Azure storage
// account with a hierarchical namespace, for what the blob endpoint cannot
// do: atomic renames of files and directories. It speaks the documented
// REST API (Path - Create with x-ms-rename-source, Filesystem - Get
// Properties) over an azcore pipeline, so retries and transport are the
// blob client's.
package adls

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/a9de3765/cloudfuse/internal/storage"
)

// apiVersion is the x-ms-version sent on every request.
const apiVersion = "2023-11-03"

// storageScope is the token scope for Azure Storage.
const storageScope = "https://storage.azure.com/.default"

// Options configures a Client. Exactly one of AccountKey, Token and SAS
// authenticates.
type Options struct {
	Endpoint    string // dfs service URL, e.g. https://acct.dfs.core.windows.net
	Filesystem  string // the container
	AccountName string
	AccountKey  string                 // shared key
	Token       azcore.TokenCredential // Microsoft Entra ID
	// SAS returns the current SAS, read for each request, so the caller
	// can replace it while the client runs.
	SAS func() url.Values

	ClientOptions azcore.ClientOptions // retries and transport
}

// Client is a dfs endpoint client bound to one filesystem.
type Client struct {
	base *url.URL // endpoint + "/" + filesystem
	fs   string
	key  *sharedKey        // with AccountKey
	sas  func() url.Values // with SAS
	pl   runtime.Pipeline
}

// New builds a client. It does no network I/O.
func New(o Options) (*Client, error) {
	u, err := url.Parse(strings.TrimSuffix(o.Endpoint, "/"))
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("dfs endpoint %q is not a URL", o.Endpoint)
	}
	if o.Filesystem == "" {
		return nil, errors.New("dfs: no filesystem")
	}
	u = u.JoinPath(o.Filesystem)
	c := &Client{base: u, fs: o.Filesystem}
	var auth policy.Policy
	switch {
	case o.AccountKey != "":
		k, err := newSharedKey(o.AccountName, o.AccountKey)
		if err != nil {
			return nil, err
		}
		auth, c.key = k, k
	case o.Token != nil:
		auth = runtime.NewBearerTokenPolicy(o.Token, []string{storageScope}, nil)
	case o.SAS != nil:
		c.sas = o.SAS
	default:
		return nil, errors.New("dfs: no credentials")
	}
	var perRetry []policy.Policy
	if auth != nil {
		perRetry = append(perRetry, auth)
	}
	c.pl = runtime.NewPipeline("cloudfuse/adls", "v1", runtime.PipelineOptions{PerRetry: perRetry}, &o.ClientOptions)
	return c, nil
}

// SetAccountKey replaces the account key of a client made with one.
func (c *Client) SetAccountKey(key string) error {
	if c.key == nil {
		return errors.New("dfs: the client does not sign with an account key")
	}
	return c.key.set(key)
}

func (c *Client) sasValues() url.Values {
	if c.sas == nil {
		return nil
	}
	return c.sas()
}

// escapePath percent-encodes each segment of a key, keeping the slashes.
func escapePath(key string) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// newRequest builds a request on the filesystem (path "") or a path in it.
func (c *Client) newRequest(ctx context.Context, method, path string, query url.Values) (*policy.Request, error) {
	u := *c.base
	if path != "" {
		u.Path = c.base.Path + "/" + path
		u.RawPath = c.base.EscapedPath() + "/" + escapePath(path)
	}
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	for k, v := range c.sasValues() {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	req, err := runtime.NewRequest(ctx, method, u.String())
	if err != nil {
		return nil, err
	}
	req.Raw().Header.Set("x-ms-version", apiVersion)
	return req, nil
}

// Rename moves src to dst within the filesystem (Path - Create with
// x-ms-rename-source). On an account with a hierarchical namespace a
// directory moves with everything under it in one atomic step; should the
// service still hand back a continuation token, the rename is resumed
// until it is done. An existing destination file is replaced.
func (c *Client) Rename(ctx context.Context, src, dst string) error {
	source := "/" + url.PathEscape(c.fs) + "/" + escapePath(src)
	if sas := c.sasValues(); len(sas) > 0 {
		source += "?" + sas.Encode()
	}
	cont := ""
	for {
		q := url.Values{}
		if cont != "" {
			q.Set("continuation", cont)
		}
		req, err := c.newRequest(ctx, http.MethodPut, dst, q)
		if err != nil {
			return storage.Errorf("rename", src, nil, err)
		}
		req.Raw().Header.Set("x-ms-rename-source", source)
		resp, err := c.pl.Do(req)
		if err != nil {
			return storage.Errorf("rename", src, nil, err)
		}
		if resp.StatusCode != http.StatusCreated {
			return responseErr("rename", src, resp)
		}
		cont = resp.Header.Get("x-ms-continuation")
		_ = resp.Body.Close()
		if cont == "" {
			return nil
		}
	}
}

// ErrNoDFS says the endpoint does not serve ADLS Gen2.
var ErrNoDFS = errors.New("account has no ADLS Gen2 (dfs) endpoint; use type: block")

// ErrNoHNS says the account serves dfs but has no hierarchical namespace,
// so renames would not be atomic.
var ErrNoHNS = errors.New("account has no hierarchical namespace (ADLS Gen2), so renames are not atomic; use type: block")

// Probe checks that the endpoint answers Filesystem - Get Properties like
// ADLS Gen2 with a hierarchical namespace. A missing filesystem is
// storage.ErrNoBucket and refused credentials storage.ErrPermission; any
// other answer wraps ErrNoDFS or ErrNoHNS.
func (c *Client) Probe(ctx context.Context) error {
	req, err := c.newRequest(ctx, http.MethodHead, "", url.Values{"resource": {"filesystem"}})
	if err != nil {
		return storage.Errorf("check", c.fs, nil, err)
	}
	resp, err := c.pl.Do(req)
	if err != nil {
		return storage.Errorf("check", c.fs, ErrNoDFS, err)
	}
	defer resp.Body.Close()
	ns := resp.Header.Get("x-ms-namespace-enabled")
	switch {
	case resp.StatusCode == http.StatusOK && strings.EqualFold(ns, "true"):
		return nil
	case resp.StatusCode == http.StatusOK && strings.EqualFold(ns, "false"):
		return storage.Errorf("check", c.fs, ErrNoHNS, nil)
	case resp.StatusCode == http.StatusOK:
		return storage.Errorf("check", c.fs, ErrNoDFS, errors.New("filesystem properties carry no x-ms-namespace-enabled"))
	}
	code := resp.Header.Get("x-ms-error-code")
	switch {
	case resp.StatusCode == http.StatusNotFound && code == "FilesystemNotFound":
		return storage.Errorf("check", c.fs, storage.ErrNoBucket, runtime.NewResponseError(resp))
	case resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusUnauthorized:
		return storage.Errorf("check", c.fs, storage.ErrPermission, runtime.NewResponseError(resp))
	}
	return storage.Errorf("check", c.fs, ErrNoDFS, runtime.NewResponseError(resp))
}
