package config

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// cheapKDF keeps the tests fast; the format and code path are the same.
func cheapKDF() KDFParams { return KDFParams{Time: 1, MemoryKiB: 64, Threads: 1} }

func TestEncryptRoundTrip(t *testing.T) {
	plain := []byte("components: [libfuse, s3storage]\ns3storage:\n  secret-key: hunter2\n")
	enc, err := EncryptWith(plain, []byte("pass"), cheapKDF())
	if err != nil {
		t.Fatal(err)
	}
	if !IsEncrypted(enc) || bytes.Contains(enc, []byte("hunter2")) {
		t.Fatalf("output is not encrypted: %q", enc)
	}
	if len(enc) != headerLen+len(plain)+16 {
		t.Fatalf("length %d, want header %d + %d + tag 16", len(enc), headerLen, len(plain))
	}
	got, err := Decrypt(enc, []byte("pass"))
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("decrypt: %q %v", got, err)
	}
	// Two encryptions of the same text differ (random salt and nonce).
	enc2, _ := EncryptWith(plain, []byte("pass"), cheapKDF())
	if bytes.Equal(enc, enc2) {
		t.Fatal("two encryptions are identical")
	}
}

func TestDefaultKDFRoundTrip(t *testing.T) {
	enc, err := Encrypt([]byte("a: b\n"), []byte("pass"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Decrypt(enc, []byte("pass")); err != nil || string(got) != "a: b\n" {
		t.Fatalf("%q %v", got, err)
	}
}

func TestDecryptRefusals(t *testing.T) {
	enc, err := EncryptWith([]byte("a: b\n"), []byte("right"), cheapKDF())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decrypt(enc, []byte("wrong")); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("wrong passphrase: %v", err)
	}
	if _, err := Decrypt([]byte("a: b\n"), []byte("right")); !errors.Is(err, ErrNotEncrypted) {
		t.Errorf("plain file: %v", err)
	}
	if _, err := Decrypt(enc[:headerLen+3], []byte("right")); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("truncated: %v", err)
	}
	// Every byte of the header and body is covered: a flipped bit is
	// refused, never decrypted to something else.
	for _, i := range []int{8, 9, 13, 17, 18, 20, 40, headerLen, len(enc) - 1} {
		bad := bytes.Clone(enc)
		bad[i] ^= 1
		if _, err := Decrypt(bad, []byte("right")); err == nil {
			t.Errorf("byte %d changed and the file still decrypted", i)
		}
	}
	bad := bytes.Clone(enc)
	bad[8] = 2
	if _, err := Decrypt(bad, []byte("right")); err == nil || !strings.Contains(err.Error(), "version 2") {
		t.Errorf("future version: %v", err)
	}
	bad = bytes.Clone(enc)
	bad[14] = 0xff // memory in the GiB range beyond the bound
	if _, err := Decrypt(bad, []byte("right")); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("huge memory: %v", err)
	}
	if _, err := EncryptWith([]byte("x"), nil, cheapKDF()); err == nil {
		t.Error("empty passphrase accepted")
	}
}

func TestLoadRefusesEncryptedFile(t *testing.T) {
	enc, _ := EncryptWith([]byte("a: b\n"), []byte("p"), cheapKDF())
	path := writeConfig(t, string(enc))
	_, _, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), "--secure-config") {
		t.Fatalf("Load of an encrypted file: %v", err)
	}
}
