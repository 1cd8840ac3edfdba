package config

import (
	"strings"
	"testing"
)

func TestValidateErrorsNameKeyAndOrigin(t *testing.T) {
	const s3 = "s3storage:\n  bucket-name: b\n"
	for _, tc := range []struct {
		name, body, want string
	}{
		{"no components", "components: []\n" + s3,
			`config.yaml:1: components: no components given`},
		{"unknown component", "components:\n  - libfuse\n  - turbo_cache\n  - s3storage\n" + s3,
			`config.yaml:3: components: unknown component "turbo_cache" (known: libfuse, file_cache, block_cache, stream, attr_cache, s3storage, azstorage, loopbackfs)`},
		{"twice", "components: [libfuse, attr_cache, attr_cache, s3storage]\n" + s3,
			`config.yaml:1: components: component attr_cache is listed twice`},
		{"no libfuse", "components: [file_cache, s3storage]\n" + s3,
			`config.yaml:1: components: libfuse is missing`},
		{"two caches", "components:\n  - libfuse\n  - file_cache\n  - block_cache\n  - s3storage\n" + s3,
			`config.yaml:1: components: file_cache and block_cache cannot be used together; pick one`},
		{"no store", "components: [libfuse, file_cache]\n",
			`config.yaml:1: components: no storage component; add s3storage or azstorage`},
		{"two stores", "components: [libfuse, s3storage, azstorage]\n" + s3,
			`config.yaml:1: components: s3storage and azstorage cannot be used together`},
		{"thresholds", "components: [libfuse, file_cache, s3storage]\n" + s3 + "file_cache:\n  high-threshold: 50\n  low-threshold: 70\n",
			`config.yaml:5: file_cache.high-threshold: high-threshold (50) must not be below low-threshold (70)`},
		{"threshold default high", "components: [libfuse, file_cache, s3storage]\n" + s3 + "file_cache:\n  low-threshold: 95\n",
			`config.yaml:5: file_cache.low-threshold: high-threshold (80) must not be below low-threshold (95)`},
		{"policy", "components: [libfuse, file_cache, s3storage]\n" + s3 + "file_cache:\n  policy: fifo\n",
			`config.yaml:5: file_cache.policy: expected one of lru, lfu, got "fifo"`},
		{"no bucket", "components: [libfuse, s3storage]\ns3storage:\n  region: us-east-1\n",
			`config.yaml:2: s3storage.bucket-name: required: the name of the bucket to mount`},
		{"no bucket no section", "components: [libfuse, s3storage]\n",
			`config.yaml: s3storage.bucket-name: required`},
		{"part size", "components: [libfuse, s3storage]\n" + s3 + "  part-size-mb: 3\n",
			`config.yaml:4: s3storage.part-size-mb: must be between 5 and 5120, got 3`},
		{"sse", "components: [libfuse, s3storage]\n" + s3 + "  sse: aws:kms:dsse\n",
			`config.yaml:4: s3storage.sse: expected AES256 (SSE-S3) or aws:kms (SSE-KMS), got "aws:kms:dsse"`},
		{"kms key without kms", "components: [libfuse, s3storage]\n" + s3 + "  sse: AES256\n  sse-kms-key-id: k\n",
			`config.yaml:5: s3storage.sse-kms-key-id: needs sse: aws:kms`},
		{"short customer key", "components: [libfuse, s3storage]\n" + s3 + "  sse-customer-key: c2hvcnQ=\n",
			`config.yaml:4: s3storage.sse-customer-key: must be the base64 of a 32-byte key (openssl rand -base64 32)`},
		{"customer key and sse", "components: [libfuse, s3storage]\n" + s3 + "  sse: AES256\n  sse-customer-key: x\n",
			`config.yaml:5: s3storage.sse-customer-key: cannot be used with sse: AES256; pick one`},
		{"unsigned with a key", "components: [libfuse, s3storage]\n" + s3 + "  no-sign-request: true\n  key-id: a\n  secret-key: b\n",
			`config.yaml:4: s3storage.no-sign-request: sends unsigned requests; remove key-id and secret-key, or this`},
		{"cutoff", "components: [libfuse, s3storage]\n" + s3 + "  upload-cutoff-mb: 2\n",
			`config.yaml:4: s3storage.upload-cutoff-mb: must be at least 5, got 2`},
		{"half credentials", "components: [libfuse, s3storage]\n" + s3 + "  key-id: AKIA\n",
			`config.yaml:2: s3storage.secret-key: required with key-id`},
		{"endpoint", "components: [libfuse, s3storage]\n" + s3 + "  endpoint: ftp://x\n",
			`config.yaml:4: s3storage.endpoint: expected a URL such as https://s3.example.com or http://127.0.0.1:9000, got "ftp://x"`},
		{"subdirectory", "components: [libfuse, s3storage]\n" + s3 + "  subdirectory: a/../b\n",
			`config.yaml:4: s3storage.subdirectory: expected a path such as dir/subdir without empty, . or .. parts, got "a/../b"`},
		{"az no container", "components: [libfuse, azstorage]\nazstorage:\n  account-name: acct\n  account-key: k\n",
			`config.yaml:2: azstorage.container: required: the name of the container to mount`},
		{"az no account", "components: [libfuse, azstorage]\nazstorage:\n  container: c\n",
			`config.yaml:2: azstorage.account-name: required`},
		{"az no credentials", "components: [libfuse, azstorage]\nazstorage:\n  account-name: a\n  container: c\n",
			`config.yaml:2: azstorage.mode: no credentials`},
		{"az key", "components: [libfuse, azstorage]\nazstorage:\n  account-name: a\n  container: c\n  mode: key\n",
			`config.yaml:2: azstorage.account-key: required with mode key`},
		{"az sas", "components: [libfuse, azstorage]\nazstorage:\n  account-name: a\n  container: c\n  mode: sas\n",
			`config.yaml:2: azstorage.sas: required with mode sas`},
		{"az spn", "components: [libfuse, azstorage]\nazstorage:\n  account-name: a\n  container: c\n  mode: spn\n  tenantid: t\n  clientid: c\n",
			`config.yaml:2: azstorage.clientsecret: required with mode spn`},
		{"az msi", "components: [libfuse, azstorage]\nazstorage:\n  account-name: a\n  container: c\n  mode: msi\n  appid: x\n  resid: y\n",
			`config.yaml:5: azstorage.mode: msi takes at most one of appid, resid and objid`},
		{"az cpk", "components: [libfuse, azstorage]\nazstorage:\n  account-name: a\n  container: c\n  mode: azcli\n  cpk-enabled: true\n",
			`config.yaml:6: azstorage.cpk-enabled: needs cpk-encryption-key and cpk-encryption-key-sha256`},
		{"az cpk short", "components: [libfuse, azstorage]\nazstorage:\n  account-name: a\n  container: c\n  mode: azcli\n  cpk-enabled: true\n" +
			"  cpk-encryption-key: c2hvcnQ=\n  cpk-encryption-key-sha256: x\n",
			`config.yaml:7: azstorage.cpk-encryption-key: must be the base64 of a 32-byte key (openssl rand -base64 32)`},
		{"az cpk hash", "components: [libfuse, azstorage]\nazstorage:\n  account-name: a\n  container: c\n  mode: azcli\n  cpk-enabled: true\n" +
			"  cpk-encryption-key: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n  cpk-encryption-key-sha256: x\n",
			`config.yaml:8: azstorage.cpk-encryption-key-sha256: is not the base64 SHA-256 of cpk-encryption-key`},
		{"loopback", "components: [libfuse, loopbackfs]\n",
			`config.yaml: loopbackfs.path: required`},
		{"default permission", "components: [libfuse, s3storage]\n" + s3 + "libfuse:\n  default-permission: 4755\n",
			`config.yaml:5: libfuse.default-permission: must be at most 0777, got 04755`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _, err := Load(writeConfig(t, tc.body))
			if err != nil {
				t.Fatal(err)
			}
			err = cfg.Validate()
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error\n got: %s\nwant: %s", err, tc.want)
			}
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	for _, body := range []string{
		"components: [libfuse, file_cache, attr_cache, s3storage]\ns3storage:\n  bucket-name: b\n  endpoint: 127.0.0.1:9000\n",
		"components: [libfuse, block_cache, s3storage]\ns3storage: {bucket-name: b}\nfile_cache: {high-threshold: 10, low-threshold: 50}\n",
		"components: [libfuse, stream, azstorage]\nazstorage: {account-name: a, container: c, sas: '?sv=1'}\n",
		"components: [libfuse, azstorage]\nazstorage: {endpoint: 'http://127.0.0.1:10000/devstoreaccount1', container: c, mode: msi, appid: x}\n",
		"components: [libfuse, loopbackfs]\nloopbackfs: {path: /tmp}\n",
	} {
		cfg, _, err := Load(writeConfig(t, body))
		if err != nil {
			t.Fatal(err)
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("%q: %v", body, err)
		}
	}
}
