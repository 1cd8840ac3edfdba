package config

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
)

// knownComponents lists the components we build a mount from.
func knownComponents() []string {
	return []string{CompLibfuse, CompFileCache, CompBlockCache, CompStream, CompAttrCache,
		CompS3, CompAzure, CompLoopback}
}

// Validate checks that the values fit together and that the selected
// components have what they need. It returns the first problem, naming the
// key and where its value came from.
func (c *Config) Validate() error {
	c.normalize()
	for _, check := range []func() error{
		c.validateComponents,
		c.validateLibfuse,
		c.validateFileCache,
		c.validateBlockCache,
		c.validateS3,
		c.validateAzure,
		c.validateLoopback,
		c.validateHealth,
		c.validateNotYet,
	} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// normalize folds keys that are another spelling of a setting into it:
// BlobFuse2's azstorage.use-adls is azstorage.type adls.
func (c *Config) normalize() {
	if c.Azure.UseHTTPS != nil && !*c.Azure.UseHTTPS {
		c.Azure.UseHTTP = true // BlobFuse2's use-https: false
	}
	if c.Azure.UseADLS {
		c.Azure.Type = AccountADLS
		if o := c.origin["azstorage.use-adls"]; o != "" {
			c.origin["azstorage.type"] = o
		}
	}
}

// errAt builds an Error for key, located where key (or, failing that, the
// nearest enclosing thing that was given) came from.
func (c *Config) errAt(key, format string, args ...any) error {
	return &Error{Origin: c.where(key), Key: key, Msg: fmt.Sprintf(format, args...)}
}

func (c *Config) where(key string) string {
	for k := key; ; {
		if o := c.origin[k]; o != "" {
			return o
		}
		i := strings.LastIndexAny(k, ".[")
		if i < 0 {
			return c.file
		}
		k = k[:i]
	}
}

func (c *Config) validateComponents() error {
	if len(c.Components) == 0 {
		return c.errAt("components", "no components given; list the FUSE front end, a cache and a store, e.g. [libfuse, file_cache, attr_cache, s3storage]")
	}
	seen := map[string]bool{}
	for i, comp := range c.Components {
		key := fmt.Sprintf("components[%d]", i)
		known := false
		for _, k := range knownComponents() {
			known = known || comp == k
		}
		if !known {
			return &Error{Origin: c.where(key), Key: "components",
				Msg: fmt.Sprintf("unknown component %q (known: %s)", comp, strings.Join(knownComponents(), ", "))}
		}
		if seen[comp] {
			return &Error{Origin: c.where(key), Key: "components", Msg: fmt.Sprintf("component %s is listed twice", comp)}
		}
		seen[comp] = true
	}
	var data, stores []string
	for _, comp := range c.Components {
		switch comp {
		case CompFileCache, CompBlockCache, CompStream:
			data = append(data, comp)
		case CompS3, CompAzure, CompLoopback:
			stores = append(stores, comp)
		}
	}
	switch {
	case !seen[CompLibfuse]:
		return c.errAt("components", "libfuse is missing; it is the FUSE front end every mount needs")
	case len(data) > 1:
		return c.errAt("components", "%s cannot be used together; pick one", strings.Join(data, " and "))
	case len(stores) == 0:
		return c.errAt("components", "no storage component; add s3storage or azstorage")
	case len(stores) > 1:
		return c.errAt("components", "%s cannot be used together; mount each store separately", strings.Join(stores, " and "))
	}
	return nil
}

func (c *Config) validateLibfuse() error {
	if c.Libfuse.DefaultPermission > 0o777 {
		return c.errAt("libfuse.default-permission", "must be at most 0777, got %v", c.Libfuse.DefaultPermission)
	}
	if c.Libfuse.Umask > 0o777 {
		return c.errAt("libfuse.umask", "must be at most 0777, got %v", c.Libfuse.Umask)
	}
	return nil
}

func (c *Config) validateFileCache() error {
	if !c.Has(CompFileCache) {
		return nil
	}
	fc := c.FileCache
	if fc.HighThreshold < fc.LowThreshold {
		key := "file_cache.high-threshold"
		if c.origin[key] == "" {
			key = "file_cache.low-threshold"
		}
		return c.errAt(key, "high-threshold (%d) must not be below low-threshold (%d)", fc.HighThreshold, fc.LowThreshold)
	}
	if _, err := oneOf(fc.Policy, "lru", "lfu"); err != nil {
		return c.errAt("file_cache.policy", "%v", err)
	}
	return nil
}

// validateBlockCache checks that the memory budget holds at least two
// blocks: one being filled and one uploading.
func (c *Config) validateBlockCache() error {
	if !c.Has(CompBlockCache) {
		return nil
	}
	b := c.BlockCache
	switch {
	case b.BlockSizeMB < 0:
		return c.errAt("block_cache.block-size-mb", "must be positive, got %v", b.BlockSizeMB)
	case b.MemSizeMB < 0:
		return c.errAt("block_cache.mem-size-mb", "must be positive, got %v", b.MemSizeMB)
	case b.Prefetch < 0:
		return c.errAt("block_cache.prefetch", "must not be negative, got %v", b.Prefetch)
	}
	// The default budget grows to two blocks by itself; one the user
	// gave must hold them.
	block := b.BlockSizeMB
	if _, set := c.origin["block_cache.mem-size-mb"]; set && float64(b.MemSizeMB) < 2*block {
		return c.errAt("block_cache.mem-size-mb", "%d MiB holds fewer than two blocks of %v MiB (block-size-mb)", b.MemSizeMB, block)
	}
	return nil
}

func (c *Config) validateS3() error {
	if c.Storage() != CompS3 {
		return nil
	}
	s := c.S3
	switch {
	case strings.TrimSpace(s.BucketName) == "":
		return c.errAt("s3storage.bucket-name", "required: the name of the bucket to mount")
	case s.PartSizeMB < 5 || s.PartSizeMB > 5120:
		return c.errAt("s3storage.part-size-mb", "must be between 5 and 5120, got %d", s.PartSizeMB)
	case s.UploadCutoffMB < 5:
		return c.errAt("s3storage.upload-cutoff-mb", "must be at least 5, got %d", s.UploadCutoffMB)
	case s.KeyID != "" && s.SecretKey == "":
		return c.errAt("s3storage.secret-key", "required with key-id")
	case s.KeyID == "" && s.SecretKey != "":
		return c.errAt("s3storage.key-id", "required with secret-key")
	case s.NoSignRequest && s.KeyID != "":
		return c.errAt("s3storage.no-sign-request", "sends unsigned requests; remove key-id and secret-key, or this")
	}
	if err := c.validateS3Encryption(); err != nil {
		return err
	}
	if s.Endpoint != "" {
		if err := checkURL(s.Endpoint); err != nil {
			return c.errAt("s3storage.endpoint", "%v", err)
		}
	}
	return c.checkSubdirectory("s3storage.subdirectory", s.Subdirectory)
}

// validateS3Encryption checks the server-side encryption keys.
func (c *Config) validateS3Encryption() error {
	s := c.S3
	switch s.SSE {
	case "", "AES256", "aws:kms":
	default:
		return c.errAt("s3storage.sse", "expected AES256 (SSE-S3) or aws:kms (SSE-KMS), got %q", s.SSE)
	}
	if s.SSEKMSKeyID != "" && s.SSE != "aws:kms" {
		return c.errAt("s3storage.sse-kms-key-id", "needs sse: aws:kms")
	}
	if s.SSECustomerKey == "" {
		return nil
	}
	if s.SSE != "" {
		return c.errAt("s3storage.sse-customer-key", "cannot be used with sse: %s; pick one", s.SSE)
	}
	if n := len(s.SSECustomerKeyBytes()); n != 32 {
		return c.errAt("s3storage.sse-customer-key", "must be the base64 of a 32-byte key (openssl rand -base64 32)")
	}
	return nil
}

func (c *Config) validateAzure() error {
	if c.Storage() != CompAzure {
		return nil
	}
	a := c.Azure
	switch {
	case a.AccountName == "" && a.Endpoint == "":
		return c.errAt("azstorage.account-name", "required: the storage account (or give azstorage.endpoint)")
	case a.Container == "":
		return c.errAt("azstorage.container", "required: the name of the container to mount")
	case a.CPKEnabled && (a.CPKEncryptionKey == "" || a.CPKEncryptionKeySHA256 == ""):
		return c.errAt("azstorage.cpk-enabled", "needs cpk-encryption-key and cpk-encryption-key-sha256")
	}
	if a.Endpoint != "" {
		if err := checkURL(a.Endpoint); err != nil {
			return c.errAt("azstorage.endpoint", "%v", err)
		}
	}
	if key := a.CPKKeyBytes(); a.CPKEnabled {
		sum := sha256.Sum256(key)
		switch {
		case len(key) != 32:
			return c.errAt("azstorage.cpk-encryption-key", "must be the base64 of a 32-byte key (openssl rand -base64 32)")
		case strings.TrimSpace(a.CPKEncryptionKeySHA256) != base64.StdEncoding.EncodeToString(sum[:]):
			return c.errAt("azstorage.cpk-encryption-key-sha256", "is not the base64 SHA-256 of cpk-encryption-key")
		}
	}
	if err := c.validateAzureAuth(); err != nil {
		return err
	}
	return c.checkSubdirectory("azstorage.subdirectory", a.Subdirectory)
}

func (c *Config) validateAzureAuth() error {
	a := c.Azure
	switch a.Mode {
	case AuthAuto:
		if a.AccountKey == "" && a.SAS == "" {
			return c.errAt("azstorage.mode", "no credentials: set mode (key, sas, spn, msi or azcli) and what it needs, e.g. account-key for key")
		}
	case AuthKey:
		if a.AccountKey == "" {
			return c.errAt("azstorage.account-key", "required with mode key")
		}
		if a.AccountName == "" {
			return c.errAt("azstorage.account-name", "required with mode key")
		}
	case AuthSAS:
		if a.SAS == "" {
			return c.errAt("azstorage.sas", "required with mode sas")
		}
	case AuthSPN:
		if a.TenantID == "" {
			return c.errAt("azstorage.tenantid", "required with mode spn")
		}
		if a.ClientID == "" {
			return c.errAt("azstorage.clientid", "required with mode spn")
		}
		if a.ClientSecret == "" && a.OAuthTokenPath == "" {
			return c.errAt("azstorage.clientsecret", "required with mode spn (or give oauth-token-path)")
		}
	case AuthMSI:
		n := 0
		for _, s := range []string{a.AppID, a.ResID, a.ObjID} {
			if s != "" {
				n++
			}
		}
		if n > 1 {
			return c.errAt("azstorage.mode", "msi takes at most one of appid, resid and objid")
		}
	}
	return nil
}

func (c *Config) validateLoopback() error {
	if c.Storage() == CompLoopback && c.Loopback.Path == "" {
		return c.errAt("loopbackfs.path", "required: the local directory to use as the store")
	}
	return nil
}

// checkURL accepts an endpoint with or without a scheme ("https://" is
// assumed without one).
func checkURL(raw string) error {
	s := raw
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("expected a URL such as https://s3.example.com or http://127.0.0.1:9000, got %q", raw)
	}
	return nil
}

