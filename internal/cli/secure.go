package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/a9de3765/cloudfuse/internal/atomicfile"
	"github.com/a9de3765/cloudfuse/internal/config"
)

// secureArgs are the flags of the secure commands (Cloudfuse's names).
type secureArgs struct {
	configFile, passphrase, outputFile string
	key, value                         string
	format                             string // encrypt: the layout to write
}

func (a *app) secureCmd() *cobra.Command {
	var s secureArgs
	cmd := &cobra.Command{
		Use:   "secure",
		Short: "Encrypt, decrypt, read or change a config file protected by a passphrase",
		Long: "A config file holding credentials can be kept encrypted with a passphrase\n" +
			"(AES-256-GCM, key derived with Argon2id; format in docs/operations.md) and mounted\n" +
			"with `cloudfuse mount --secure-config`. The passphrase comes from --passphrase or\n" +
			"$" + config.PassphraseEnv + ". Files are written with mode 0600, through a temporary\n" +
			"file, so a failure never leaves a partial file.",
		Example: "  cloudfuse secure encrypt --config-file=config.yaml --passphrase=SECRET   # writes config.yaml.aes\n" +
			"  cloudfuse secure get -c config.yaml.aes -k s3storage.bucket-name\n" +
			"  cloudfuse secure set -c config.yaml.aes -k logging.level --value=LOG_DEBUG\n" +
			"  cloudfuse secure decrypt -c config.yaml.aes -o -                          # print the YAML",
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageError{errors.New("secure: name an action: encrypt, decrypt, get or set (see cloudfuse secure --help)")}
		},
	}
	pf := cmd.PersistentFlags()
	pf.StringVarP(&s.configFile, "config-file", "c", "", "the config file to encrypt, or the encrypted file to read")
	pf.StringVarP(&s.passphrase, "passphrase", "p", "", "the passphrase (default $"+config.PassphraseEnv+
		", else $"+config.BlobFuse2PassphraseEnv+")")
	pf.StringVarP(&s.outputFile, "output-file", "o", "", "where to write the result; - for standard output")

	encrypt := &cobra.Command{
		Use:   "encrypt",
		Short: "Encrypt a config file (writes <file>.aes and removes the plain file, as Cloudfuse does)",
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return a.secureEncrypt(cmd, &s) },
	}
	encrypt.Flags().StringVar(&s.format, "format", string(config.FormatNative),
		"the layout to write: native, or cloudfuse or blobfuse2 for a file those tools read "+
			"(blobfuse2: the passphrase is the AES key, 16, 24 or 32 bytes or their base64)")
	decrypt := &cobra.Command{
		Use:   "decrypt",
		Short: "Decrypt a config file (writes <file> without .aes; the encrypted file is kept)",
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return a.secureDecrypt(cmd, s) },
	}
	get := &cobra.Command{
		Use:   "get",
		Short: "Print one key of an encrypted config file",
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return a.secureGet(cmd, s) },
	}
	get.Flags().StringVarP(&s.key, "key", "k", "", "dotted key, e.g. s3storage.bucket-name")
	set := &cobra.Command{
		Use:   "set",
		Short: "Change one key of an encrypted config file, keeping it encrypted",
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return a.secureSet(cmd, s) },
	}
	set.Flags().StringVarP(&s.key, "key", "k", "", "dotted key, e.g. logging.level")
	set.Flags().StringVar(&s.value, "value", "", "the new value; a comma-separated list for list keys")
	cmd.AddCommand(encrypt, decrypt, get, set)
	return cmd
}

// securePassphrase returns the passphrase from the flag or the
// environment.
func (a *app) securePassphrase(flag string) ([]byte, error) {
	p := flag
	if p == "" {
		p = a.getenv(config.PassphraseEnv)
	}
	if p == "" {
		p = a.getenv(config.BlobFuse2PassphraseEnv)
	}
	if p == "" {
		return nil, usageError{fmt.Errorf("no passphrase: give --passphrase or set $%s", config.PassphraseEnv)}
	}
	return []byte(p), nil
}

// secureInput checks the flags every action needs and reads the file.
func (a *app) secureInput(s secureArgs) ([]byte, []byte, error) {
	if s.configFile == "" {
		return nil, nil, usageError{errors.New("no --config-file given")}
	}
	pass, err := a.securePassphrase(s.passphrase)
	if err != nil {
		return nil, nil, err
	}
	data, err := os.ReadFile(s.configFile)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", s.configFile, unwrapPath(err))
	}
	return data, pass, nil
}

