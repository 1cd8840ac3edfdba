package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSetDataPathReplacesOrInserts(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		comp string
		want []string
	}{
		{[]string{"libfuse", "file_cache", "attr_cache", "s3storage"}, CompBlockCache, []string{"libfuse", "block_cache", "attr_cache", "s3storage"}},
		{[]string{"libfuse", "attr_cache", "azstorage"}, CompStream, []string{"libfuse", "stream", "attr_cache", "azstorage"}},
		{[]string{"libfuse", "stream", "s3storage"}, CompStream, []string{"libfuse", "stream", "s3storage"}},
		{[]string{"s3storage"}, CompFileCache, []string{"file_cache", "s3storage"}},
	} {
		c := Default()
		c.Components = append([]string(nil), tc.in...)
		if err := c.SetDataPath(tc.comp, "--flag"); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(c.Components, tc.want) {
			t.Errorf("%v + %s = %v, want %v", tc.in, tc.comp, c.Components, tc.want)
		}
		if c.Origin("components") != "--flag" || !c.IsSet("components") {
			t.Errorf("origin %q", c.Origin("components"))
		}
	}
	if err := Default().SetDataPath(CompAttrCache, "--x"); err == nil {
		t.Error("attr_cache accepted as a data path")
	}
}

func TestSetComponent(t *testing.T) {
	c := Default()
	c.Components = []string{"libfuse", "file_cache", "s3storage"}
	c.SetComponent(CompAttrCache, true, "--use-attr-cache")
	if want := []string{"libfuse", "file_cache", "attr_cache", "s3storage"}; !reflect.DeepEqual(c.Components, want) {
		t.Errorf("add: %v", c.Components)
	}
	c.SetComponent(CompAttrCache, false, "--use-attr-cache=false")
	if want := []string{"libfuse", "file_cache", "s3storage"}; !reflect.DeepEqual(c.Components, want) {
		t.Errorf("remove: %v", c.Components)
	}
}

func TestUseADLSMeansTypeADLS(t *testing.T) {
	c := Default()
	c.Components = []string{"libfuse", "file_cache", "azstorage"}
	c.Azure.AccountName, c.Azure.Container, c.Azure.AccountKey = "a", "c", "a2V5"
	if err := c.Set("azstorage.use-adls", "true", "--use-adls"); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Azure.Type != AccountADLS || c.Origin("azstorage.type") != "--use-adls" {
		t.Errorf("type %q from %q", c.Azure.Type, c.Origin("azstorage.type"))
	}
}

func TestStoreDependentKeys(t *testing.T) {
	c := Default()
	c.Components = []string{"libfuse", "file_cache", "s3storage"}
	if !c.VirtualDirectory() || c.ListBlockedFor() != 0 {
		t.Error("defaults: virtual directories on, no listing block")
	}
	c.S3.VirtualDirectory, c.S3.BlockListOnMountSec = false, 7
	c.Azure.BlockListOnMountSec = 99
	if c.VirtualDirectory() || c.ListBlockedFor() != 7*time.Second {
		t.Errorf("s3: %v %v", c.VirtualDirectory(), c.ListBlockedFor())
	}
	c.Components[2] = CompAzure
	if !c.VirtualDirectory() || c.ListBlockedFor() != 99*time.Second {
		t.Errorf("azure: %v %v", c.VirtualDirectory(), c.ListBlockedFor())
	}
}

func TestKeysListsSchema(t *testing.T) {
	seen := map[string]KeyInfo{}
	for _, k := range Keys() {
		seen[k.Key] = k
	}
	for _, key := range []string{"file_cache.timeout-sec", "azstorage.use-adls", "s3storage.virtual-directory"} {
		if _, ok := seen[key]; !ok {
			t.Errorf("Keys() lacks %s", key)
		}
	}
	if x := seen["xload"]; !x.Unsupported || x.Why == "" {
		t.Errorf("xload: %+v", x)
	}
}

func TestChanged(t *testing.T) {
	a := Default()
	a.Components = []string{CompLibfuse, CompFileCache, CompS3}
	b := a.Clone()
	if got := a.Changed(b); len(got) != 0 {
		t.Fatalf("a clone differs in %v", got)
	}
	b.S3.SecretKey = "new"
	b.Azure.SAS = "sv=1"
	b.AttrCache.TimeoutSec = 5
	if got := strings.Join(a.Changed(b), " "); got != "attr_cache.timeout-sec s3storage.secret-key azstorage.sas" {
		t.Errorf("changed %q", got)
	}
}

func TestChangedComponents(t *testing.T) {
	a := Default()
	a.Components = []string{CompLibfuse, CompFileCache, CompS3}
	b := a.Clone()
	b.Components = []string{CompLibfuse, CompBlockCache, CompS3}
	if got := a.Changed(b); len(got) != 1 || got[0] != "components" {
		t.Errorf("changed %v", got)
	}
}

func TestTake(t *testing.T) {
	a, b := Default(), Default()
	b.S3.SecretKey, b.Azure.SAS, b.AttrCache.TimeoutSec = "new", "sv=1", 5
	a.Take(b, []string{"s3storage.secret-key", "azstorage.sas"})
	if got := strings.Join(a.Changed(b), " "); got != "attr_cache.timeout-sec" {
		t.Errorf("after Take, changed %q", got)
	}
}
