package azstore

import (
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage/internal/netopt"
)

// Authentication modes (Options.Mode), named as in BlobFuse2 configs.
const (
	ModeKey   = "key"   // shared key: AccountName + AccountKey
	ModeSAS   = "sas"   // shared access signature: SAS
	ModeSPN   = "spn"   // service principal: TenantID + ClientID + ClientSecret
	ModeMSI   = "msi"   // managed identity: optional ClientID, ResourceID or ObjectID
	ModeAzCLI = "azcli" // the signed-in Azure CLI user
)

// Account types (Options.Type).
const (
	TypeBlock = "block" // plain block blobs
	TypeADLS  = "adls"  // ADLS Gen2: block blobs plus atomic rename on dfs
)

// Defaults applied by New for zero option values.
const (
	DefaultMaxRetries     = 5
	DefaultRetryDelay     = time.Second
	DefaultMaxRetryDelay  = 60 * time.Second
	DefaultBlockSize      = 16 << 20
	DefaultIdleTimeout    = 60 * time.Second
	DefaultMaxConcurrency = 32
)

// Options configures an Azure Blob store. Field names follow the azstorage
// section of BlobFuse2/Cloudfuse configs.
type Options struct {
	AccountName string
	Container   string // required by New, ignored by ListContainers
	// Endpoint is the blob service URL, e.g.
	// "http://127.0.0.1:10000/devstoreaccount1" for Azurite. Empty means
	// https://<account>.blob.core.windows.net (http with UseHTTP). An
	// endpoint without a scheme gets https, or http with UseHTTP.
	Endpoint string
	UseHTTP  bool
	// DFSEndpoint overrides the ADLS Gen2 endpoint used with Type "adls".
	// Empty derives it from Endpoint by replacing ".blob." with ".dfs." in
	// the host (an endpoint without ".blob." is used as it is).
	DFSEndpoint string

	Mode         string // key | sas | spn | msi | azcli; "" picks key or sas from what is set
	AccountKey   string // key
	SAS          string // sas; with or without the leading "?"
	ClientID     string // spn; msi (user-assigned identity by client ID)
	TenantID     string // spn; azcli (optional)
	ClientSecret string // spn
	ResourceID   string // msi (user-assigned identity by resource ID)
	ObjectID     string // msi (user-assigned identity by object ID)
	AADEndpoint  string // spn: authority host, e.g. https://login.microsoftonline.us/

	// MaxRetries per request (0: DefaultMaxRetries, < 0: no retries).
	// Retries back off exponentially from RetryDelay, capped at
	// MaxRetryDelay, on throttling, timeouts, 5xx and connection errors.
	MaxRetries    int
	RetryDelay    time.Duration // 0: DefaultRetryDelay
	MaxRetryDelay time.Duration // 0: DefaultMaxRetryDelay
	TryTimeout    time.Duration // limit for one try of a request; 0: none
	// IdleTimeout fails a try whose connection moves no data for this
	// long (0: DefaultIdleTimeout), so a store that stops answering fails
	// a request after its retries.
	IdleTimeout time.Duration

	// BlockSize is the block size Put uses for bodies too big for one
	// request (0: DefaultBlockSize).
	BlockSize int64
	// MaxConcurrency bounds parallel block uploads of one Put and sizes the
	// connection pool (0: DefaultMaxConcurrency).
	MaxConcurrency int

	Type string // block | adls ("" is block)

	// HTTPProxy and HTTPSProxy override the proxy environment variables
	// (HTTP_PROXY, HTTPS_PROXY, NO_PROXY), which are honoured otherwise. The
	// first is used for http endpoints, the second for https ones.
	HTTPProxy  string
	HTTPSProxy string
	// CACertFile is a PEM file of CAs trusted besides the system's (a
	// private endpoint's own CA).
	CACertFile string

	// CPKKey is a customer-provided AES-256 key (32 bytes): every blob
	// written is encrypted with it and every read of a blob's data,
	// properties or metadata sends it. The service keeps only its hash, so
	// blobs written without it, or with another key, cannot be read, and
	// a server-side copy cannot use it: Copy reads and writes through.
	CPKKey []byte

	Logger *slog.Logger
}

// config is Options after defaults and validation.
type config struct {
	Options
	blobURL *url.URL // service URL without query
	dfsURL  *url.URL // only with TypeADLS
	sas     string   // without "?"
	proxy   func(*http.Request) (*url.URL, error)
	rootCAs *x509.CertPool // nil: the system's
}

