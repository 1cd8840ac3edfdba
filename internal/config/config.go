// Package config reads the mount configuration: a YAML file in the
// Cloudfuse/BlobFuse2 schema, then environment variables, then command-line
// flags (flags win). The result is one typed Config.
//
// The order of use is:
//
//	cfg, warnings, err := config.Load(path) // YAML: syntax, key names, types
//	err = cfg.ApplyEnv(os.Getenv)          // AZURE_STORAGE_*, AWS_REGION, ...
//	err = cfg.Set(key, value, "--flag")    // once per flag given
//	err = cfg.Validate()                   // cross-field and required values
//
// Every error names the key and where its value came from: the file and
// line, the flag, or the environment variable. Unknown keys are not errors:
// Load returns them as warnings, each naming the key, the file and the line.
//
// Field tags describe the schema: `key` holds the YAML name (aliases after a
// comma), `kind:"path"` expands "~" and $VARS, `min`/`max` bound numbers,
// `zero:"default"` keeps the default when the file says 0 (as Cloudfuse
// does), and `secret:"true"` keeps a value out of logs.
package config

import (
	"encoding/base64"
	"strings"
	"time"
)

// Component names accepted in the components list.
const (
	CompLibfuse    = "libfuse"
	CompFileCache  = "file_cache"
	CompBlockCache = "block_cache"
	CompStream     = "stream"
	CompAttrCache  = "attr_cache"
	CompS3         = "s3storage"
	CompAzure      = "azstorage"
	CompLoopback   = "loopbackfs"
)

// Config is the whole mount configuration. Field comments give the YAML key
// and the default.
type Config struct {
	Foreground                  bool          `key:"foreground"`                    // false: run in the background
	ReadOnly                    bool          `key:"read-only"`                     // false
	AllowOther                  bool          `key:"allow-other"`                   // false
	AllowRoot                   bool          `key:"allow-root"`                    // false
	NonEmpty                    bool          `key:"nonempty"`                      // false: refuse a non-empty mount dir
	RestrictedCharactersWindows bool          `key:"restricted-characters-windows"` // false (Windows only)
	DisableVersionCheck         bool          `key:"disable-version-check"`         // accepted; we never check
	DisableKernelCache          bool          `key:"disable-kernel-cache"`          // false; true implies direct-io
	LazyWrite                   bool          `key:"lazy-write"`                    // false
	WaitForMount                time.Duration `key:"wait-for-mount" min:"1"`        // 10s
	DefaultWorkingDir           string        `key:"default-working-dir" kind:"path"`
	DynamicProfile              bool          `key:"dynamic-profile"`
	ProfilerPort                int           `key:"profiler-port" max:"65535"` // 6060
	ProfilerIP                  string        `key:"profiler-ip"`               // localhost
	CPUProfile                  string        `key:"cpu-profile" kind:"path"`
	MemProfile                  string        `key:"mem-profile" kind:"path"`
	Preload                     bool          `key:"preload"` // BlobFuse2; refused until preloading exists
	WatchConfig                 bool          `key:"watch-config"`

	// Components selects the data path and the store, e.g.
	// [libfuse, file_cache, attr_cache, s3storage].
	Components []string `key:"components"`

	Logging       Logging       `key:"logging"`
	Libfuse       Libfuse       `key:"libfuse,lfuse"`
	FileCache     FileCache     `key:"file_cache"`
	BlockCache    BlockCache    `key:"block_cache"`
	Stream        Stream        `key:"stream"`
	AttrCache     AttrCache     `key:"attr_cache"`
	S3            S3Storage     `key:"s3storage"`
	Azure         AzStorage     `key:"azstorage"`
	Loopback      Loopback      `key:"loopbackfs"`
	MountAll      MountAll      `key:"mountall"`
	HealthMonitor HealthMonitor `key:"health_monitor"`

	// Sections of other tools' components that we accept and ignore; the
	// why tag is the reason the load warning gives.
	EntryCache       Unsupported `key:"entry_cache" why:"the attribute cache (attr_cache) already keeps listings and lookups"`
	XLoad            Unsupported `key:"xload" why:"preloading a whole container is not a cloudfuse feature; files are fetched when opened"`
	DistributedCache Unsupported `key:"distributed_cache" why:"cloudfuse has no cache shared between machines"`
	Schedule         Unsupported `key:"schedule" why:"cloudfuse uploads when a file is closed or synced; it has no upload windows"`

	file   string            // the file Load read, "" if none
	origin map[string]string // canonical key -> "file:line", "--flag" or "$ENV"
}

