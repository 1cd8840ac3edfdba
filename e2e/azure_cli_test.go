//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"
)

// TestAzureMountRefusesBadInput: a wrong key, a missing container, an
// unknown auth mode and a SAS without the needed permissions each give one
// clear line and a non-zero exit, and mount nothing.
func TestAzureMountRefusesBadInput(t *testing.T) {
	_, section := setupAzure(t)
	v := requireEnv(t, "CLOUDFUSE_TEST_AZURE_ACCOUNT", "CLOUDFUSE_TEST_AZURE_KEY")
	account, key := v[0], v[1]
	work := t.TempDir()
	dir := filepath.Join(work, "mnt")
	os.Mkdir(dir, 0o755)
	base := "components: [libfuse, file_cache, attr_cache, azstorage]\nfile_cache:\n  path: " +
		filepath.Join(work, "cache") + "\n"

	cred, err := service.NewSharedKeyCredential(account, key)
	if err != nil {
		t.Fatal(err)
	}
	readOnly, err := sas.AccountSignatureValues{
		Protocol:      sas.ProtocolHTTPSandHTTP,
		ExpiryTime:    time.Now().Add(time.Hour),
		Permissions:   (&sas.AccountPermissions{Read: true}).String(),
		ResourceTypes: (&sas.AccountResourceTypes{Service: true, Container: true, Object: true}).String(),
	}.SignWithSharedKey(cred)
	if err != nil {
		t.Fatal(err)
	}
	keyLine := regexp.MustCompile(`(?m)^  account-key: .*\n`)
	modeLine := regexp.MustCompile(`(?m)^  mode: key\n`)
	sasSection := modeLine.ReplaceAllString(keyLine.ReplaceAllString(section, ""),
		"  mode: sas\n  sas: \"?"+readOnly.Encode()+"\"\n")

	cases := []struct {
		name, cfg string
		want      []string
	}{
		{"wrong key", base + strings.Replace(section, key, "AAAA"+key[4:], 1), []string{"credential"}},
		{"missing container", base + regexp.MustCompile(`(?m)^  container: e2e-`).ReplaceAllString(section, "  container: no-such-"),
			[]string{"no-such-"}},
		{"unknown auth mode", base + modeLine.ReplaceAllString(section, "  mode: magic\n"), []string{"mode", "magic"}},
		{"sas without permissions", base + sasSection, []string{"permission"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := filepath.Join(work, strings.ReplaceAll(c.name, " ", "-")+".yaml")
			if err := os.WriteFile(cfg, []byte(c.cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			out, code := cloudfuse(t, "mount", dir, "--config-file="+cfg)
			expectOneLineError(t, out, code, dir, c.want...)
			t.Logf("%s", out)
		})
	}
}