// normalize validates o and fills defaults. container says whether a
// container name is required.
func normalize(o Options, container bool) (*config, error) {
	c := &config{Options: o}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if container && c.Container == "" {
		return nil, errors.New("no container name (container)")
	}
	switch c.Type {
	case "":
		c.Type = TypeBlock
	case TypeBlock, TypeADLS:
	default:
		return nil, fmt.Errorf("unknown account type %q (type: want %q or %q)", c.Type, TypeBlock, TypeADLS)
	}
	if err := c.setEndpoints(); err != nil {
		return nil, err
	}
	if err := c.checkAuth(); err != nil {
		return nil, err
	}
	if n := len(c.CPKKey); n != 0 && n != 32 {
		return nil, fmt.Errorf("the customer-provided key is %d bytes; it must be 32 (AES-256)", n)
	}
	if err := c.setNetwork(); err != nil {
		return nil, err
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = DefaultMaxRetries
	}
	if c.RetryDelay == 0 {
		c.RetryDelay = DefaultRetryDelay
	}
	if c.MaxRetryDelay == 0 {
		c.MaxRetryDelay = DefaultMaxRetryDelay
	}
	if c.RetryDelay < 0 || c.MaxRetryDelay < 0 || c.TryTimeout < 0 {
		return nil, errors.New("retry delays and timeouts must not be negative")
	}
	if c.BlockSize == 0 {
		c.BlockSize = DefaultBlockSize
	}
	if c.BlockSize < 0 || c.BlockSize > maxBlockSize {
		return nil, fmt.Errorf("block size %d out of range (1 to %d bytes)", c.BlockSize, int64(maxBlockSize))
	}
	if c.MaxConcurrency == 0 {
		c.MaxConcurrency = DefaultMaxConcurrency
	}
	if c.MaxConcurrency < 0 {
		return nil, errors.New("max concurrency must not be negative")
	}
	return c, nil
}

// setEndpoints builds the blob (and dfs) service URLs.
func (c *config) setEndpoints() error {
	scheme := "https"
	if c.UseHTTP {
		scheme = "http"
	}
	raw := c.Endpoint
	if raw == "" {
		if c.AccountName == "" {
			return errors.New("no account name and no endpoint")
		}
		raw = fmt.Sprintf("%s://%s.blob.core.windows.net", scheme, c.AccountName)
	}
	u, err := parseEndpoint(raw, scheme)
	if err != nil {
		return fmt.Errorf("endpoint: %w", err)
	}
	if c.AccountName == "" {
		c.AccountName = accountFromURL(u)
	}
	c.blobURL = u
	if c.Type != TypeADLS {
		return nil
	}
	if c.DFSEndpoint != "" {
		d, err := parseEndpoint(c.DFSEndpoint, scheme)
		if err != nil {
			return fmt.Errorf("dfs endpoint: %w", err)
		}
		c.dfsURL = d
		return nil
	}
	d := *u
	d.Host = strings.Replace(d.Host, ".blob.", ".dfs.", 1)
	c.dfsURL = &d
	return nil
}

func parseEndpoint(raw, scheme string) (*url.URL, error) {
	if !strings.Contains(raw, "://") {
		raw = scheme + "://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%q: scheme must be http or https", raw)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%q: no host", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%q: must not have a query or fragment (put a SAS in the sas option)", raw)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// accountFromURL guesses the account from an endpoint:
// "acct.blob.core.windows.net" or path style "127.0.0.1:10000/acct".
func accountFromURL(u *url.URL) string {
	host := u.Hostname()
	if i := strings.Index(host, ".blob."); i > 0 {
		return host[:i]
	}
	if p := strings.Trim(u.Path, "/"); p != "" {
		return strings.Split(p, "/")[0]
	}
	return ""
}

// checkAuth checks that the mode has what it needs.
func (c *config) checkAuth() error {
	c.sas = strings.TrimPrefix(c.SAS, "?")
	if c.Mode == "" {
		switch {
		case c.AccountKey != "":
			c.Mode = ModeKey
		case c.sas != "":
			c.Mode = ModeSAS
		default:
			return errors.New("no credentials: set mode (key, sas, spn, msi or azcli) and its settings")
		}
	}
	switch c.Mode {
	case ModeKey:
		if c.AccountKey == "" {
			return errors.New("mode key needs an account key (account-key)")
		}
		if c.AccountName == "" {
			return errors.New("mode key needs an account name")
		}
	case ModeSAS:
		if c.sas == "" {
			return errors.New("mode sas needs a SAS token")
		}
		if _, err := url.ParseQuery(c.sas); err != nil {
			return fmt.Errorf("SAS token does not parse: %w", err)
		}
	case ModeSPN:
		if c.TenantID == "" || c.ClientID == "" || c.ClientSecret == "" {
			return errors.New("mode spn needs tenant id, client id and client secret")
		}
	case ModeMSI:
		n := 0
		for _, s := range []string{c.ClientID, c.ResourceID, c.ObjectID} {
			if s != "" {
				n++
			}
		}
		if n > 1 {
			return errors.New("mode msi takes at most one of client id, resource id and object id")
		}
	case ModeAzCLI:
	default:
		return fmt.Errorf("unknown auth mode %q (want key, sas, spn, msi or azcli)", c.Mode)
	}
	if c.AADEndpoint != "" {
		if u, err := url.Parse(c.AADEndpoint); err != nil || u.Scheme != "https" || u.Host == "" {
			return fmt.Errorf("AAD endpoint %q is not an https URL", c.AADEndpoint)
		}
	}
	return nil
}

// setNetwork reads the proxies and the CA file.
func (c *config) setNetwork() error {
	proxy, err := netopt.Proxy(c.HTTPProxy, c.HTTPSProxy)
	if err != nil {
		return err
	}
	cas, err := netopt.RootCAs(c.CACertFile)
	if err != nil {
		return err
	}
	c.proxy, c.rootCAs = proxy, cas
	return nil
}