// Logging is the logging section.
type Logging struct {
	Type          LogType  `key:"type"`                            // base (file), syslog or silent
	Level         LogLevel `key:"level"`                           // LOG_WARNING
	FilePath      string   `key:"file-path" kind:"path"`           // "": $HOME/.cloudfuse/cloudfuse.log
	MaxFileSizeMB int      `key:"max-file-size-mb" zero:"default"` // 512
	FileCount     int      `key:"file-count" zero:"default"`       // 10
	TrackTime     bool     `key:"track-time"`                      // false
	GoroutineID   bool     `key:"goroutine-id"`                    // BlobFuse2; false
	Compress      bool     `key:"compress"`                        // BlobFuse2; false: rotated files stay plain
}

// Libfuse is the libfuse section (also read under its old name lfuse).
type Libfuse struct {
	DefaultPermission          Perm    `key:"default-permission"`            // unset: 0755 dirs, 0644 files; 0777 with allow-other
	AttributeExpirationSec     int     `key:"attribute-expiration-sec"`      // 120
	EntryExpirationSec         int     `key:"entry-expiration-sec"`          // 120
	NegativeEntryExpirationSec int     `key:"negative-entry-expiration-sec"` // 120
	FuseTrace                  bool    `key:"fuse-trace"`
	Extension                  string  `key:"extension" kind:"path"`
	DisableWritebackCache      bool    `key:"disable-writeback-cache"`
	IgnoreOpenFlags            bool    `key:"ignore-open-flags"` // true
	MaxFuseThreads             int     `key:"max-fuse-threads"`  // 128
	DirectIO                   bool    `key:"direct-io"`
	NetworkShare               bool    `key:"network-share"` // Windows only
	DisplayCapacityMB          int64   `key:"display-capacity-mb"`
	WindowsSDDL                string  `key:"windows-sddl"`
	UID                        *uint32 `key:"uid"` // nil: the mounting user
	GID                        *uint32 `key:"gid"` // nil: the mounting user's group
	Umask                      Perm    `key:"umask"`
	// KernelListCacheExpirationSec is BlobFuse2's kernel cache of
	// directory listings (0: off).
	KernelListCacheExpirationSec int `key:"kernel-list-cache-expiration-sec"`
	// FixedAttributes shows every entry with default-permission, uid and
	// gid, ignoring stored modes and owners; chmod and chown do nothing.
	FixedAttributes bool `key:"fixed-attributes"`
	// DisableXattrs turns extended attributes off (ENOTSUP) so the
	// kernel stops probing security.capability before every write.
	DisableXattrs bool `key:"disable-xattrs"`
}

// FileCache is the file_cache section.
type FileCache struct {
	Path              string  `key:"path" kind:"path"`                          // "": $HOME/.cloudfuse/file_cache
	Policy            string  `key:"policy"`                                    // lru (lfu has no effect yet)
	TimeoutSec        int     `key:"timeout-sec,file-cache-timeout-in-seconds"` // 120
	MaxEviction       int     `key:"max-eviction" zero:"default"`               // 5000
	MaxSizeMB         float64 `key:"max-size-mb"`                               // 0: only the disk thresholds apply
	HighThreshold     int     `key:"high-threshold" max:"100" zero:"default"`   // 80 (% of the cache disk)
	LowThreshold      int     `key:"low-threshold" max:"100" zero:"default"`    // 60
	CreateEmptyFile   bool    `key:"create-empty-file"`
	AllowNonEmptyTemp bool    `key:"allow-non-empty-temp"`
	CleanupOnStart    bool    `key:"cleanup-on-start"`
	PolicyTrace       bool    `key:"policy-trace"`
	OffloadIO         bool    `key:"offload-io"`
	SyncToFlush       bool    `key:"sync-to-flush"` // true
	IgnoreSync        bool    `key:"ignore-sync"`
	RefreshSec        int     `key:"refresh-sec"`
	HardLimit         bool    `key:"hard-limit"`
	// Passthrough lets the kernel read a cached file opened read-only
	// straight from its copy in the cache (FUSE passthrough; ours).
	Passthrough bool `key:"passthrough"` // true
	// BlobFuse2 and Cloudfuse keys that change nothing here (see the
	// reasons in the cli's compatibility table).
	BackgroundDownload   bool `key:"background-download"`
	CachePollTimeoutMsec int  `key:"cache-poll-timeout-msec"`
	UploadModifiedOnly   bool `key:"upload-modified-only"`
	EmptyDirCheck        bool `key:"empty-dir-check"`
	BlockOfflineAccess   bool `key:"block-offline-access"`

	Schedule Unsupported `key:"schedule" why:"cloudfuse uploads when a file is closed or synced; it has no upload windows"`
}

