package boot

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInstallWritesAUnitAndItsPassphrase(t *testing.T) {
	dir := t.TempDir()
	u := Unit{Exe: "/usr/bin/cloudfuse", MountPath: "/mnt/my photos", ConfigFile: "/etc/cloudfuse/p.yaml.aes", Secure: true}
	if got := u.Name(); got != "cloudfuse-mnt-my_photos.service" {
		t.Fatalf("Name = %q", got)
	}
	path, err := Install(dir, u, "pass word")
	if err != nil {
		t.Fatal(err)
	}
	text, _ := os.ReadFile(path)
	for _, want := range []string{
		`ExecStart=/usr/bin/cloudfuse mount "/mnt/my photos" --config-file=/etc/cloudfuse/p.yaml.aes --secure-config --foreground`,
		"EnvironmentFile=-" + filepath.Join(dir, "cloudfuse-mnt-my_photos.env"),
		"WantedBy=multi-user.target",
	} {
		if !strings.Contains(string(text), want) {
			t.Errorf("unit lacks %q:\n%s", want, text)
		}
	}
	st, err := os.Stat(u.EnvFile(dir))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("env file: %v %v", st, err)
	}
	env, _ := os.ReadFile(u.EnvFile(dir))
	if string(env) != PassphraseEnv+"=pass word\n" {
		t.Fatalf("env file holds %q", env)
	}
	if err := Remove(dir, u); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("left behind: %v", left)
	}
}

func TestInstallRefusesRelativePaths(t *testing.T) {
	dir := t.TempDir()
	_, err := Install(dir, Unit{Exe: "/bin/cloudfuse", MountPath: "mnt", ConfigFile: "/c.yaml"}, "")
	if err == nil || !strings.Contains(err.Error(), "absolute") {
		t.Fatalf("err = %v", err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("left behind: %v", left)
	}
}

func TestUnitRunsAsTheGivenUser(t *testing.T) {
	u := Unit{Exe: "/bin/cloudfuse", MountPath: "/mnt/p", ConfigFile: "/c.yaml", RunAs: "alice"}
	if text := u.Text("/etc/systemd/system"); !strings.Contains(text, "\nUser=alice\n") {
		t.Fatalf("unit:\n%s", text)
	}
	u.User = true
	if text := u.Text("/home/alice/.config/systemd/user"); strings.Contains(text, "User=") || !strings.Contains(text, "WantedBy=default.target") {
		t.Fatalf("user unit:\n%s", text)
	}
}
