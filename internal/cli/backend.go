package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/a9de3765/cloudfuse/internal/config"
	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/azstore"
	"github.com/a9de3765/cloudfuse/internal/storage/dirstore"
	"github.com/a9de3765/cloudfuse/internal/storage/s3store"
)

// store is an opened backend, plus what the mount says about it.
type store struct {
	backend storage.Backend
	// check makes one request that proves the bucket or container exists
	// and the credentials work.
	check func(ctx context.Context) error
	// setCredentials applies the credentials of a reloaded config to the
	// running store; nil for a store without any.
	setCredentials func(cfg *config.Config) error
	kind           string // "bucket" or "container"
	name           string // bucket or container name
	where          string // endpoint, for messages
}

// openStore builds the backend for the store component in cfg's
// components list. It does no network I/O; call check for that. This is
// the one place a new store kind is wired in.
func openStore(ctx context.Context, cfg *config.Config, log *slog.Logger) (*store, error) {
	switch cfg.Storage() {
	case config.CompS3:
		return openS3(ctx, cfg, log)
	case config.CompAzure:
		return openAzure(ctx, cfg, log)
	case config.CompLoopback:
		d, err := dirstore.New(cfg.Loopback.Path, dirstore.Options{})
		if err != nil {
			return nil, fmt.Errorf("loopbackfs: %w", err)
		}
		return &store{backend: d, check: func(context.Context) error { return nil },
			kind: "directory", name: cfg.Loopback.Path, where: "this machine"}, nil
	default:
		return nil, errors.New("components: no storage component; add s3storage or azstorage")
	}
}

func openS3(ctx context.Context, cfg *config.Config, log *slog.Logger) (*store, error) {
	o := s3Options(cfg, log)
	s, err := s3store.New(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("s3storage: %w", err)
	}
	where := o.Endpoint
	if where == "" {
		where = "AWS S3"
	}
	set := func(c *config.Config) error { return s.SetCredentials(c.S3.KeyID, c.S3.SecretKey, c.S3.SessionToken) }
	return &store{backend: s, check: s.CheckBucket, setCredentials: set, kind: "bucket", name: o.Bucket, where: where}, nil
}

// s3Options maps the s3storage section to s3store options.
func s3Options(cfg *config.Config, log *slog.Logger) s3store.Options {
	s := cfg.S3
	endpoint := s.Endpoint
	if endpoint != "" && !strings.Contains(endpoint, "://") {
		endpoint = "https://" + endpoint
	}
	return s3store.Options{
		Bucket:          s.BucketName,
		Endpoint:        endpoint,
		Region:          s.Region,
		UsePathStyle:    s.UsePathStyle,
		Profile:         s.Profile,
		AccessKeyID:     s.KeyID,
		SecretAccessKey: s.SecretKey,
		SessionToken:    s.SessionToken,
		// Cloudfuse sends no checksums unless enable-checksum is true; we
		// send CRC32C unless the file turns checksums off explicitly.
		DisableChecksum:     cfg.IsSet("s3storage.enable-checksum") && !s.EnableChecksum,
		IdleTimeout:         time.Duration(s.IdleTimeoutSec) * time.Second,
		MaxRetries:          s.MaxRetries, // as in azstorage: 0 the default, -1 none
		HTTPProxy:           s.HTTPProxy,
		HTTPSProxy:          s.HTTPSProxy,
		CACertFile:          s.CACertFile,
		SSE:                 s.SSE,
		SSEKMSKeyID:         s.SSEKMSKeyID,
		SSECustomerKey:      s.SSECustomerKeyBytes(),
		StorageClass:        s.StorageClass,
		RequesterPays:       s.RequesterPays,
		ExpectedBucketOwner: s.ExpectedBucketOwner,
		Anonymous:           s.NoSignRequest,
		NoListMetadata:      !s.ListMetadata,
		Logger:              log,
	}
}

func openAzure(ctx context.Context, cfg *config.Config, log *slog.Logger) (*store, error) {
	o := azureOptions(cfg, log)
	s, err := azstore.New(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("azstorage: %w", err)
	}
	where := o.Endpoint
	if where == "" {
		where = "account " + o.AccountName
	}
	set := func(c *config.Config) error { return s.SetCredentials(c.Azure.AccountKey, c.Azure.SAS) }
	return &store{backend: s.Backend(), check: s.CheckContainer, setCredentials: set, kind: "container", name: o.Container,
		where: where}, nil
}