// BlockCache is the block_cache section.
type BlockCache struct {
	BlockSizeMB            float64 `key:"block-size-mb" zero:"default"` // 16
	MemSizeMB              int64   `key:"mem-size-mb" zero:"default"`   // 256
	Path                   string  `key:"path" kind:"path"`             // "": memory only
	DiskSizeMB             int64   `key:"disk-size-mb"`                 // 0: automatic
	DiskTimeoutSec         int     `key:"disk-timeout-sec"`             // 120
	Prefetch               int     `key:"prefetch" zero:"default"`      // 4
	Parallelism            int     `key:"parallelism"`                  // 0: automatic
	PrefetchOnOpen         bool    `key:"prefetch-on-open"`
	Consistency            bool    `key:"consistency"`
	CleanupOnStart         bool    `key:"cleanup-on-start"`
	DeferEmptyBlobCreation bool    `key:"defer-empty-blob-creation"`
}

// Stream is the stream section (read-ahead streaming of Cloudfuse).
type Stream struct {
	BlockSizeMB  int64 `key:"block-size-mb" zero:"default"` // 16
	MaxBuffers   int   `key:"max-buffers"`
	BufferSizeMB int64 `key:"buffer-size-mb"`
	FileCaching  bool  `key:"file-caching"`
	// BlobFuse2's names: the memory of all open files, and the blocks one
	// file may read ahead.
	StreamCacheMB    int64 `key:"stream-cache-mb"`
	MaxBlocksPerFile int   `key:"max-blocks-per-file"`
}

// AttrCache is the attr_cache section.
type AttrCache struct {
	TimeoutSec     int   `key:"timeout-sec"` // 120
	NoCacheOnList  bool  `key:"no-cache-on-list"`
	NoSymlinks     bool  `key:"no-symlinks"`     // BlobFuse2 name
	EnableSymlinks *bool `key:"enable-symlinks"` // Cloudfuse name; see SymlinksEnabled
	NoCacheDirs    bool  `key:"no-cache-dirs"`
	MaxFiles       int   `key:"max-files"`   // 0: our bound (500000 entries)
	MaxSizeMB      int   `key:"max-size-mb"` // 0: automatic
	CacheOnList    bool  `key:"cache-on-list"`
	// ListAhead is how many subdirectories of a directory just read are
	// listed in the background for a program walking the tree (ours).
	ListAhead int `key:"list-ahead"` // 16; 0: none
	// ListHeads bounds the HEAD requests at once, across the mount, that
	// complete listings without metadata (ours).
	ListHeads int `key:"list-heads" zero:"default"` // 64
}

