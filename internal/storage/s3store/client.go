package s3store

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/a9de3765/cloudfuse/internal/storage/internal/idleconn"
	"github.com/a9de3765/cloudfuse/internal/storage/internal/netopt"
)

// Transport sizing: a mount reads with many parallel ranged GETs and writes
// with many parallel part uploads to the same host, so keep plenty of idle
// connections and use large socket buffers.
const (
	maxIdleConns        = 1024
	maxIdleConnsPerHost = 256
	socketBufferSize    = 256 << 10
)

// client is an S3 client plus the transport it owns, so Close can release
// its connections.
type client struct {
	s3        *s3.Client
	transport *http.Transport
	// regionGuessed: no region was given (options, environment, profile),
	// so the default is used until the bucket's own is found.
	regionGuessed bool
	// keys holds the static keys of the options, replaceable while the
	// client runs; nil when the SDK's chain provides credentials (and
	// refreshes them itself).
	keys *rotatingKeys
}

// rotatingKeys is a credentials provider whose keys can be replaced;
// requests signed after the change use the new ones.
type rotatingKeys struct {
	v atomic.Pointer[aws.Credentials]
}

func newRotatingKeys(id, secret, token string) *rotatingKeys {
	k := &rotatingKeys{}
	k.set(id, secret, token)
	return k
}

func (k *rotatingKeys) set(id, secret, token string) {
	k.v.Store(&aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: token, Source: "cloudfuse config"})
}

func (k *rotatingKeys) Retrieve(context.Context) (aws.Credentials, error) {
	return *k.v.Load(), nil
}

// secretSigner signs as the S3 client's own SigV4 signer does, with one
// signer per secret key: a signer caches the key it derives from the
// secret by access key id, so after a secret changes under the same id
// an old signer would go on signing with the old secret all day.
type secretSigner struct{ cur atomic.Pointer[signerFor] }

type signerFor struct {
	secret string
	s      *v4.Signer
}

func (r *secretSigner) SignHTTP(ctx context.Context, creds aws.Credentials, req *http.Request, payloadHash, service, region string,
	t time.Time, optFns ...func(*v4.SignerOptions)) error {
	cur := r.cur.Load()
	if cur == nil || cur.secret != creds.SecretAccessKey {
		// This signer only ever sees this secret, so its cache is right.
		cur = &signerFor{secret: creds.SecretAccessKey,
			s: v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })}
		r.cur.Store(cur)
	}
	return cur.s.SignHTTP(ctx, creds, req, payloadHash, service, region, t, optFns...)
}

// newClient builds an S3 client from opts without any network I/O. It uses
// the SDK's default configuration chain, so AWS_* variables, shared config
// files and AWS_CA_BUNDLE apply as they do for other AWS tools.
func newClient(ctx context.Context, opts Options) (*client, error) {
	if err := opts.checkSecurity(); err != nil {
		return nil, err
	}
	tune := func(tr *http.Transport) {
		tr.MaxIdleConns = maxIdleConns
		tr.MaxIdleConnsPerHost = maxIdleConnsPerHost
		tr.MaxConnsPerHost = 0
		tr.ForceAttemptHTTP2 = false
		// A non-nil empty map turns HTTP/2 off: S3 gains nothing from it and
		// one TCP connection per stream spreads load better.
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
		tr.ReadBufferSize = socketBufferSize
		tr.WriteBufferSize = socketBufferSize
		tr.DisableCompression = true
	}
	load := []func(*config.LoadOptions) error{
		// The SDK adds AWS_CA_BUNDLE to a buildable client's transport.
		config.WithHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(tune)),
		config.WithRetryer(func() aws.Retryer { return newRetryer(opts) }),
	}
	if opts.Profile != "" {
		load = append(load, config.WithSharedConfigProfile(opts.Profile))
	}
	if opts.Region != "" {
		load = append(load, config.WithRegion(opts.Region))
	}
	var keys *rotatingKeys
	if opts.AccessKeyID != "" || opts.SecretAccessKey != "" {
		keys = newRotatingKeys(opts.AccessKeyID, opts.SecretAccessKey, opts.SessionToken)
		load = append(load, config.WithCredentialsProvider(keys))
	}
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration (profile, region, AWS_* variables): %w", err)
	}
	guessed := cfg.Region == ""
	if guessed {
		cfg.Region = defaultRegion
	}

	tr, err := ownTransport(cfg, opts, tune)
	if err != nil {
		return nil, err
	}
	httpClient := &http.Client{
		Transport: tr,
		// S3 redirects name another region; the SDK reports them as errors.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}

	c := s3.NewFromConfig(cfg, opts.clientOptions(httpClient, keys))
	return &client{s3: c, transport: tr, regionGuessed: guessed, keys: keys}, nil
}