// azureOptions maps the azstorage section to azstore options.
func azureOptions(cfg *config.Config, log *slog.Logger) azstore.Options {
	a := cfg.Azure
	o := azstore.Options{
		AccountName:    a.AccountName,
		Container:      a.Container,
		Endpoint:       a.Endpoint,
		UseHTTP:        a.UseHTTP,
		Mode:           string(a.Mode),
		AccountKey:     a.AccountKey,
		SAS:            a.SAS,
		TenantID:       a.TenantID,
		ClientSecret:   a.ClientSecret,
		ResourceID:     a.ResID,
		ObjectID:       a.ObjID,
		AADEndpoint:    a.AADEndpoint,
		MaxRetries:     a.MaxRetries,
		RetryDelay:     time.Duration(a.RetryBackoffSec) * time.Second,
		MaxRetryDelay:  time.Duration(a.MaxRetryDelaySec) * time.Second,
		TryTimeout:     time.Duration(a.MaxRetryTimeoutSec) * time.Second,
		IdleTimeout:    time.Duration(a.IdleTimeoutSec) * time.Second,
		BlockSize:      a.BlockSizeMB << 20,
		MaxConcurrency: a.MaxConcurrency,
		Type:           string(a.Type),
		HTTPProxy:      a.HTTPProxy,
		HTTPSProxy:     a.HTTPSProxy,
		CACertFile:     a.CACertFile,
		CPKKey:         a.CPKKeyBytes(),
		Logger:         log,
	}
	// One client id field serves both modes: the application of a service
	// principal, or a user-assigned managed identity.
	if a.Mode == config.AuthMSI {
		o.ClientID = a.AppID
	} else {
		o.ClientID = a.ClientID
	}
	return o
}

// checkStore makes one request to the store and turns its failure into
// one plain sentence; the store's full answer goes to the log.
//
// The check gets a little less than the wait for the mount (wait-for-mount,
// 10 s): a store that accepts connections and never answers, or a network
// that drops them, fails the mount with the reason before a background
// mount's parent gives up on it.
func checkStore(ctx context.Context, cfg *config.Config, s *store, log *slog.Logger) error {
	within := checkWithin(cfg.WaitForMount)
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	err := s.check(ctx)
	if err == nil {
		return nil
	}
	log.Error("store check failed", "kind", s.kind, "name", s.name, "endpoint", s.where, "err", err)
	var netErr net.Error
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		return config.BlameKey(cfg.Storage()+".endpoint", fmt.Errorf("%s %q at %s did not answer within %s (is the endpoint right and the store up? %s)",
			s.kind, s.name, s.where, within, shortErr(err)))
	case errors.Is(err, storage.ErrNoBucket):
		return config.BlameKey(storeKey(cfg, keyStoreContainer), fmt.Errorf("%s %q does not exist at %s", s.kind, s.name, s.where))
	case errors.Is(err, storage.ErrPermission):
		return config.BlameKey(credentialKey(cfg, err), fmt.Errorf("%s %q at %s: access denied, check the credentials (%s)", s.kind, s.name, s.where, shortErr(err)))
	case errors.As(err, &netErr):
		return config.BlameKey(cfg.Storage()+".endpoint", fmt.Errorf("%s %q at %s: %s", s.kind, s.name, s.where, shortErr(err)))
	default:
		return fmt.Errorf("%s %q at %s: %s", s.kind, s.name, s.where, shortErr(err))
	}
}

// credentialKey is the config key a refused credential most likely sits
// in, so a form can show the error beside it: the key ID when the store
// does not know it, else the secret of the configured way to sign in.
func credentialKey(cfg *config.Config, err error) string {
	if cfg.Storage() == config.CompAzure {
		switch cfg.Azure.Mode {
		case config.AuthSAS:
			return "azstorage.sas"
		case config.AuthSPN:
			return "azstorage.clientsecret"
		case config.AuthMSI, config.AuthAzCLI, config.AuthWorkloadIdentity:
			return "azstorage.mode"
		case config.AuthAuto:
			if cfg.Azure.AccountKey == "" && cfg.Azure.SAS != "" {
				return "azstorage.sas"
			}
		}
		return "azstorage.account-key"
	}
	switch {
	case cfg.S3.KeyID == "" && cfg.S3.Profile != "":
		return "s3storage.profile"
	case strings.Contains(err.Error(), "InvalidAccessKeyId"):
		return "s3storage.key-id"
	}
	return "s3storage.secret-key"
}

// checkWithin is how long the store check at mount may take: two seconds
// under the wait for the mount, at least half of it.
func checkWithin(wait time.Duration) time.Duration {
	return max(wait-2*time.Second, wait/2)
}

// shortErr keeps the first line of an error, plus the service's error
// code when the SDK spells it on a line of its own (Azure does, after a
// dump of the response).
func shortErr(err error) string {
	lines := strings.Split(strings.TrimSpace(err.Error()), "\n")
	out := strings.TrimSpace(lines[0])
	for _, l := range lines[1:] {
		if code, ok := strings.CutPrefix(strings.TrimSpace(l), "ERROR CODE:"); ok {
			out += " [" + strings.TrimSpace(code) + "]"
			break
		}
	}
	return out
}