// S3Storage is the s3storage section.
type S3Storage struct {
	BucketName                string            `key:"bucket-name"`
	KeyID                     string            `key:"key-id" secret:"true"`
	SecretKey                 string            `key:"secret-key" secret:"true"`
	SessionToken              string            `key:"session-token" secret:"true"` // ours: temporary (STS) credentials
	Region                    string            `key:"region"`
	Profile                   string            `key:"profile"`
	Endpoint                  string            `key:"endpoint"`
	Subdirectory              string            `key:"subdirectory"`
	PartSizeMB                int64             `key:"part-size-mb" zero:"default"`     // 8 (5 to 5120)
	UploadCutoffMB            int64             `key:"upload-cutoff-mb" zero:"default"` // 100 (at least 5)
	Concurrency               int               `key:"concurrency" zero:"default"`      // 5
	DisableConcurrentDownload bool              `key:"disable-concurrent-download"`
	EnableChecksum            bool              `key:"enable-checksum"`
	ChecksumAlgorithm         ChecksumAlgorithm `key:"checksum-algorithm"` // CRC32
	UsePathStyle              bool              `key:"use-path-style,usePathStyle"`
	DisableUsage              bool              `key:"disable-usage"`
	EnableDirMarker           bool              `key:"enable-dir-marker"`
	// Ours, named as in azstorage: false shows only directories that have
	// a "dir/" marker; block-list-on-mount-sec lists nothing for that long
	// after the mount (--virtual-directory, --cancel-list-on-mount-seconds).
	VirtualDirectory    bool `key:"virtual-directory"` // true
	BlockListOnMountSec int  `key:"block-list-on-mount-sec"`
	// Ours: multipart uploads under the mount's root started longer ago
	// than this are aborted after mount (left by crashed clients).
	// Fractions allowed; 0 turns the sweep off.
	StaleUploadHours float64 `key:"stale-upload-hours"` // 24
	// Ours: a request whose connection moves no data for this long fails
	// and is retried; a store that stops answering fails the operation
	// (EIO) after the retries.
	IdleTimeoutSec int `key:"idle-timeout-sec" zero:"default"` // 60
	// Ours, named as in azstorage.
	MaxRetries     int    `key:"max-retries" min:"-1"` // 5; -1: no retries
	HTTPProxy      string `key:"http-proxy"`
	HTTPSProxy     string `key:"https-proxy"`
	CACertFile     string `key:"ca-cert-file" kind:"path"`
	SetContentType bool   `key:"set-content-type"`
	// Cloudfuse; changes nothing here.
	HealthCheckIntervalSec int `key:"health-check-interval-sec"`
	// Ours, as Mountpoint for Amazon S3 names them: encryption, billing
	// and ownership of the bucket's objects.
	SSE                 string `key:"sse"` // "", AES256 (SSE-S3) or aws:kms (SSE-KMS)
	SSEKMSKeyID         string `key:"sse-kms-key-id"`
	SSECustomerKey      string `key:"sse-customer-key" secret:"true"` // base64 of 32 bytes (SSE-C)
	StorageClass        string `key:"storage-class"`
	RequesterPays       bool   `key:"requester-pays"`
	ExpectedBucketOwner string `key:"expected-bucket-owner"`
	NoSignRequest       bool   `key:"no-sign-request"`
	// As BlobFuse2's azstorage.filter: only matching objects are shown,
	// and the mount is read-only.
	Filter string `key:"filter"`
	// Ours: ask listings for user metadata (MinIO's metadata=true).
	ListMetadata bool `key:"list-metadata"` // true
}

// CPKKeyBytes is the decoded azstorage.cpk-encryption-key when
// cpk-enabled is true, else nil; Validate has checked it.
func (a AzStorage) CPKKeyBytes() []byte {
	if !a.CPKEnabled {
		return nil
	}
	b, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(a.CPKEncryptionKey))
	return b
}

// SSECustomerKeyBytes is the decoded s3storage.sse-customer-key (nil
// when unset); Validate has checked it.
func (s S3Storage) SSECustomerKeyBytes() []byte {
	if s.SSECustomerKey == "" {
		return nil
	}
	b, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(s.SSECustomerKey))
	return b
}

