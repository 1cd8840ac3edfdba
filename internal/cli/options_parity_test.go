package cli

import (
	"testing"
	"time"
)

// The filesystem options of Cloudfuse/BlobFuse2 reach vfs and fusefs.
func TestParityOptionsReachTheFilesystem(t *testing.T) {
	e := newEnv(t)
	e.write("c.yaml", s3Config)
	cfg, _, err := parseMount(t, e, "--config-file=c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	v, f := vfsOptions(cfg, nil), fuseOptions(cfg, "src", nil, nil)
	if v.NoListFor != 0 || v.NoImplicitDirs || v.RevalidateOnOpen || f.StrictOpenFlags {
		t.Errorf("defaults: vfs %+v fuse %+v", v, f)
	}

	cfg, _, err = parseMount(t, e, "--config-file=c.yaml", "--cancel-list-on-mount-seconds=30",
		"--virtual-directory=false", "--disable-kernel-cache", "--ignore-open-flags=false")
	if err != nil {
		t.Fatal(err)
	}
	v, f = vfsOptions(cfg, nil), fuseOptions(cfg, "src", nil, nil)
	if v.NoListFor != 30*time.Second || !v.NoImplicitDirs || !v.RevalidateOnOpen || !f.StrictOpenFlags {
		t.Errorf("flags: vfs NoListFor=%v NoImplicitDirs=%v RevalidateOnOpen=%v, fuse StrictOpenFlags=%v",
			v.NoListFor, v.NoImplicitDirs, v.RevalidateOnOpen, f.StrictOpenFlags)
	}

	e.write("az.yaml", azConfig)
	cfg, _, err = parseMount(t, e, "--config-file=az.yaml", "--cancel-list-on-mount-seconds=5", "--virtual-directory=false")
	if err != nil {
		t.Fatal(err)
	}
	if v := vfsOptions(cfg, nil); v.NoListFor != 5*time.Second || !v.NoImplicitDirs {
		t.Errorf("azure: NoListFor=%v NoImplicitDirs=%v", v.NoListFor, v.NoImplicitDirs)
	}

	cfg, _, err = parseMount(t, e, "--config-file=c.yaml", "-o", "direct_io")
	if err != nil {
		t.Fatal(err)
	}
	if v := vfsOptions(cfg, nil); !v.RevalidateOnOpen {
		t.Error("-o direct_io does not revalidate on open")
	}
}