// checkSubdirectory accepts "a/b", with or without slashes around it.
func (c *Config) checkSubdirectory(key, dir string) error {
	d := strings.Trim(dir, "/")
	if d == "" {
		return nil
	}
	for _, seg := range strings.Split(d, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return c.errAt(key, "expected a path such as dir/subdir without empty, . or .. parts, got %q", dir)
		}
	}
	return nil
}

// CleanSubdirectory returns dir without leading or trailing slashes, the
// form a key prefix takes.
func CleanSubdirectory(dir string) string { return strings.Trim(dir, "/") }

// MonitorNames lists the names health_monitor.monitor-disable-list takes:
// Cloudfuse's, with blobfuse_stats as BlobFuse2's name of cloudfuse_stats.
func MonitorNames() []string {
	return []string{"cloudfuse_stats", "blobfuse_stats", "file_cache_monitor", "cpu_profiler",
		"memory_profiler", "network_profiler"}
}

func (c *Config) validateHealth() error {
	for i, name := range c.HealthMonitor.MonitorDisableList {
		if _, err := oneOf(name, MonitorNames()...); err != nil {
			return &Error{Origin: c.where(fmt.Sprintf("health_monitor.monitor-disable-list[%d]", i)),
				Key: "health_monitor.monitor-disable-list", Msg: err.Error()}
		}
	}
	return nil
}

// NotYet lists the keys of BlobFuse2 features cloudfuse does not have
// yet; a mount that sets one is refused (validateNotYet). None today.
func NotYet() []string { return nil }

// validateNotYet refuses settings that ask for what this mount cannot
// give: preload fills the file cache, so it needs that data path.
func (c *Config) validateNotYet() error {
	if c.Preload && c.DataPath() != CompFileCache {
		return c.errAt("preload", "preload downloads files into the file cache; "+
			"add file_cache to components (or drop --block-cache / --streaming) to preload, or remove preload")
	}
	return nil
}
