//go:build linux

package csi

import (
	"slices"
	"strings"
	"testing"
)

// Mount options in the forms blob-csi-driver and mountpoint-s3-csi-driver
// users write map to cloudfuse flags; anything else is refused by name.
func TestMountOptions(t *testing.T) {
	for _, tc := range []struct {
		opts   []string
		args   []string
		region string
		prefix string
		err    string
	}{
		{opts: []string{"--file-cache-timeout-in-seconds=120", "--use-adls=true", "-o allow_other"},
			args: []string{"--file-cache-timeout-in-seconds=120", "--use-adls=true", "-o", "allow_other"}},
		{opts: []string{"-o", "attr_timeout=30,entry_timeout=30"}, args: []string{"-o", "attr_timeout=30,entry_timeout=30"}},
		{opts: []string{"allow-other", "uid=1000", "gid=1000", "dir-mode=755", "file-mode=644", "region us-west-2", "prefix some/dir/", "read-only"},
			args:   []string{"--allow-other", "-o", "uid=1000", "-o", "gid=1000", "--read-only", "-o", "umask=022"},
			region: "us-west-2", prefix: "base/some/dir"},
		{opts: []string{"file-mode=600", "dir-mode=700"}, args: []string{"-o", "umask=077"}},
		{opts: []string{"file-mode=640"}, args: []string{"-o", "umask=004"}},
		{opts: []string{"allow_other"}, args: []string{"-o", "allow_other"}},
		{opts: []string{"cache-xz"}, err: `unknown mount option "cache-xz"`},
		{opts: []string{"uid=bob"}, err: "uid must be a number"},
		{opts: []string{"file-mode=666", "dir-mode=755"}, err: "one umask"},
		{opts: []string{"region"}, err: "needs a value"},
	} {
		v := volume{prefix: "base"}
		args, err := mountArgs(tc.opts, &v)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.opts, err, tc.err)
			}
		case err != nil:
			t.Errorf("%q: %v", tc.opts, err)
		case !slices.Equal(args, tc.args):
			t.Errorf("%q: args %q, want %q", tc.opts, args, tc.args)
		case tc.region != "" && (v.region != tc.region || v.prefix != tc.prefix):
			t.Errorf("%q: region %q prefix %q", tc.opts, v.region, v.prefix)
		}
	}
}

// Attributes and secrets in our names and in the CSI drivers' users know
// make one config; a typo is refused, never mounted as something else.
func TestVolumeConfig(t *testing.T) {
	v, err := parseVolume(map[string]string{"bucketName": "b", "endpoint": "http://127.0.0.1:9000", "region": "r",
		"subdirectory": "/a/b/", "csi.storage.k8s.io/pod.name": "p"},
		map[string]string{"accessKeyID": "AK", "secretAccessKey": "SK"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := v.config("/c", "/l", true)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"bucket-name: b", "subdirectory: a/b", "key-id: AK", "secret-key: SK", "read-only: true", "- s3storage", "- file_cache", "path: /c"} {
		if !strings.Contains(string(cfg), want) {
			t.Errorf("config lacks %q:\n%s", want, cfg)
		}
	}
	az, err := parseVolume(map[string]string{"containerName": "c", "storageAccount": "acct"},
		map[string]string{"azurestorageaccountkey": "KEY"})
	if err != nil || az.store != "azure" {
		t.Fatalf("azure volume: %+v %v", az, err)
	}
	cfg, _ = az.config("/c", "/l", false)
	for _, want := range []string{"container: c", "account-name: acct", "account-key: KEY", "mode: key", "- azstorage"} {
		if !strings.Contains(string(cfg), want) {
			t.Errorf("azure config lacks %q:\n%s", want, cfg)
		}
	}
	if _, err := parseVolume(map[string]string{"bucketNmae": "b"}, nil); err == nil || !strings.Contains(err.Error(), "bucketNmae") {
		t.Errorf("a misspelled attribute: %v", err)
	}
	if _, err := volumeOf("static-handle", map[string]string{"region": "r"}, nil); err != errNoBucket {
		t.Errorf("a volume without a bucket: %v", err)
	}
}

// A provisioned volume's ID round-trips and names its store without
// attributes; other handles are not taken for one.
func TestVolumeID(t *testing.T) {
	id := volumeID{store: "azure", bucket: "c", account: "acct", prefix: "base/pvc-1", retain: true}
	got, ok := parseVolumeID(id.String())
	if !ok || got != id {
		t.Fatalf("%q parsed as %+v %v", id.String(), got, ok)
	}
	v, err := volumeOf(id.String(), nil, map[string]string{"azurestorageaccountkey": "k"})
	if err != nil || v.store != "azure" || v.bucket != "c" || v.prefix != "base/pvc-1" || v.account != "acct" {
		t.Errorf("volume of the ID: %+v %v", v, err)
	}
	for _, h := range []string{"pv-handle", "v1|gcs|b||||p", "v1|s3|b|||", "v2|s3|b|||p"} {
		if _, ok := parseVolumeID(h); ok {
			t.Errorf("%q taken for a provisioned volume", h)
		}
	}
}

// A volume of its own gets a bucket name both stores accept, and its ID
// says so.
func TestBucketPerVolume(t *testing.T) {
	for prefix, want := range map[string]string{
		"my-vols":               "my-vols-pvc-0a1b2c3d-4e5f-6789-abcd-ef0123456789",
		"My_Vols.":              "my-vols-pvc-0a1b2c3d-4e5f-6789-abcd-ef0123456789",
		strings.Repeat("x", 40): strings.Repeat("x", 22) + "-pvc-0a1b2c3d-4e5f-6789-abcd-ef0123456789",
	} {
		got := bucketName(prefix, "pvc-0a1b2c3d-4e5f-6789-abcd-ef0123456789")
		if got != want || len(got) > 63 {
			t.Errorf("bucketName(%q) = %q, want %q", prefix, got, want)
		}
	}
	id := volumeID{store: "s3", bucket: "b-pvc-1", ownBucket: true, retain: true}
	if got, ok := parseVolumeID(id.String()); !ok || got != id {
		t.Errorf("%q parsed as %+v %v", id.String(), got, ok)
	}
	if _, ok := parseVolumeID("v1|s3|b||bucket|p"); ok {
		t.Error("a volume of its own bucket with a prefix was accepted")
	}
}
