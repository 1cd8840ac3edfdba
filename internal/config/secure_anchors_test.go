package config

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"testing"

	"golang.org/x/crypto/argon2"
)

// The files below are made and read straight from the formats'
// descriptions (Cloudfuse: LE uint16 salt length, salt, LE uint16 nonce
// length, nonce, AES-256-GCM with Argon2id(pass, salt, 1, 64*1014 KiB, 4,
// 32); BlobFuse2: nonce, AES-GCM with the passphrase as key), not through
// the reader under test.

func sealGCM(t *testing.T, key, nonce, plain []byte) []byte {
	t.Helper()
	b, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		t.Fatal(err)
	}
	return g.Seal(nil, nonce, plain, nil)
}

func openGCM(t *testing.T, key, nonce, sealed []byte) []byte {
	t.Helper()
	b, _ := aes.NewCipher(key)
	g, _ := cipher.NewGCM(b)
	plain, err := g.Open(nil, nonce, sealed, nil)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return plain
}

func random(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func cloudfuseFile(t *testing.T, plain, pass []byte) []byte {
	salt, nonce := random(t, 16), random(t, 12)
	key := argon2.IDKey(pass, salt, 1, 64*1014, 4, 32)
	var out []byte
	out = binary.LittleEndian.AppendUint16(out, 16)
	out = append(out, salt...)
	out = binary.LittleEndian.AppendUint16(out, 12)
	out = append(out, nonce...)
	return append(out, sealGCM(t, key, nonce, plain)...)
}

func blobfuse2File(t *testing.T, plain, key []byte) []byte {
	nonce := random(t, 12)
	return append(nonce, sealGCM(t, key, nonce, plain)...)
}

const anchorYAML = "components: [libfuse, file_cache, azstorage]\nazstorage:\n  account-key: c2VjcmV0\n"

func TestReadsTheAnchorsEncryptedConfigs(t *testing.T) {
	plain := []byte(anchorYAML)
	key32 := []byte("0123456789abcdef0123456789abcdef")
	for _, c := range []struct {
		name string
		data []byte
		pass []byte
		want SecureFormat
	}{
		{"cloudfuse", cloudfuseFile(t, plain, []byte("a passphrase")), []byte("a passphrase"), FormatCloudfuse},
		{"blobfuse2 raw key", blobfuse2File(t, plain, key32), key32, FormatBlobFuse2},
		{"blobfuse2 base64 key", blobfuse2File(t, plain, key32[:16]),
			[]byte(base64.StdEncoding.EncodeToString(key32[:16])), FormatBlobFuse2},
	} {
		got, f, err := DecryptAny(c.data, c.pass)
		if err != nil || f != c.want || !bytes.Equal(got, plain) {
			t.Errorf("%s: %q, %s, %v", c.name, got, f, err)
		}
		if _, _, err := DecryptAny(c.data, []byte("wrong passphrase")); !errors.Is(err, ErrWrongPassphrase) {
			t.Errorf("%s with a wrong passphrase: %v", c.name, err)
		}
	}
	if _, _, err := DecryptAny(plain, key32); !errors.Is(err, ErrNotEncrypted) {
		t.Errorf("a plain file: %v", err)
	}
}

func TestWritesTheAnchorsEncryptedConfigs(t *testing.T) {
	plain := []byte(anchorYAML)
	pass := []byte("a passphrase")
	enc, err := EncryptAs(plain, pass, FormatCloudfuse, DefaultKDF())
	if err != nil {
		t.Fatal(err)
	}
	sl := int(binary.LittleEndian.Uint16(enc))
	salt := enc[2 : 2+sl]
	nl := int(binary.LittleEndian.Uint16(enc[2+sl:]))
	nonce := enc[4+sl : 4+sl+nl]
	key := argon2.IDKey(pass, salt, 1, 64*1014, 4, 32)
	if got := openGCM(t, key, nonce, enc[4+sl+nl:]); !bytes.Equal(got, plain) {
		t.Errorf("cloudfuse: %q", got)
	}

	key32 := []byte("0123456789abcdef0123456789abcdef")
	enc, err = EncryptAs(plain, key32, FormatBlobFuse2, DefaultKDF())
	if err != nil {
		t.Fatal(err)
	}
	if got := openGCM(t, key32, enc[:12], enc[12:]); !bytes.Equal(got, plain) {
		t.Errorf("blobfuse2: %q", got)
	}
	if _, err := EncryptAs(plain, []byte("too short"), FormatBlobFuse2, DefaultKDF()); err == nil {
		t.Error("blobfuse2 with a passphrase that is no AES key: no error")
	}
}
