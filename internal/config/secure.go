package config

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/crypto/argon2"
)

// PassphraseEnv is the environment variable that holds the passphrase of
// an encrypted config file when --passphrase is not given (Cloudfuse's
// name).
const PassphraseEnv = "CLOUDFUSE_SECURE_CONFIG_PASSPHRASE"

// SecureExtension is added to a config file's name by `secure encrypt`.
const SecureExtension = ".aes"

// An encrypted config file is, in version 1 of the format:
//
//	offset size
//	0      8    magic "CFUSEAES"
//	8      1    format version, 1
//	9      1    key derivation, 1 = Argon2id
//	10     4    Argon2 time cost (passes), big-endian
//	14     4    Argon2 memory in KiB, big-endian
//	18     1    Argon2 parallelism (lanes)
//	19     16   salt, random per encryption
//	35     12   AES-GCM nonce, random per encryption
//	47     n+16 AES-256-GCM ciphertext of the n-byte YAML, then the tag
//
// The key is Argon2id(passphrase, salt, time, memory, lanes) with a 32-byte
// output. The 47 header bytes are GCM's additional data, so changing a
// parameter fails authentication like a wrong passphrase does. The
// parameters are read from the file, so a later version may raise them and
// still read old files.
const (
	secureMagic   = "CFUSEAES"
	secureVersion = 1
	kdfArgon2id   = 1
	saltLen       = 16
	nonceLen      = 12
	headerLen     = len(secureMagic) + 1 + 1 + 4 + 4 + 1 + saltLen + nonceLen
)

// KDFParams are the Argon2id costs of an encryption.
type KDFParams struct {
	Time      uint32 // passes over memory
	MemoryKiB uint32
	Threads   uint8
}

// DefaultKDF is RFC 9106's second recommended setting: 3 passes over
// 64 MiB with 4 lanes: about 0.2 s of CPU per derivation.
func DefaultKDF() KDFParams { return KDFParams{Time: 3, MemoryKiB: 64 << 10, Threads: 4} }

// Bounds on parameters read from a file, so a damaged or hostile file
// cannot make decryption take unbounded memory or time.
const (
	maxKDFTime      = 64
	maxKDFMemoryKiB = 4 << 20 // 4 GiB
)

// ErrWrongPassphrase means the passphrase does not open the file, or the
// file was changed after it was encrypted (the two cannot be told apart).
var ErrWrongPassphrase = errors.New("wrong passphrase, or the file was changed after it was encrypted")

// ErrNotEncrypted means the data does not start like an encrypted config
// file.
var ErrNotEncrypted = errors.New("not an encrypted cloudfuse config file")

// IsEncrypted says whether data starts like an encrypted config file.
func IsEncrypted(data []byte) bool {
	return bytes.HasPrefix(data, []byte(secureMagic))
}

// Encrypt encrypts plain with a key derived from passphrase with the
// default costs.
func Encrypt(plain, passphrase []byte) ([]byte, error) {
	return EncryptWith(plain, passphrase, DefaultKDF())
}

// EncryptWith encrypts plain with a key derived from passphrase with the
// given costs.
func EncryptWith(plain, passphrase []byte, p KDFParams) ([]byte, error) {
	if len(passphrase) == 0 {
		return nil, errors.New("the passphrase is empty")
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	hdr := make([]byte, headerLen)
	n := copy(hdr, secureMagic)
	hdr[n], hdr[n+1] = secureVersion, kdfArgon2id
	binary.BigEndian.PutUint32(hdr[n+2:], p.Time)
	binary.BigEndian.PutUint32(hdr[n+6:], p.MemoryKiB)
	hdr[n+10] = p.Threads
	salt, nonce := hdr[n+11:n+11+saltLen], hdr[n+11+saltLen:]
	if _, err := rand.Read(hdr[n+11:]); err != nil {
		return nil, fmt.Errorf("random salt: %w", err)
	}
	aead, err := newAEAD(passphrase, salt, p)
	if err != nil {
		return nil, err
	}
	return aead.Seal(hdr, nonce, plain, hdr), nil
}

// Decrypt returns the plain text of an encrypted config file, or
// ErrNotEncrypted, ErrWrongPassphrase, or an error naming what in the
// header is unusable.
func Decrypt(data, passphrase []byte) ([]byte, error) {
	if !IsEncrypted(data) {
		return nil, ErrNotEncrypted
	}
	if len(data) < headerLen+16 {
		return nil, errors.New("the encrypted config file is truncated")
	}
	n := len(secureMagic)
	if v := data[n]; v != secureVersion {
		return nil, fmt.Errorf("the encrypted config file has format version %d; this cloudfuse reads version %d", v, secureVersion)
	}
	if k := data[n+1]; k != kdfArgon2id {
		return nil, fmt.Errorf("the encrypted config file uses key derivation %d; this cloudfuse knows only 1 (Argon2id)", k)
	}
	p := KDFParams{
		Time:      binary.BigEndian.Uint32(data[n+2:]),
		MemoryKiB: binary.BigEndian.Uint32(data[n+6:]),
		Threads:   data[n+10],
	}
	if err := p.check(); err != nil {
		return nil, fmt.Errorf("the encrypted config file is damaged: %w", err)
	}
	if len(passphrase) == 0 {
		return nil, errors.New("the passphrase is empty")
	}
	hdr := data[:headerLen]
	salt, nonce := hdr[n+11:n+11+saltLen], hdr[n+11+saltLen:]
	aead, err := newAEAD(passphrase, salt, p)
	if err != nil {
		return nil, err
	}
	plain, err := aead.Open(nil, nonce, data[headerLen:], hdr)
	if err != nil {
		return nil, ErrWrongPassphrase
	}
	return plain, nil
}

func (p KDFParams) check() error {
	switch {
	case p.Time < 1 || p.Time > maxKDFTime:
		return fmt.Errorf("Argon2 time cost %d is outside 1..%d", p.Time, maxKDFTime)
	case p.Threads < 1:
		return errors.New("Argon2 parallelism is 0")
	case p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > maxKDFMemoryKiB:
		return fmt.Errorf("Argon2 memory %d KiB is outside %d..%d", p.MemoryKiB, 8*uint32(p.Threads), maxKDFMemoryKiB)
	}
	return nil
}

func newAEAD(passphrase, salt []byte, p KDFParams) (cipher.AEAD, error) {
	key := argon2.IDKey(passphrase, salt, p.Time, p.MemoryKiB, p.Threads, 32)
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
