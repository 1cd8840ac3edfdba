// Package boot writes what brings a mount back after a reboot: a systemd
// service unit that runs `cloudfuse mount --foreground` (docs/operations.md,
// "Mounting at boot"). It only writes files; enabling the unit is the
// caller's business.
package boot

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/a9de3765/cloudfuse/internal/atomicfile"
)

// Unit is one mount at boot.
type Unit struct {
	Exe        string // the cloudfuse binary, absolute
	MountPath  string // absolute
	ConfigFile string // absolute
	Secure     bool   // the config file is encrypted: read the passphrase from the environment file
	User       bool   // a user unit (systemctl --user), not a system one
	RunAs      string // a system unit's User=, "" for root
}

// PassphraseEnv is the variable the environment file sets for an
// encrypted config.
const PassphraseEnv = "CLOUDFUSE_SECURE_CONFIG_PASSPHRASE"

// Name is the unit's file name: cloudfuse-<mount path>.service, the path
// spelled with "-" for "/" and "_" for anything systemd would escape.
func (u Unit) Name() string {
	p := strings.Trim(filepath.Clean(u.MountPath), "/")
	var b strings.Builder
	for _, r := range p {
		switch {
		case r == '/':
			b.WriteByte('-')
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		b.WriteString("root")
	}
	return "cloudfuse-" + b.String() + ".service"
}

// EnvFile is the environment file beside the unit, read by it if present.
func (u Unit) EnvFile(dir string) string {
	return filepath.Join(dir, strings.TrimSuffix(u.Name(), ".service")+".env")
}

// Text is the unit file.
func (u Unit) Text(dir string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Written by cloudfuse: mounts %s at boot and after a crash.\n", u.MountPath)
	fmt.Fprintf(&b, "[Unit]\nDescription=cloudfuse mount at %s\n", u.MountPath)
	if !u.User {
		b.WriteString("Wants=network-online.target\nAfter=network-online.target\n")
	}
	b.WriteString("\n[Service]\nType=simple\n")
	if u.RunAs != "" && !u.User {
		fmt.Fprintf(&b, "User=%s\n", u.RunAs)
	}
	fmt.Fprintf(&b, "EnvironmentFile=-%s\n", u.EnvFile(dir))
	fmt.Fprintf(&b, "ExecStartPre=/bin/mkdir -p %s\n", quoteArg(u.MountPath))
	fmt.Fprintf(&b, "ExecStartPre=-%s unmount %s\n", quoteArg(u.Exe), quoteArg(u.MountPath))
	secure := ""
	if u.Secure {
		secure = " --secure-config"
	}
	fmt.Fprintf(&b, "ExecStart=%s mount %s --config-file=%s%s --foreground\n",
		quoteArg(u.Exe), quoteArg(u.MountPath), quoteArg(u.ConfigFile), secure)
	b.WriteString("KillSignal=SIGTERM\nTimeoutStopSec=10min\nRestart=on-failure\nRestartSec=5\n\n[Install]\n")
	if u.User {
		b.WriteString("WantedBy=default.target\n")
	} else {
		b.WriteString("WantedBy=multi-user.target\n")
	}
	return b.String()
}

// quoteArg quotes s for an Exec line when it holds a space or a quote.
func quoteArg(s string) string {
	if !strings.ContainsAny(s, " \t\"'\\") {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// Install writes the unit into dir (mode 0644), and the passphrase, if
// any, into its environment file (mode 0600). Both are written under a
// temporary name and renamed, so a failure leaves nothing half-written.
// It returns the unit's path.
func Install(dir string, u Unit, passphrase string) (string, error) {
	for _, p := range []string{u.Exe, u.MountPath, u.ConfigFile} {
		if !filepath.IsAbs(p) {
			return "", fmt.Errorf("%q is not an absolute path; a unit started at boot needs one", p)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if u.Secure && passphrase != "" {
		if err := atomicfile.Write(u.EnvFile(dir), []byte(PassphraseEnv+"="+passphrase+"\n"), 0o600); err != nil {
			return "", err
		}
	}
	path := filepath.Join(dir, u.Name())
	return path, atomicfile.Write(path, []byte(u.Text(dir)), 0o644)
}

// Remove deletes the unit and its environment file from dir.
func Remove(dir string, u Unit) error {
	err := os.Remove(filepath.Join(dir, u.Name()))
	if os.IsNotExist(err) {
		err = nil
	}
	if e := os.Remove(u.EnvFile(dir)); e != nil && !os.IsNotExist(e) && err == nil {
		err = e
	}
	return err
}
