package config

import (
	"path/filepath"
	"testing"
)

// The sample configs in setup/ must load cleanly, and baseConfig.yaml must
// list every key we understand.
func TestSampleBaseConfigListsEveryKey(t *testing.T) {
	cfg, warns, err := Load(filepath.Join("..", "..", "setup", "baseConfig.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range warns {
		t.Errorf("warning: %s", w)
	}
	if err := cfg.Validate(); err != nil {
		t.Error(err)
	}
	for _, f := range newSchema().leaves() {
		if f.unsupp || f.envOnly != "" {
			continue
		}
		if !cfg.IsSet(f.path) {
			t.Errorf("setup/baseConfig.yaml does not list %s", f.path)
		}
	}
}

func TestSampleS3FileCache(t *testing.T) {
	cfg, warns, err := Load(filepath.Join("..", "..", "setup", "s3-filecache.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 0 {
		t.Errorf("warnings: %v", warns)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Storage() != CompS3 || !cfg.S3.UsePathStyle || cfg.S3.Endpoint != "http://127.0.0.1:9000" {
		t.Errorf("unexpected: %+v", cfg.S3)
	}
}