// openSecure decrypts an encrypted config file's contents, written by
// cloudfuse, Cloudfuse or BlobFuse2, and says which format it had.
func openSecure(name string, data, pass []byte) ([]byte, config.SecureFormat, error) {
	plain, f, err := config.DecryptAny(data, pass)
	if errors.Is(err, config.ErrNotEncrypted) {
		return nil, "", fmt.Errorf("%s is not an encrypted config file (encrypt it with cloudfuse secure encrypt)", name)
	}
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", name, err)
	}
	return plain, f, nil
}

func (a *app) secureEncrypt(cmd *cobra.Command, s *secureArgs) error {
	data, pass, err := a.secureInput(*s)
	if err != nil {
		return err
	}
	if config.IsEncrypted(data) {
		return fmt.Errorf("%s is already encrypted", s.configFile)
	}
	if _, _, err := config.Parse(s.configFile, data); err != nil {
		return fmt.Errorf("not encrypting a config file with errors: %w", err)
	}
	enc, err := config.EncryptAs(data, pass, config.SecureFormat(s.format), a.kdfParams())
	if err != nil {
		return err
	}
	out := s.outputFile
	if out == "" {
		out = s.configFile + config.SecureExtension
	}
	if out == "-" {
		_, err := cmd.OutOrStdout().Write(enc)
		return err
	}
	if err := atomicfile.Write(out, enc, 0o600); err != nil {
		return err
	}
	if sameFile(out, s.configFile) {
		fmt.Fprintf(cmd.OutOrStdout(), "encrypted %s in place\n", s.configFile)
		return nil
	}
	if err := os.Remove(s.configFile); err != nil {
		return fmt.Errorf("encrypted to %s, but could not remove the plain file: %w", out, unwrapPath(err))
	}
	fmt.Fprintf(cmd.OutOrStdout(), "encrypted %s to %s and removed %s\n", s.configFile, out, s.configFile)
	return nil
}

func (a *app) secureDecrypt(cmd *cobra.Command, s secureArgs) error {
	data, pass, err := a.secureInput(s)
	if err != nil {
		return err
	}
	plain, _, err := openSecure(s.configFile, data, pass)
	if err != nil {
		return err
	}
	out := s.outputFile
	if out == "" {
		if !strings.HasSuffix(s.configFile, config.SecureExtension) {
			return usageError{fmt.Errorf("%s does not end in %s; name the output with --output-file", s.configFile, config.SecureExtension)}
		}
		out = strings.TrimSuffix(s.configFile, config.SecureExtension)
	}
	if out == "-" {
		_, err := cmd.OutOrStdout().Write(plain)
		return err
	}
	if err := atomicfile.Write(out, plain, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "decrypted %s to %s\n", s.configFile, out)
	return nil
}

func (a *app) secureGet(cmd *cobra.Command, s secureArgs) error {
	if s.key == "" {
		return usageError{errors.New("no --key given")}
	}
	data, pass, err := a.secureInput(s)
	if err != nil {
		return err
	}
	plain, _, err := openSecure(s.configFile, data, pass)
	if err != nil {
		return err
	}
	v, err := config.GetKey(plain, s.key)
	if err != nil {
		return err
	}
	fmt.Fprintln(cmd.OutOrStdout(), v)
	return nil
}

func (a *app) secureSet(cmd *cobra.Command, s secureArgs) error {
	if s.key == "" || !cmd.Flags().Changed("value") {
		return usageError{errors.New("give both --key and --value")}
	}
	data, pass, err := a.secureInput(s)
	if err != nil {
		return err
	}
	plain, format, err := openSecure(s.configFile, data, pass)
	if err != nil {
		return err
	}
	changed, err := config.SetKey(plain, s.key, s.value)
	if err != nil {
		return fmt.Errorf("%s: %w", s.configFile, err)
	}
	// Written back in the format it had, so the tool that made it still
	// reads it.
	enc, err := config.EncryptAs(changed, pass, format, a.kdfParams())
	if err != nil {
		return err
	}
	out := s.outputFile
	if out == "" {
		out = s.configFile
	}
	if err := atomicfile.Write(out, enc, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "set %s in %s\n", s.key, out)
	return nil
}

// sameFile says whether two names are the same file.
func sameFile(a, b string) bool {
	x, err1 := filepath.Abs(a)
	y, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && x == y
}

// kdfParams are the key derivation costs for new encryptions.
func (a *app) kdfParams() config.KDFParams {
	if a.kdf == (config.KDFParams{}) {
		return config.DefaultKDF()
	}
	return a.kdf
}
