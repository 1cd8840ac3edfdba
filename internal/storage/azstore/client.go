package azstore

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"

	"github.com/a9de3765/cloudfuse/internal/storage/internal/idleconn"
)

// credentials holds what one auth mode signs requests with; exactly one of
// the three is set.
type credentials struct {
	sharedKey *service.SharedKeyCredential
	token     azcore.TokenCredential
	sas       *sasQuery
}

// sasQuery is the SAS every request carries (added by sasPolicy rather
// than written into the clients' URLs), so a new SAS is used from the
// next request on.
type sasQuery struct{ v atomic.Pointer[url.Values] }

func newSASQuery(sas string) (*sasQuery, error) {
	q := &sasQuery{}
	return q, q.set(sas)
}

func (q *sasQuery) set(sas string) error {
	v, err := url.ParseQuery(strings.TrimPrefix(sas, "?"))
	if err != nil {
		return fmt.Errorf("the SAS does not parse: %w", err)
	}
	q.v.Store(&v)
	return nil
}

// values is the current SAS.
func (q *sasQuery) values() url.Values { return *q.v.Load() }

// encoded is the SAS as a query string without "?".
func (q *sasQuery) encoded() string { return q.values().Encode() }

// sasPolicy adds the current SAS to a request's query, once per call
// (retries reuse the URL).
type sasPolicy struct{ q *sasQuery }

func (p sasPolicy) Do(req *policy.Request) (*http.Response, error) {
	u := req.Raw().URL
	if u.RawQuery == "" {
		u.RawQuery = p.q.encoded()
	} else {
		u.RawQuery += "&" + p.q.encoded()
	}
	return req.Next()
}

// newHTTPClient builds the transport: proxy from the options or else from
// the environment (read when the store was made, so each store sees the
// environment it was created in), the extra CAs, and a connection pool
// sized for MaxConcurrency.
func newHTTPClient(c *config) *http.Client {
	conns := max(c.MaxConcurrency, 16)
	tr := &http.Transport{
		Proxy: c.proxy,
		DialContext: idleconn.Dialer((&net.Dialer{
			Timeout:   30 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext, c.idleTimeout()),
		MaxIdleConns:        2 * conns,
		MaxIdleConnsPerHost: conns,
		// Retire pooled connections before their idle read would time out.
		IdleConnTimeout:       min(90*time.Second, c.idleTimeout()/2),
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		ResponseHeaderTimeout: 2 * time.Minute,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: c.rootCAs},
		// Reads return the stored bytes: a blob saved with
		// Content-Encoding gzip is never decoded on the way, which would
		// change its size and break ranged reads (BlobFuse2's
		// disable-compression: true, always on here).
		DisableCompression: true,
	}
	return &http.Client{Transport: tr}
}

func (c *config) idleTimeout() time.Duration {
	if c.IdleTimeout > 0 {
		return c.IdleTimeout
	}
	return DefaultIdleTimeout
}

// clientOptions are the azcore options shared by the blob and dfs clients.
func clientOptions(c *config, hc *http.Client) azcore.ClientOptions {
	retries := int32(c.MaxRetries)
	if c.MaxRetries < 0 {
		retries = -1
	}
	var perCall []policy.Policy
	if len(c.CPKKey) > 0 {
		perCall = append(perCall, newCPKPolicy(c.CPKKey))
	}
	return azcore.ClientOptions{
		PerCallPolicies: perCall,
		Retry: policy.RetryOptions{
			MaxRetries:    retries,
			TryTimeout:    c.TryTimeout,
			RetryDelay:    c.RetryDelay,
			MaxRetryDelay: c.MaxRetryDelay,
		},
		Transport: hc,
		Telemetry: policy.TelemetryOptions{ApplicationID: "cloudfuse"},
	}
}

// newCredentials builds the credential for the mode. None of them does
// network I/O here; tokens are fetched on the first request.
func newCredentials(c *config, hc *http.Client) (credentials, error) {
	idOpts := azcore.ClientOptions{Transport: hc}
	if c.AADEndpoint != "" {
		idOpts.Cloud = cloud.Configuration{ActiveDirectoryAuthorityHost: c.AADEndpoint}
	}
	switch c.Mode {
	case ModeKey:
		k, err := service.NewSharedKeyCredential(c.AccountName, c.AccountKey)
		if err != nil {
			return credentials{}, fmt.Errorf("account-key is not a valid account key: %w", err)
		}
		return credentials{sharedKey: k}, nil
	case ModeSAS:
		q, err := newSASQuery(c.sas)
		if err != nil {
			return credentials{}, err
		}
		return credentials{sas: q}, nil
	case ModeSPN:
		t, err := azidentity.NewClientSecretCredential(c.TenantID, c.ClientID, c.ClientSecret,
			&azidentity.ClientSecretCredentialOptions{ClientOptions: idOpts})
		if err != nil {
			return credentials{}, fmt.Errorf("mode spn (tenantid, clientid, clientsecret): %w", err)
		}
		return credentials{token: t}, nil
	case ModeMSI:
		o := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: idOpts}
		switch {
		case c.ClientID != "":
			o.ID = azidentity.ClientID(c.ClientID)
		case c.ResourceID != "":
			o.ID = azidentity.ResourceID(c.ResourceID)
		case c.ObjectID != "":
			o.ID = azidentity.ObjectID(c.ObjectID)
		}
		t, err := azidentity.NewManagedIdentityCredential(o)
		if err != nil {
			return credentials{}, fmt.Errorf("mode msi: %w", err)
		}
		return credentials{token: t}, nil
	case ModeAzCLI:
		t, err := azidentity.NewAzureCLICredential(&azidentity.AzureCLICredentialOptions{TenantID: c.TenantID})
		if err != nil {
			return credentials{}, fmt.Errorf("mode azcli: %w", err)
		}
		return credentials{token: t}, nil
	}
	return credentials{}, fmt.Errorf("unknown mode %q", c.Mode)
}

// newServiceClient builds the blob service client for the credentials.
func newServiceClient(c *config, cr credentials, hc *http.Client) (*service.Client, error) {
	opts := &service.ClientOptions{ClientOptions: clientOptions(c, hc)}
	u := c.blobURL.String()
	var (
		cl  *service.Client
		err error
	)
	switch {
	case cr.sharedKey != nil:
		cl, err = service.NewClientWithSharedKeyCredential(u, cr.sharedKey, opts)
	case cr.token != nil:
		cl, err = service.NewClient(u, cr.token, opts)
	default:
		opts.PerCallPolicies = append(opts.PerCallPolicies, sasPolicy{cr.sas})
		cl, err = service.NewClientWithNoCredential(u, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("blob client: %w", err)
	}
	return cl, nil
}
