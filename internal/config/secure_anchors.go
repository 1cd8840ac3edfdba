package config

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// SecureFormat is a layout of encrypted config files: cloudfuse's own
// (Encrypt), or one of the files Cloudfuse and BlobFuse2 write, which
// `secure` and `mount --secure-config` read too, telling them apart by
// their layout.
type SecureFormat string

const (
	FormatNative    SecureFormat = "native"    // ours: see Encrypt
	FormatCloudfuse SecureFormat = "cloudfuse" // Cloudfuse's `secure encrypt`
	FormatBlobFuse2 SecureFormat = "blobfuse2" // BlobFuse2's `secure encrypt`
)

// BlobFuse2PassphraseEnv is BlobFuse2's passphrase variable, read when
// PassphraseEnv is not set.
const BlobFuse2PassphraseEnv = "BLOBFUSE2_SECURE_CONFIG_PASSPHRASE"

// Cloudfuse's layout: a little-endian uint16 salt length, the salt, a
// uint16 nonce length, the nonce, then AES-256-GCM ciphertext and tag. The
// key is Argon2id(passphrase, salt) with these costs (its memory is
// 64*1014 KiB, as Cloudfuse has it).
const (
	cfTime      = 1
	cfMemoryKiB = 64 * 1014
	cfThreads   = 4
	cfSaltLen   = 16
)

// BlobFuse2's layout: the 12-byte GCM nonce, then AES-GCM ciphertext and
// tag, with the passphrase itself as the key (16, 24 or 32 bytes; also
// accepted base64-encoded).

// DecryptAny opens an encrypted config file in any format it can read and
// says which one it was. ErrNotEncrypted: the data is plain text;
// ErrWrongPassphrase: no format opens with this passphrase.
func DecryptAny(data, passphrase []byte) ([]byte, SecureFormat, error) {
	if IsEncrypted(data) {
		plain, err := Decrypt(data, passphrase)
		return plain, FormatNative, err
	}
	if len(passphrase) == 0 {
		return nil, "", errors.New("the passphrase is empty")
	}
	if plainText(data) {
		return nil, "", ErrNotEncrypted
	}
	if salt, nonce, sealed, ok := cloudfuseParts(data); ok {
		aead, err := gcmWith(argon2.IDKey(passphrase, salt, cfTime, cfMemoryKiB, cfThreads, 32))
		if err == nil {
			if plain, err := aead.Open(nil, nonce, sealed, nil); err == nil {
				return plain, FormatCloudfuse, nil
			}
		}
	}
	for _, key := range blobfuse2Keys(passphrase) {
		aead, err := gcmWith(key)
		if err != nil || len(data) < aead.NonceSize()+aead.Overhead() {
			continue
		}
		n := aead.NonceSize()
		if plain, err := aead.Open(nil, data[:n], data[n:], nil); err == nil {
			return plain, FormatBlobFuse2, nil
		}
	}
	return nil, "", ErrWrongPassphrase
}

// EncryptAs encrypts plain in format f, so the tool that wrote f reads it.
func EncryptAs(plain, passphrase []byte, f SecureFormat, kdf KDFParams) ([]byte, error) {
	if len(passphrase) == 0 {
		return nil, errors.New("the passphrase is empty")
	}
	switch f {
	case FormatNative, "":
		return EncryptWith(plain, passphrase, kdf)
	case FormatCloudfuse:
		salt := make([]byte, cfSaltLen)
		if _, err := rand.Read(salt); err != nil {
			return nil, err
		}
		aead, err := gcmWith(argon2.IDKey(passphrase, salt, cfTime, cfMemoryKiB, cfThreads, 32))
		if err != nil {
			return nil, err
		}
		nonce := make([]byte, aead.NonceSize())
		if _, err := rand.Read(nonce); err != nil {
			return nil, err
		}
		out := binary.LittleEndian.AppendUint16(nil, uint16(len(salt)))
		out = append(out, salt...)
		out = binary.LittleEndian.AppendUint16(out, uint16(len(nonce)))
		out = append(out, nonce...)
		return aead.Seal(out, nonce, plain, nil), nil
	case FormatBlobFuse2:
		keys := blobfuse2Keys(passphrase)
		if len(keys) == 0 {
			return nil, errors.New("a BlobFuse2 passphrase is the key itself: 16, 24 or 32 bytes, or their base64")
		}
		aead, err := gcmWith(keys[0])
		if err != nil {
			return nil, err
		}
		nonce := make([]byte, aead.NonceSize())
		if _, err := rand.Read(nonce); err != nil {
			return nil, err
		}
		return aead.Seal(nonce, nonce, plain, nil), nil
	}
	return nil, fmt.Errorf("unknown format %q (want %s, %s or %s)", f, FormatNative, FormatCloudfuse, FormatBlobFuse2)
}

// cloudfuseParts splits data in Cloudfuse's layout, if it has it.
func cloudfuseParts(data []byte) (salt, nonce, sealed []byte, ok bool) {
	if len(data) < 2 {
		return nil, nil, nil, false
	}
	sl := int(binary.LittleEndian.Uint16(data))
	if sl < 8 || sl > 64 || len(data) < 2+sl+2 {
		return nil, nil, nil, false
	}
	nl := int(binary.LittleEndian.Uint16(data[2+sl:]))
	rest := data[2+sl+2:]
	if nl != 12 || len(rest) < nl+16 {
		return nil, nil, nil, false
	}
	return data[2 : 2+sl], rest[:nl], rest[nl:], true
}

// blobfuse2Keys are the AES keys a BlobFuse2 passphrase can stand for:
// its bytes, or what its base64 decodes to, when 16, 24 or 32 bytes long.
func blobfuse2Keys(passphrase []byte) [][]byte {
	var keys [][]byte
	aesLen := func(n int) bool { return n == 16 || n == 24 || n == 32 }
	if aesLen(len(passphrase)) {
		keys = append(keys, passphrase)
	}
	if dec, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(passphrase))); err == nil && aesLen(len(dec)) {
		keys = append(keys, dec)
	}
	return keys
}

func gcmWith(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// plainText says whether data reads as a text file (a config not
// encrypted): valid UTF-8 without control characters but white space.
func plainText(data []byte) bool {
	if !utf8.Valid(data) {
		return false
	}
	for _, r := range string(data) {
		if r < 0x20 && r != '\n' && r != '\r' && r != '\t' {
			return false
		}
	}
	return true
}
