package config

import (
	"strings"
	"testing"
)

const keyDoc = `# my mount
components: [libfuse, file_cache, attr_cache, s3storage]
logging:
  level: log_warning # quiet
lfuse:
  attribute-expiration-sec: 5
s3storage:
  bucket-name: photos
  Key-ID: AKIA
mountall:
  container-denylist:
    - a
    - b
`

func TestGetKey(t *testing.T) {
	for key, want := range map[string]string{
		"logging.level":                    "log_warning",
		"LOGGING.Level":                    "log_warning",
		"libfuse.attribute-expiration-sec": "5", // section alias
		"s3storage.key-id":                 "AKIA",
		"s3storage":                        "bucket-name: photos\nKey-ID: AKIA",
		"mountall.container-denylist":      "- a\n- b",
	} {
		got, err := GetKey([]byte(keyDoc), key)
		if err != nil || got != want {
			t.Errorf("GetKey(%s) = %q, %v; want %q", key, got, err, want)
		}
	}
	if _, err := GetKey([]byte(keyDoc), "file_cache.path"); err == nil || !strings.Contains(err.Error(), "default applies") {
		t.Errorf("unset known key: %v", err)
	}
	if _, err := GetKey([]byte(keyDoc), "nope.nothing"); err == nil || !strings.Contains(err.Error(), "not in the file") {
		t.Errorf("unknown key: %v", err)
	}
}

func TestSetKey(t *testing.T) {
	out, err := SetKey([]byte(keyDoc), "Logging.Level", "LOG_DEBUG")
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	if !strings.Contains(s, "level: LOG_DEBUG # quiet") || !strings.Contains(s, "# my mount") {
		t.Errorf("value or comments lost:\n%s", s)
	}
	// New section, alias kept, string values quoted when they look like
	// something else, lists from commas.
	for _, kv := range [][2]string{
		{"file_cache.path", "/tmp/c"},
		{"libfuse.attribute-expiration-sec", "7"},
		{"s3storage.secret-key", "true"},
		{"mountall.container-allowlist", "x, y"},
		{"read-only", "true"},
	} {
		if out, err = SetKey(out, kv[0], kv[1]); err != nil {
			t.Fatalf("set %s: %v", kv[0], err)
		}
	}
	cfg, _, err := Parse("c.yaml", out)
	if err != nil {
		t.Fatalf("result does not parse: %v\n%s", err, out)
	}
	if cfg.FileCache.Path != "/tmp/c" || cfg.Libfuse.AttributeExpirationSec != 7 || cfg.S3.SecretKey != "true" ||
		strings.Join(cfg.MountAll.ContainerAllowlist, ",") != "x,y" || !cfg.ReadOnly || cfg.Logging.Level != LogDebug {
		t.Errorf("values not set: %+v\n%s", cfg, out)
	}
	if strings.Contains(string(out), "\nlibfuse:") || strings.Count(string(out), "\nlfuse:") != 1 {
		t.Errorf("alias section duplicated:\n%s", out)
	}

	if _, err := SetKey([]byte(keyDoc), "logging.levle", "x"); err == nil || !strings.Contains(err.Error(), "unknown key") {
		t.Errorf("unknown key: %v", err)
	}
	if _, err := SetKey([]byte(keyDoc), "logging", "x"); err == nil {
		t.Error("setting a section was accepted")
	}
	_, err = SetKey([]byte(keyDoc), "logging.level", "LOUD")
	if err == nil || !strings.Contains(err.Error(), "logging.level") {
		t.Errorf("bad value: %v", err)
	}
	if out, err := SetKey(nil, "s3storage.bucket-name", "b"); err != nil || !strings.Contains(string(out), "bucket-name: b") {
		t.Errorf("empty document: %q %v", out, err)
	}
}

func TestSecretsAndClone(t *testing.T) {
	cfg, _, err := Parse("c.yaml", []byte("s3storage:\n  key-id: AKIA\n  secret-key: shh\n  bucket-name: b\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.Secrets(), ","); got != "AKIA,shh" {
		t.Errorf("secrets %q", got)
	}
	d := cfg.Clone()
	if err := d.Set("s3storage.bucket-name", "other", "--container-name"); err != nil {
		t.Fatal(err)
	}
	if cfg.S3.BucketName != "b" || cfg.Origin("s3storage.bucket-name") != "c.yaml:4" || d.Origin("s3storage.bucket-name") != "--container-name" {
		t.Errorf("clone shares state: %q %q %q", cfg.S3.BucketName, cfg.Origin("s3storage.bucket-name"), d.Origin("s3storage.bucket-name"))
	}
}

func TestDeleteKey(t *testing.T) {
	in := []byte("# mine\ncomponents: [libfuse, s3storage]\ns3storage:\n  bucket-name: b # the bucket\n  key-id: K\nfile_cache:\n  path: /c\n")
	out, err := DeleteKey(in, "s3storage.key-id")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := GetKey(out, "s3storage.key-id"); err == nil {
		t.Fatalf("key-id still there:\n%s", out)
	}
	if v, _ := GetKey(out, "s3storage.bucket-name"); v != "b" {
		t.Fatalf("bucket-name = %q:\n%s", v, out)
	}
	if !strings.Contains(string(out), "# the bucket") || !strings.Contains(string(out), "# mine") {
		t.Fatalf("comments lost:\n%s", out)
	}
	out, err = DeleteKey(out, "file_cache.path")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "file_cache") {
		t.Fatalf("empty section kept:\n%s", out)
	}
	same, err := DeleteKey(out, "attr_cache.timeout-sec")
	if err != nil || string(same) != string(out) {
		t.Fatalf("deleting an absent key changed the file: %v\n%s", err, same)
	}
	if !IsSecret("s3storage.secret-key") || !IsSecret("azstorage.account-key") || IsSecret("s3storage.bucket-name") {
		t.Fatal("IsSecret is wrong")
	}
}
