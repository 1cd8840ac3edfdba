package azstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"
	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/azstore/adls"
)

// Service limits of block blobs (service version 2019-12-12 and later).
const (
	maxBlockSize     = 4000 << 20 // one Put Block
	maxBlocks        = 50000      // committed blocks per blob
	maxPutBlob       = 5000 << 20 // one Put Blob
	maxMetadataBytes = 8 << 10    // names and values together
	maxKeyLen        = 1024
	// singleShotLimit is the largest body Put sends in one request; larger
	// bodies go up in staged blocks, in parallel and retried block by block.
	singleShotLimit = 256 << 20
)

// Store is one container of an Azure storage account. It implements
// storage.Backend; with Type "adls", Backend() also offers storage.Renamer.
type Store struct {
	cfg  *config
	log  *slog.Logger
	hc   *http.Client
	svc  *service.Client
	cont *container.Client
	dfs  *adls.Client // nil unless Type is adls
	cred credentials  // what SetCredentials replaces
	// putLimit is the largest body Put sends in one request
	// (singleShotLimit; tests lower it).
	putLimit int64
}

var _ storage.Backend = (*Store)(nil)

// New builds a store from opts. It does no network I/O: a wrong key, a
// missing container or an unreachable endpoint shows on the first request
// (call CheckContainer to find out early). Invalid option combinations are
// errors here.
func New(ctx context.Context, opts Options) (*Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cfg, err := normalize(opts, true)
	if err != nil {
		return nil, err
	}
	hc := newHTTPClient(cfg)
	cr, err := newCredentials(cfg, hc)
	if err != nil {
		return nil, err
	}
	svc, err := newServiceClient(cfg, cr, hc)
	if err != nil {
		return nil, err
	}
	s := &Store{
		cfg:  cfg,
		log:  cfg.Logger.With("store", "azure", "container", cfg.Container),
		hc:   hc,
		svc:  svc,
		cont: svc.NewContainerClient(cfg.Container),
		cred: cr,

		putLimit: singleShotLimit,
	}
	if cfg.Type == TypeADLS {
		s.dfs, err = adls.New(adls.Options{
			Endpoint:      cfg.dfsURL.String(),
			Filesystem:    cfg.Container,
			AccountName:   cfg.AccountName,
			AccountKey:    keyOf(cfg),
			Token:         cr.token,
			SAS:           sasValues(cr.sas),
			ClientOptions: clientOptions(cfg, hc),
		})
		if err != nil {
			return nil, fmt.Errorf("dfs client: %w", err)
		}
	}
	return s, nil
}

// SetCredentials replaces the account key (mode key) or the SAS (mode
// sas) the store signs with; requests already sent finish with the old
// one. Token modes (spn, msi, azcli, workload identity) refresh their
// tokens themselves and have nothing to replace.
func (s *Store) SetCredentials(accountKey, sas string) error {
	switch {
	case s.cred.sharedKey != nil:
		if accountKey == "" {
			return errors.New("account-key is empty")
		}
		if _, err := service.NewSharedKeyCredential(s.cfg.AccountName, accountKey); err != nil {
			return fmt.Errorf("account-key is not a valid account key: %w", err)
		}
		if s.dfs != nil {
			if err := s.dfs.SetAccountKey(accountKey); err != nil {
				return err
			}
		}
		return s.cred.sharedKey.SetAccountKey(accountKey)
	case s.cred.sas != nil:
		if strings.TrimPrefix(sas, "?") == "" {
			return errors.New("sas is empty")
		}
		return s.cred.sas.set(sas) // the dfs client reads it too
	}
	return fmt.Errorf("mode %s refreshes its tokens itself; there is no key or SAS to replace", s.cfg.Mode)
}

// sasValues is the dfs client's view of the SAS: nil without one.
func sasValues(q *sasQuery) func() url.Values {
	if q == nil {
		return nil
	}
	return q.values
}

func keyOf(c *config) string {
	if c.Mode == ModeKey {
		return c.AccountKey
	}
	return ""
}

// Backend returns the store as a storage.Backend. With Type "adls" the
// result also implements storage.Renamer (atomic rename on the dfs
// endpoint); with Type "block" it is the Store itself, which does not.
func (s *Store) Backend() storage.Backend {
	if s.dfs != nil {
		return &adlsStore{Store: s}
	}
	return s
}

// Caps describes block blobs. Blocks may be of any size, so MinPartSize is
// 1: the filesystem picks its part size freely.
func (s *Store) Caps() storage.Caps {
	return storage.Caps{
		Name:              "azure",
		MaxKeyLen:         maxKeyLen,
		MinPartSize:       1,
		MaxPartSize:       maxBlockSize,
		MaxParts:          maxBlocks,
		MaxPutSize:        maxPutBlob,
		MaxMetadataBytes:  maxMetadataBytes,
		ConditionalCreate: true,
		ConditionalWrite:  true,
		ListMetadata:      true,
		ReservedChars:     `\`,
	}
}

// Close drops idle connections.
func (s *Store) Close() error {
	s.hc.CloseIdleConnections()
	return nil
}

// CheckContainer verifies that the container exists and the credentials
// may list it: a missing container is storage.ErrNoBucket, a refused
// credential storage.ErrPermission. With Type "adls" it also checks that
// the account answers on its dfs endpoint with a hierarchical namespace.
func (s *Store) CheckContainer(ctx context.Context) error {
	// Listing, not Get Container Properties: a container-scoped SAS may
	// list but not read container properties.
	pager := s.cont.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{MaxResults: to.Ptr[int32](1)})
	if _, err := pager.NextPage(ctx); err != nil {
		if isCode(err, "ContainerNotFound") || statusOf(err) == http.StatusNotFound {
			return storage.Errorf("check", s.cfg.Container, storage.ErrNoBucket, err)
		}
		return wrapErr("check", s.cfg.Container, err)
	}
	if s.dfs == nil {
		return nil
	}
	if err := s.dfs.Probe(ctx); err != nil {
		if errors.Is(err, storage.ErrPermission) || errors.Is(err, storage.ErrNoBucket) {
			return err
		}
		return fmt.Errorf("dfs endpoint: %w", err)
	}
	return nil
}

// ListContainers lists the account's containers (for "mount all").
// opts.Container is ignored.
func ListContainers(ctx context.Context, opts Options) ([]string, error) {
	cfg, err := normalize(opts, false)
	if err != nil {
		return nil, err
	}
	hc := newHTTPClient(cfg)
	defer hc.CloseIdleConnections()
	cr, err := newCredentials(cfg, hc)
	if err != nil {
		return nil, err
	}
	svc, err := newServiceClient(cfg, cr, hc)
	if err != nil {
		return nil, err
	}
	var names []string
	pager := svc.NewListContainersPager(nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, wrapErr("list containers", "", err)
		}
		for _, c := range page.ContainerItems {
			if c.Name != nil {
				names = append(names, *c.Name)
			}
		}
	}
	return names, nil
}