// AzStorage is the azstorage section.
type AzStorage struct {
	Type                   AccountType `key:"type"`     // block
	UseADLS                bool        `key:"use-adls"` // BlobFuse2: true means type adls
	AccountName            string      `key:"account-name"`
	Container              string      `key:"container"`
	Endpoint               string      `key:"endpoint"`
	Mode                   AuthMode    `key:"mode"` // "": key or sas, from what is set
	AccountKey             string      `key:"account-key" secret:"true"`
	SAS                    string      `key:"sas" secret:"true"`
	AppID                  string      `key:"appid"`
	ResID                  string      `key:"resid"`
	ObjID                  string      `key:"objid"`
	TenantID               string      `key:"tenantid"`
	ClientID               string      `key:"clientid"`
	ClientSecret           string      `key:"clientsecret" secret:"true"`
	OAuthTokenPath         string      `key:"oauth-token-path" kind:"path"`
	WorkloadIdentityToken  string      `key:"workload-identity-token" secret:"true"`
	AADEndpoint            string      `key:"aadendpoint"`
	UseHTTP                bool        `key:"use-http"`
	Subdirectory           string      `key:"subdirectory"`
	BlockSizeMB            int64       `key:"block-size-mb" max:"4000"`       // 16
	MaxConcurrency         int         `key:"max-concurrency" zero:"default"` // 32
	Tier                   Tier        `key:"tier"`                           // none
	BlockListOnMountSec    int         `key:"block-list-on-mount-sec"`
	MaxRetries             int         `key:"max-retries"`           // 5
	MaxRetryTimeoutSec     int         `key:"max-retry-timeout-sec"` // 900
	RetryBackoffSec        int         `key:"retry-backoff-sec"`     // 4
	MaxRetryDelaySec       int         `key:"max-retry-delay-sec"`   // 60
	HTTPProxy              string      `key:"http-proxy"`
	HTTPSProxy             string      `key:"https-proxy"`
	CACertFile             string      `key:"ca-cert-file" kind:"path"`
	UseHTTPS               *bool       `key:"use-https"` // BlobFuse2: false means use-http
	SetContentType         bool        `key:"set-content-type"`
	DebugLibcurl           bool        `key:"debug-libcurl"`
	SDKTrace               bool        `key:"sdk-trace"`
	FailUnsupportedOp      bool        `key:"fail-unsupported-op"`
	AuthResource           string      `key:"auth-resource"`
	UpdateMD5              bool        `key:"update-md5"`
	ValidateMD5            bool        `key:"validate-md5"`
	VirtualDirectory       bool        `key:"virtual-directory"` // true
	DisableCompression     bool        `key:"disable-compression"`
	MaxResultsForList      int         `key:"max-results-for-list"` // 2
	Telemetry              string      `key:"telemetry"`
	HonourACL              bool        `key:"honour-acl"`
	CPKEnabled             bool        `key:"cpk-enabled"`
	CPKEncryptionKey       string      `key:"cpk-encryption-key" secret:"true"`
	CPKEncryptionKeySHA256 string      `key:"cpk-encryption-key-sha256"`
	PreserveACL            bool        `key:"preserve-acl"`
	Filter                 string      `key:"filter"`
	UserAssertion          string      `key:"user-assertion" secret:"true"`
	CapMbpsRead            int         `key:"cap-mbps-read" min:"-1"` // BlobFuse2; -1 or 0: no limit
	CapIOPS                int         `key:"cap-iops" min:"-1"`      // BlobFuse2; -1 or 0: no limit
	// Ours, as in s3storage.
	IdleTimeoutSec int `key:"idle-timeout-sec" zero:"default"` // 60

	// From the environment only (MSI_ENDPOINT, MSI_SECRET).
	MSIEndpoint string `env:"MSI_ENDPOINT"`
	MSISecret   string `env:"MSI_SECRET" secret:"true"`
}

// Loopback is the loopbackfs section: a local directory as the store.
type Loopback struct {
	Path string `key:"path" kind:"path"`
}

// MountAll is the mountall section.
type MountAll struct {
	ContainerAllowlist []string `key:"container-allowlist"`
	ContainerDenylist  []string `key:"container-denylist"`
}

// HealthMonitor is the health_monitor section. The first five keys are
// Cloudfuse's; metrics-port, max-file-size-mb and file-count are ours.
type HealthMonitor struct {
	EnableMonitoring          bool     `key:"enable-monitoring"`
	StatsPollIntervalSec      int      `key:"stats-poll-interval-sec" zero:"default"`      // 10
	ProcessMonitorIntervalSec int      `key:"process-monitor-interval-sec" zero:"default"` // 30
	OutputPath                string   `key:"output-path" kind:"path"`                     // "": <default-working-dir>/health
	MonitorDisableList        []string `key:"monitor-disable-list"`
	MetricsPort               int      `key:"metrics-port" max:"65535"`        // 0: no Prometheus endpoint
	MaxFileSizeMB             int      `key:"max-file-size-mb" zero:"default"` // 64
	FileCount                 int      `key:"file-count" zero:"default"`       // 5
}

// Unsupported marks a key or section of Cloudfuse/BlobFuse2 that we accept
// but do not act on; Load warns when it is present, giving the field's why
// tag as the reason.
type Unsupported struct{ present bool }

// Present says whether the file had this key.
func (u Unsupported) Present() bool { return u.present }

func (u *Unsupported) mark() { u.present = true }

