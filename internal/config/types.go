package config

import (
	"fmt"
	"strconv"
	"strings"
)

// scalar is implemented by value types that parse themselves from the text
// of a YAML scalar, a flag or an environment variable. The error text says
// what was expected; the caller adds the key and where the value came from.
type scalar interface {
	parse(s string) error
}

// oneOf parses s case-insensitively as one of the allowed names and returns
// the canonical spelling.
func oneOf(s string, allowed ...string) (string, error) {
	for _, a := range allowed {
		if strings.EqualFold(strings.TrimSpace(s), a) {
			return a, nil
		}
	}
	return "", fmt.Errorf("expected one of %s, got %q", strings.Join(allowed, ", "), s)
}

// LogType is logging.type: where log records go.
type LogType string

// Log types.
const (
	LogBase   LogType = "base"   // a log file
	LogSyslog LogType = "syslog" // the system log
	LogSilent LogType = "silent" // nowhere
)

// logTypeFile is accepted as another name of LogBase.
const logTypeFile = "file"

func (t *LogType) parse(s string) error {
	v, err := oneOf(s, string(LogBase), logTypeFile, string(LogSyslog), string(LogSilent))
	if v == logTypeFile {
		v = string(LogBase)
	}
	if err == nil {
		*t = LogType(v)
	}
	return err
}

// LogLevel is logging.level, from LOG_OFF (nothing) to LOG_DEBUG.
type LogLevel string

// Log levels in increasing verbosity.
const (
	LogOff     LogLevel = "LOG_OFF"
	LogCrit    LogLevel = "LOG_CRIT"
	LogErr     LogLevel = "LOG_ERR"
	LogWarning LogLevel = "LOG_WARNING"
	LogInfo    LogLevel = "LOG_INFO"
	LogTrace   LogLevel = "LOG_TRACE"
	LogDebug   LogLevel = "LOG_DEBUG"
)

// LogLevels lists the levels from the quietest to the most verbose.
func LogLevels() []LogLevel {
	return []LogLevel{LogOff, LogCrit, LogErr, LogWarning, LogInfo, LogTrace, LogDebug}
}

func (l *LogLevel) parse(s string) error {
	names := make([]string, 0, 7)
	for _, x := range LogLevels() {
		names = append(names, string(x))
	}
	v, err := oneOf(s, names...)
	if err == nil {
		*l = LogLevel(v)
	}
	return err
}

// AuthMode is azstorage.mode.
type AuthMode string

// Azure authentication modes.
const (
	AuthAuto             AuthMode = "" // key or sas, from what is set
	AuthKey              AuthMode = "key"
	AuthSAS              AuthMode = "sas"
	AuthSPN              AuthMode = "spn"
	AuthMSI              AuthMode = "msi"
	AuthAzCLI            AuthMode = "azcli"
	AuthWorkloadIdentity AuthMode = "workloadidentity"
)

func (m *AuthMode) parse(s string) error {
	v, err := oneOf(s, string(AuthKey), string(AuthSAS), string(AuthSPN), string(AuthMSI),
		string(AuthAzCLI), string(AuthWorkloadIdentity))
	if err == nil {
		*m = AuthMode(v)
	}
	return err
}

// AccountType is azstorage.type.
type AccountType string

// Azure account types.
const (
	AccountBlock AccountType = "block"
	AccountADLS  AccountType = "adls"
)

func (a *AccountType) parse(s string) error {
	v, err := oneOf(s, string(AccountBlock), string(AccountADLS))
	if err == nil {
		*a = AccountType(v)
	}
	return err
}

// Tier is azstorage.tier, the access tier set on upload.
type Tier string

// Access tiers; TierNone leaves the account default.
const (
	TierNone    Tier = "none"
	TierHot     Tier = "hot"
	TierCool    Tier = "cool"
	TierCold    Tier = "cold"
	TierPremium Tier = "premium"
	TierArchive Tier = "archive"
)

func (t *Tier) parse(s string) error {
	v, err := oneOf(s, string(TierNone), string(TierHot), string(TierCool), string(TierCold),
		string(TierPremium), string(TierArchive))
	if err == nil {
		*t = Tier(v)
	}
	return err
}

// ChecksumAlgorithm is s3storage.checksum-algorithm.
type ChecksumAlgorithm string

// Upload checksum algorithms.
const (
	ChecksumCRC32  ChecksumAlgorithm = "CRC32"
	ChecksumCRC32C ChecksumAlgorithm = "CRC32C"
	ChecksumSHA1   ChecksumAlgorithm = "SHA1"
	ChecksumSHA256 ChecksumAlgorithm = "SHA256"
)

func (c *ChecksumAlgorithm) parse(s string) error {
	v, err := oneOf(s, string(ChecksumCRC32), string(ChecksumCRC32C), string(ChecksumSHA1), string(ChecksumSHA256))
	if err == nil {
		*c = ChecksumAlgorithm(v)
	}
	return err
}

// Perm is a permission mask written in octal ("0644", "644" or "0o644").
// Zero means unset.
type Perm uint32

func (p *Perm) parse(s string) error {
	t := strings.TrimSpace(s)
	t = strings.TrimPrefix(strings.TrimPrefix(t, "0o"), "0O")
	v, err := strconv.ParseUint(t, 8, 32)
	if err != nil || v > 0o7777 {
		return fmt.Errorf("expected an octal permission such as 0644, got %q", s)
	}
	*p = Perm(v)
	return nil
}

// String formats p in octal with a leading zero.
func (p Perm) String() string { return fmt.Sprintf("%#o", uint32(p)) }
