package cli

import "testing"

func TestParseWindowsMount(t *testing.T) {
	for in, want := range map[string]windowsMount{
		"Z:":                 {Drive: "Z:"},
		"z:":                 {Drive: "Z:"},
		`Q:\`:                {Drive: "Q:"},
		`C:\mnt\bucket`:      {Dir: `C:\mnt\bucket`},
		`C:\mnt\bucket\`:     {Dir: `C:\mnt\bucket`},
		`\\server\share\dir`: {Dir: `\\server\share\dir`},
	} {
		got, err := parseWindowsMount(in)
		if err != nil || got != want {
			t.Errorf("parseWindowsMount(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "1:", `C:\a*b`, `C:\what?`} {
		if _, err := parseWindowsMount(bad); err == nil {
			t.Errorf("parseWindowsMount(%q) accepted", bad)
		}
	}
}

func TestCheckWindowsMountPathWantsANewDirectory(t *testing.T) {
	dir := t.TempDir()
	if _, err := checkWindowsMountPath(dir); err == nil {
		t.Error("an existing directory was accepted")
	}
	if got, err := checkWindowsMountPath(dir + "/new"); err != nil || got != dir+"/new" {
		t.Errorf("a new directory: %q %v", got, err)
	}
	if _, err := checkWindowsMountPath(dir + "/no/such"); err == nil {
		t.Error("a directory without a parent was accepted")
	}
}
