package azstore

import (
	"context"
	"strings"
	"testing"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

const devKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

func TestNewRejectsBadOptions(t *testing.T) {
	base := Options{AccountName: "acct", Container: "c", AccountKey: devKey}
	cases := []struct {
		name string
		edit func(*Options)
		want string
	}{
		{"unknown mode", func(o *Options) { o.Mode = "password" }, "unknown auth mode"},
		{"key mode without key", func(o *Options) { o.Mode = ModeKey; o.AccountKey = "" }, "needs an account key"},
		{"key not base64", func(o *Options) { o.AccountKey = "not base64!" }, "account key"},
		{"sas mode without sas", func(o *Options) { o.Mode = ModeSAS; o.AccountKey = "" }, "needs a SAS"},
		{"spn without secret", func(o *Options) { o.Mode = ModeSPN; o.TenantID = "t"; o.ClientID = "c" }, "client secret"},
		{"msi with two ids", func(o *Options) { o.Mode = ModeMSI; o.ClientID = "a"; o.ResourceID = "b" }, "at most one"},
		{"no credentials", func(o *Options) { o.AccountKey = "" }, "no credentials"},
		{"no container", func(o *Options) { o.Container = "" }, "no container"},
		{"no account no endpoint", func(o *Options) { o.AccountName = "" }, "no account name"},
		{"unknown type", func(o *Options) { o.Type = "file" }, "unknown account type"},
		{"bad scheme", func(o *Options) { o.Endpoint = "ftp://host/acct" }, "scheme"},
		{"endpoint with query", func(o *Options) { o.Endpoint = "https://h/?sv=1" }, "query"},
		{"bad aad endpoint", func(o *Options) {
			o.Mode = ModeSPN
			o.TenantID, o.ClientID, o.ClientSecret = "t", "c", "s"
			o.AADEndpoint = "login.example"
		}, "AAD endpoint"},
		{"block too big", func(o *Options) { o.BlockSize = 5000 << 20 }, "block size"},
		{"bad proxy", func(o *Options) { o.HTTPSProxy = "http://" }, "proxy"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := base
			c.edit(&o)
			_, err := New(context.Background(), o)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("New: got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestNewAcceptsEveryMode(t *testing.T) {
	cases := []Options{
		{AccountName: "acct", Container: "c", AccountKey: devKey},
		{AccountName: "acct", Container: "c", SAS: "?sv=2022-11-02&sig=abc"},
		{AccountName: "acct", Container: "c", Mode: ModeSPN, TenantID: "t", ClientID: "c", ClientSecret: "s",
			AADEndpoint: "https://login.microsoftonline.us/"},
		{AccountName: "acct", Container: "c", Mode: ModeMSI},
		{AccountName: "acct", Container: "c", Mode: ModeMSI, ResourceID: "/subscriptions/x/id"},
		{AccountName: "acct", Container: "c", Mode: ModeAzCLI},
		{AccountName: "acct", Container: "c", AccountKey: devKey, Type: TypeADLS},
	}
	for _, o := range cases {
		s, err := New(context.Background(), o)
		if err != nil {
			t.Fatalf("New(%+v): %v", o, err)
		}
		_ = s.Close()
	}
}

func TestEndpoints(t *testing.T) {
	cases := []struct {
		o         Options
		blob, dfs string
		account   string
	}{
		{Options{AccountName: "acct", AccountKey: devKey, Type: TypeADLS},
			"https://acct.blob.core.windows.net", "https://acct.dfs.core.windows.net", "acct"},
		{Options{AccountName: "acct", AccountKey: devKey, UseHTTP: true},
			"http://acct.blob.core.windows.net", "", "acct"},
		{Options{Endpoint: "https://acct.blob.core.chinacloudapi.cn/", AccountKey: devKey, Type: TypeADLS},
			"https://acct.blob.core.chinacloudapi.cn", "https://acct.dfs.core.chinacloudapi.cn", "acct"},
		{Options{Endpoint: "http://127.0.0.1:10000/devstoreaccount1", AccountKey: devKey, Type: TypeADLS},
			"http://127.0.0.1:10000/devstoreaccount1", "http://127.0.0.1:10000/devstoreaccount1", "devstoreaccount1"},
		{Options{Endpoint: "acct.blob.example", AccountKey: devKey, Type: TypeADLS, DFSEndpoint: "https://dfs.example/acct"},
			"https://acct.blob.example", "https://dfs.example/acct", "acct"},
	}
	for _, c := range cases {
		cfg, err := normalize(c.o, false)
		if err != nil {
			t.Fatalf("normalize(%+v): %v", c.o, err)
		}
		if got := cfg.blobURL.String(); got != c.blob {
			t.Errorf("blob endpoint %q, want %q", got, c.blob)
		}
		dfs := ""
		if cfg.dfsURL != nil {
			dfs = cfg.dfsURL.String()
		}
		if dfs != c.dfs {
			t.Errorf("dfs endpoint %q, want %q", dfs, c.dfs)
		}
		if cfg.AccountName != c.account {
			t.Errorf("account %q, want %q", cfg.AccountName, c.account)
		}
	}
}

func TestCapsAndBackend(t *testing.T) {
	s, err := New(context.Background(), Options{AccountName: "a", Container: "c", AccountKey: devKey})
	if err != nil {
		t.Fatal(err)
	}
	c := s.Caps()
	if c.MaxPartSize != 4000<<20 || c.MaxParts != 50000 || c.MaxPutSize != 5000<<20 ||
		c.MaxMetadataBytes != 8<<10 || c.MaxKeyLen != 1024 || !c.ListMetadata ||
		!c.ConditionalCreate || !c.ConditionalWrite || c.MinPartSize != 1 {
		t.Errorf("caps %+v", c)
	}
	if _, ok := s.Backend().(storage.Renamer); ok {
		t.Error("a block store offers Rename")
	}
	a, err := New(context.Background(), Options{AccountName: "a", Container: "c", AccountKey: devKey, Type: TypeADLS})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := a.Backend().(storage.Renamer); !ok {
		t.Error("an adls store does not offer Rename")
	}
}

func TestMetadataNames(t *testing.T) {
	for name, ok := range map[string]bool{
		"mode": true, "hdi_isfolder": true, "_x": true, "Mtime2": true,
		"": false, "2x": false, "a-b": false, "a.b": false, "ü": false,
	} {
		if validName(name) != ok {
			t.Errorf("validName(%q) = %v", name, !ok)
		}
	}
	if _, err := toAzureMeta("put", "k", map[string]string{"x-y": "1"}); err == nil {
		t.Error("metadata name with a dash accepted")
	}
	big := map[string]string{"a": strings.Repeat("v", 9000)}
	if _, err := toAzureMeta("put", "k", big); err == nil {
		t.Error("metadata over 8 KiB accepted")
	}
	m, err := toAzureMeta("put", "k", map[string]string{"Mode": "0644"})
	if err != nil || m["mode"] == nil || *m["mode"] != "0644" {
		t.Errorf("toAzureMeta: %v %v", m, err)
	}
}

func TestBlockIDs(t *testing.T) {
	a, b := newBlockIDs(), newBlockIDs()
	if a == b {
		t.Fatal("two uploads share a block id prefix")
	}
	if len(a.id(1)) != len(a.id(50000)) || len(a.id(1)) != len(b.id(7)) {
		t.Error("block ids differ in length")
	}
	if a.id(1) == b.id(1) || a.id(1) == a.id(2) {
		t.Error("block ids collide")
	}
}