// clientOptions sets the S3 client's options: endpoint and addressing,
// checksums, the headers of the security options, and the credentials.
func (opts Options) clientOptions(hc *http.Client, keys *rotatingKeys) func(*s3.Options) {
	checksum := aws.RequestChecksumCalculationWhenSupported
	if opts.DisableChecksum {
		checksum = aws.RequestChecksumCalculationWhenRequired
	}
	return func(o *s3.Options) {
		o.HTTPClient = hc
		o.UsePathStyle = opts.UsePathStyle
		if opts.Endpoint != "" {
			o.BaseEndpoint = aws.String(opts.Endpoint)
		}
		o.RequestChecksumCalculation = checksum
		// Ranged reads carry no whole-object checksum to validate, and a
		// full read is already protected by TCP/TLS; skip the extra pass.
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		o.APIOptions = append(o.APIOptions, opts.addHeaders)
		switch {
		case opts.Anonymous:
			o.Credentials = aws.AnonymousCredentials{}
		case keys != nil:
			o.Credentials = keys // uncached: a replaced key is used at once
			o.HTTPSignerV4 = &secretSigner{}
		}
	}
}

// ownTransport takes the transport the SDK prepared (with any custom CA
// bundle) to own it from here on, and adds the options' proxies, CA file
// and idle timeout.
func ownTransport(cfg aws.Config, opts Options, tune func(*http.Transport)) (*http.Transport, error) {
	var tr *http.Transport
	if bc, ok := cfg.HTTPClient.(*awshttp.BuildableClient); ok {
		tr = bc.GetTransport()
	} else {
		tr = awshttp.NewBuildableClient().WithTransportOptions(tune).GetTransport()
	}
	if opts.HTTPProxy != "" || opts.HTTPSProxy != "" {
		proxy, err := netopt.Proxy(opts.HTTPProxy, opts.HTTPSProxy)
		if err != nil {
			return nil, err
		}
		tr.Proxy = proxy
	}
	if opts.CACertFile != "" {
		if tr.TLSClientConfig == nil {
			tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		// Added to the system's, or to AWS_CA_BUNDLE's when the SDK read it.
		cas, err := netopt.AppendCAs(tr.TLSClientConfig.RootCAs, opts.CACertFile)
		if err != nil {
			return nil, err
		}
		tr.TLSClientConfig.RootCAs = cas
	}
	tr.DialContext = idleconn.Dialer(tr.DialContext, opts.idleTimeout())
	// Retire pooled connections before their idle read would time out.
	if half := opts.idleTimeout() / 2; tr.IdleConnTimeout == 0 || tr.IdleConnTimeout > half {
		tr.IdleConnTimeout = half
	}
	return tr, nil
}

// newRetryer retries throttling, timeouts, connection errors (resets
// included) and 5xx with capped exponential backoff and full jitter. The
// client-side retry quota is off: a mount must keep retrying through a burst
// of throttling rather than fail every request once the quota runs dry.
func newRetryer(opts Options) aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = opts.maxAttempts()
		o.MaxBackoff = opts.maxBackoff()
		o.Backoff = retry.NewExponentialJitterBackoff(o.MaxBackoff)
		o.RateLimiter = ratelimit.None
		o.Retryables = append(append([]retry.IsErrorRetryable{}, o.Retryables...),
			retry.IsErrorRetryableFunc(retryEOF))
	})
}

// retryEOF retries a request whose connection was closed before a complete
// response arrived (a keep-alive connection the server had just dropped).
func retryEOF(err error) aws.Ternary {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return aws.TrueTernary
	}
	return aws.UnknownTernary
}
