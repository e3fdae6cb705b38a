package ocireg_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	ocireg "github.com/ocireg/ocireg/bindings/go"
)

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// The harness's mutual-TLS registry wants a client certificate signed by
// the test CA: with the pair only in a certs.d directory a pull works,
// with the CA alone the handshake is refused.
func TestMutualTLSPairOnlyInCertsD(t *testing.T) {
	ctx := context.Background()
	mtls, ca := env(t, "OCIREG_TEST_MTLS"), env(t, "OCIREG_TEST_CA")
	root := filepath.Join(t.TempDir(), "certs.d")
	pair := filepath.Join(root, mtls)
	caOnly := t.TempDir()
	if err := os.MkdirAll(pair, 0o700); err != nil {
		t.Fatal(err)
	}
	copyFile(t, ca, filepath.Join(pair, "ca.crt"))
	copyFile(t, env(t, "OCIREG_TEST_CLIENT_CERT"), filepath.Join(pair, "client.cert"))
	copyFile(t, env(t, "OCIREG_TEST_CLIENT_KEY"), filepath.Join(pair, "client.key"))
	copyFile(t, ca, filepath.Join(caOnly, "ca.crt"))

	c, err := ocireg.NewClient(ocireg.Options{CertsDRoots: []string{root}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	repo := fmt.Sprintf("%s/gotest/mtls-%d", mtls, os.Getpid())
	_, digest := pushImage(t, c, repo, "v1", "amd64", pattern(100, 5))
	if d, err := c.Digest(ctx, repo+":v1"); err != nil || d != digest {
		t.Fatalf("Digest with the pair = %q, %v; want %s", d, err, digest)
	}

	without, err := ocireg.NewClient(ocireg.Options{CertDir: caOnly})
	if err != nil {
		t.Fatal(err)
	}
	defer without.Close()
	if _, err := without.Digest(ctx, repo+":v1"); !errors.Is(err, ocireg.ErrTLS) && !errors.Is(err, ocireg.ErrNetwork) {
		t.Fatalf("Digest with the CA alone: %v, want a TLS or network error", err)
	}
}