// Default returns the configuration used for keys nobody set.
func Default() *Config {
	return &Config{
		WaitForMount: 10 * time.Second,
		ProfilerPort: 6060,
		ProfilerIP:   "localhost",
		Logging: Logging{
			Type:          LogBase,
			Level:         LogWarning,
			MaxFileSizeMB: 512,
			FileCount:     10,
		},
		Libfuse: Libfuse{
			AttributeExpirationSec:     120,
			EntryExpirationSec:         120,
			NegativeEntryExpirationSec: 120,
			IgnoreOpenFlags:            true,
			MaxFuseThreads:             128,
		},
		FileCache: FileCache{
			Policy:        "lru",
			TimeoutSec:    120,
			MaxEviction:   5000,
			HighThreshold: 80,
			LowThreshold:  60,
			SyncToFlush:   true,
			Passthrough:   true,
		},
		BlockCache: BlockCache{
			BlockSizeMB:    16,
			MemSizeMB:      256,
			Prefetch:       4,
			DiskTimeoutSec: 120,
		},
		Stream: Stream{
			BlockSizeMB: 16,
		},
		AttrCache: AttrCache{
			TimeoutSec: 120,
			ListAhead:  16,
			ListHeads:  64,
		},
		S3: S3Storage{
			PartSizeMB:        8,
			UploadCutoffMB:    100,
			Concurrency:       5,
			ChecksumAlgorithm: ChecksumCRC32,
			StaleUploadHours:  24,
			VirtualDirectory:  true,
			IdleTimeoutSec:    60,
			MaxRetries:        5,
			SetContentType:    true,
			ListMetadata:      true,
		},
		Azure: AzStorage{
			Type:               AccountBlock,
			BlockSizeMB:        16,
			MaxConcurrency:     32,
			Tier:               TierNone,
			MaxRetries:         5,
			MaxRetryTimeoutSec: 900,
			RetryBackoffSec:    4,
			MaxRetryDelaySec:   60,
			VirtualDirectory:   true,
			MaxResultsForList:  2,
			IdleTimeoutSec:     60,
			SetContentType:     true,
		},
		HealthMonitor: HealthMonitor{
			StatsPollIntervalSec:      10,
			ProcessMonitorIntervalSec: 30,
			MaxFileSizeMB:             64,
			FileCount:                 5,
		},
		origin: map[string]string{},
	}
}

// File is the configuration file Load read ("" for a Config from Default).
func (c *Config) File() string { return c.file }

// Has says whether the components list names comp.
func (c *Config) Has(comp string) bool {
	for _, x := range c.Components {
		if x == comp {
			return true
		}
	}
	return false
}

// Storage is the store component in the components list: CompS3, CompAzure,
// CompLoopback, or "" when there is none.
func (c *Config) Storage() string {
	for _, x := range c.Components {
		switch x {
		case CompS3, CompAzure, CompLoopback:
			return x
		}
	}
	return ""
}

// DataPath is the data-path component: CompFileCache, CompBlockCache,
// CompStream, or "" when there is none.
func (c *Config) DataPath() string {
	for _, x := range c.Components {
		switch x {
		case CompFileCache, CompBlockCache, CompStream:
			return x
		}
	}
	return ""
}

// SetContentType says whether objects written get the content type of
// their name's extension (set-content-type of the selected store).
func (c *Config) SetContentType() bool {
	switch c.Storage() {
	case CompAzure:
		return c.Azure.SetContentType
	case CompS3:
		return c.S3.SetContentType
	}
	return false
}

// Filter is the blob filter of the selected store ("" for none).
func (c *Config) Filter() string {
	switch c.Storage() {
	case CompAzure:
		return strings.TrimSpace(c.Azure.Filter)
	case CompS3:
		return strings.TrimSpace(c.S3.Filter)
	}
	return ""
}

// Subdirectory is the subdirectory of the selected store that is mounted
// ("" for the whole bucket or container).
func (c *Config) Subdirectory() string {
	switch c.Storage() {
	case CompAzure:
		return c.Azure.Subdirectory
	case CompS3:
		return c.S3.Subdirectory
	}
	return ""
}

// SymlinksEnabled says whether symlinks are shown as symlinks. They are
// unless attr_cache.no-symlinks is true or attr_cache.enable-symlinks is
// false; no-symlinks wins when both are given.
func (c *Config) SymlinksEnabled() bool {
	if c.AttrCache.NoSymlinks {
		return false
	}
	if c.AttrCache.EnableSymlinks != nil {
		return *c.AttrCache.EnableSymlinks
	}
	return true
}
