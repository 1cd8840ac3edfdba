package config

import (
	"log/slog"
	"strings"
	"testing"
)

func envFrom(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestApplyEnvAzure(t *testing.T) {
	cfg, _, err := Load(writeConfig(t, "components: [libfuse, azstorage]\nazstorage:\n  account-name: fromfile\n  container: c\n"))
	if err != nil {
		t.Fatal(err)
	}
	err = cfg.ApplyEnv(envFrom(map[string]string{
		"AZURE_STORAGE_ACCOUNT":              "fromenv",
		"AZURE_STORAGE_ACCOUNT_TYPE":         "ADLS",
		"AZURE_STORAGE_ACCOUNT_CONTAINER":    "box",
		"AZURE_STORAGE_BLOB_ENDPOINT":        "http://127.0.0.1:10000/fromenv",
		"AZURE_STORAGE_AUTH_TYPE":            "spn",
		"AZURE_STORAGE_ACCESS_KEY":           "key",
		"AZURE_STORAGE_SAS_TOKEN":            "sas",
		"AZURE_STORAGE_IDENTITY_CLIENT_ID":   "appid",
		"AZURE_STORAGE_IDENTITY_RESOURCE_ID": "resid",
		"AZURE_STORAGE_IDENTITY_OBJECT_ID":   "objid",
		"AZURE_STORAGE_SPN_TENANT_ID":        "tenant",
		"AZURE_STORAGE_SPN_CLIENT_ID":        "client",
		"AZURE_STORAGE_SPN_CLIENT_SECRET":    "secret",
		"AZURE_STORAGE_AAD_ENDPOINT":         "https://login.example",
		"MSI_ENDPOINT":                       "http://169.254.169.254/x",
		"MSI_SECRET":                         "msisecret",
	}))
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Azure
	got := []string{a.AccountName, string(a.Type), a.Container, a.Endpoint, string(a.Mode), a.AccountKey, a.SAS,
		a.AppID, a.ResID, a.ObjID, a.TenantID, a.ClientID, a.ClientSecret, a.AADEndpoint, a.MSIEndpoint, a.MSISecret}
	want := []string{"fromenv", "adls", "box", "http://127.0.0.1:10000/fromenv", "spn", "key", "sas",
		"appid", "resid", "objid", "tenant", "client", "secret", "https://login.example", "http://169.254.169.254/x", "msisecret"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	if o := cfg.Origin("azstorage.account-name"); o != "$AZURE_STORAGE_ACCOUNT" {
		t.Errorf("origin = %q", o)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestApplyEnvBadValueNamesVariable(t *testing.T) {
	cfg := Default()
	err := cfg.ApplyEnv(envFrom(map[string]string{"AZURE_STORAGE_AUTH_TYPE": "password"}))
	want := `$AZURE_STORAGE_AUTH_TYPE: azstorage.mode: expected one of key, sas, spn, msi, azcli, workloadidentity, got "password"`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}

func TestApplyEnvAWSFillsOnlyEmptyFields(t *testing.T) {
	env := envFrom(map[string]string{"AWS_REGION": "eu-north-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:9000"})

	cfg, _, err := Load(writeConfig(t, "s3storage:\n  bucket-name: b\n  region: us-west-2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.ApplyEnv(env); err != nil {
		t.Fatal(err)
	}
	if cfg.S3.Region != "us-west-2" || cfg.S3.Endpoint != "http://127.0.0.1:9000" {
		t.Errorf("region %q endpoint %q", cfg.S3.Region, cfg.S3.Endpoint)
	}
	if cfg.Origin("s3storage.endpoint") != "$AWS_ENDPOINT_URL" || cfg.Origin("s3storage.region") != "config.yaml:3" {
		t.Errorf("origins %q %q", cfg.Origin("s3storage.endpoint"), cfg.Origin("s3storage.region"))
	}

	cfg = Default()
	if err := cfg.ApplyEnv(envFrom(map[string]string{"AWS_DEFAULT_REGION": "ap-south-1", "AWS_REGION": "eu-north-1"})); err != nil {
		t.Fatal(err)
	}
	if cfg.S3.Region != "eu-north-1" {
		t.Errorf("AWS_REGION must win over AWS_DEFAULT_REGION, got %q", cfg.S3.Region)
	}
}

func TestApplyEnvIgnoresEmpty(t *testing.T) {
	cfg := Default()
	cfg.Azure.AccountName = "keep"
	if err := cfg.ApplyEnv(envFrom(map[string]string{"AZURE_STORAGE_ACCOUNT": ""})); err != nil {
		t.Fatal(err)
	}
	if cfg.Azure.AccountName != "keep" || cfg.IsSet("azstorage.account-name") {
		t.Error("an empty variable changed the config")
	}
}

func TestSetFromFlags(t *testing.T) {
	cfg := Default()
	for _, tc := range []struct{ key, val, origin, want string }{
		{"file_cache.timeout-sec", "abc", "--file-cache-timeout", `--file-cache-timeout: file_cache.timeout-sec: expected an integer, got "abc"`},
		{"file_cache.low-threshold", "-3", "--low-disk-threshold", `--low-disk-threshold: file_cache.low-threshold: must not be negative, got -3`},
		{"logging.level", "verbose", "--log-level", `--log-level: logging.level: expected one of LOG_OFF`},
		{"file_cache.nope", "1", "--x", `--x: file_cache.nope: unknown key`},
		{"file_cache", "1", "--x", `--x: file_cache: unknown key`},
	} {
		err := cfg.Set(tc.key, tc.val, tc.origin)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("Set(%s, %s) = %v, want %s", tc.key, tc.val, err, tc.want)
		}
	}
	if err := cfg.Set("S3STORAGE.usePathStyle", "true", "--x"); err != nil || !cfg.S3.UsePathStyle {
		t.Errorf("alias set: %v", err)
	}
	if err := cfg.Set("components", "libfuse, file_cache,s3storage", "--components"); err != nil {
		t.Fatal(err)
	}
	if strings.Join(cfg.Components, "|") != "libfuse|file_cache|s3storage" || cfg.Origin("components") != "--components" {
		t.Errorf("components = %v", cfg.Components)
	}
	if err := cfg.Set("libfuse.uid", "0", "-o uid=0"); err != nil || cfg.Libfuse.UID == nil || *cfg.Libfuse.UID != 0 {
		t.Errorf("uid: %v", err)
	}
	if !cfg.IsSet("s3storage.use-path-style") || cfg.IsSet("s3storage.region") {
		t.Error("IsSet wrong")
	}
	err := cfg.Validate()
	if err == nil || !strings.HasPrefix(err.Error(), "s3storage.bucket-name: required") {
		t.Errorf("validate = %v", err)
	}
}

func TestLogValueRedactsSecrets(t *testing.T) {
	cfg, _, err := Load(writeConfig(t, "s3storage:\n  bucket-name: b\n  key-id: AKIAEXAMPLE\n  secret-key: verysecret\nazstorage:\n  account-key: azkey\n  sas: sv=x&sig=y\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.ApplyEnv(envFrom(map[string]string{"AZURE_STORAGE_SPN_CLIENT_SECRET": "spnsecret", "MSI_SECRET": "msi-value-42"})); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("config", "cfg", cfg)
	out := b.String()
	for _, secret := range []string{"AKIAEXAMPLE", "verysecret", "azkey", "sig=y", "spnsecret", "msi-value-42"} {
		if strings.Contains(out, secret) {
			t.Errorf("log line leaks %q: %s", secret, out)
		}
	}
	if !strings.Contains(out, "cfg.s3storage.bucket-name=b") || !strings.Contains(out, "cfg.s3storage.secret-key=REDACTED") {
		t.Errorf("log line lacks keys: %s", out)
	}
}
