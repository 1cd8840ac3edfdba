package storagetest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// The KMS key name and the region of the MinIO StartSecureMinIO starts.
const (
	SecureKMSKey = "cloudfuse-test-key"
	SecureRegion = "eu-test-1"
)

// SecureServer is a MinIO of its own for a test: TLS with a certificate
// made here, a static KMS key (for SSE-S3 and SSE-KMS) and a region other
// than us-east-1. SSE-C needs TLS; region discovery needs a region.
type SecureServer struct {
	Endpoint string // https://127.0.0.1:port
	CAFile   string // the PEM file of its certificate
}

// StartSecureMinIO starts the server from the MinIO binary
// scripts/testservers.sh built (CLOUDFUSE_TEST_MINIO_BIN), with the given
// root credentials, and stops it by its pid at cleanup. Without the binary
// it skips the test, or fails it under CI.
func StartSecureMinIO(t testing.TB, user, password string) SecureServer {
	t.Helper()
	bin := os.Getenv("CLOUDFUSE_TEST_MINIO_BIN")
	if bin == "" {
		if ci := os.Getenv("CI"); ci != "" && ci != "false" && ci != "0" {
			t.Fatal("CLOUDFUSE_TEST_MINIO_BIN is not set (scripts/testservers.sh exports it)")
		}
		t.Skip("CLOUDFUSE_TEST_MINIO_BIN is not set")
	}
	dir := t.TempDir()
	certs := filepath.Join(dir, "certs")
	if err := os.Mkdir(certs, 0o700); err != nil {
		t.Fatal(err)
	}
	caFile := writeTestCert(t, certs)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	kms := make([]byte, 32)
	rand.Read(kms)
	cmd := exec.Command(bin, "server", filepath.Join(dir, "data"), "--address", addr, "--certs-dir", certs, "--quiet")
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+user, "MINIO_ROOT_PASSWORD="+password,
		"MINIO_KMS_SECRET_KEY="+SecureKMSKey+":"+base64.StdEncoding.EncodeToString(kms),
		"MINIO_SITE_REGION="+SecureRegion, "MINIO_UPDATE=off", "MINIO_CALLHOME_ENABLE=off", "MINIO_BROWSER=off")
	logFile, err := os.Create(filepath.Join(dir, "minio.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logFile.Close()
	})
	s := SecureServer{Endpoint: "https://" + addr, CAFile: caFile}
	pem, _ := os.ReadFile(caFile)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	hc := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := hc.Get(s.Endpoint + "/minio/health/live")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logFile.Name())
			t.Fatalf("the TLS MinIO did not come up: %v\n%s", err, log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// writeTestCert writes a self-signed certificate for 127.0.0.1 and its
// key as MinIO wants them (public.crt, private.key) and returns the
// certificate's path, which is also its CA.
func writeTestCert(t testing.TB, dir string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "cloudfuse test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	crt := filepath.Join(dir, "public.crt")
	write := func(path, typ string, b []byte) {
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(crt, "CERTIFICATE", der)
	write(filepath.Join(dir, "private.key"), "PRIVATE KEY", pk)
	return crt
}
