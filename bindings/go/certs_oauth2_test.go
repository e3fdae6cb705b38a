package ocireg_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ocireg "github.com/ocireg/ocireg/bindings/go"
)

// certDirWithCA makes a certs.d directory holding the test CA as ca.crt.
func certDirWithCA(t *testing.T, dir string) string {
	t.Helper()
	ca, err := os.ReadFile(env(t, "OCIREG_TEST_CA"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ca.crt"), ca, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// tlsPing pings the TLS registry with opts plus the test credentials (no
// CA file: the CA comes from certs.d or not at all).
func tlsPing(t *testing.T, opts ocireg.Options) error {
	t.Helper()
	host := env(t, "OCIREG_TEST_TLS")
	opts.Credentials = map[string]ocireg.Credential{host: {Username: env(t, "OCIREG_TEST_USER"), Password: env(t, "OCIREG_TEST_PASS")}}
	opts.MaxRetries = -1
	c, err := ocireg.NewClient(opts)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Ping(context.Background(), host)
}

func TestCertDirAndCertsDRoots(t *testing.T) {
	tmp := t.TempDir()
	if err := tlsPing(t, ocireg.Options{}); !errors.Is(err, ocireg.ErrTLS) {
		t.Fatalf("without the CA: %v, want ErrTLS", err)
	}
	dir := certDirWithCA(t, filepath.Join(tmp, "certs"))
	if err := tlsPing(t, ocireg.Options{CertDir: dir}); err != nil {
		t.Fatalf("with CertDir: %v", err)
	}
	root := filepath.Join(tmp, "root")
	certDirWithCA(t, filepath.Join(root, env(t, "OCIREG_TEST_TLS")))
	if err := tlsPing(t, ocireg.Options{CertsDRoots: []string{filepath.Join(tmp, "none"), root}, SystemCertsD: true}); err != nil {
		t.Fatalf("with CertsDRoots: %v", err)
	}
	if err := tlsPing(t, ocireg.Options{CertDir: filepath.Join(tmp, "missing")}); !errors.Is(err, ocireg.ErrInvalidArgument) {
		t.Fatalf("a missing CertDir: %v, want ErrInvalidArgument", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "client.key"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := tlsPing(t, ocireg.Options{CertDir: dir})
	if !errors.Is(err, ocireg.ErrTLS) || !strings.Contains(err.Error(), "client.key") {
		t.Fatalf("a key without its certificate: %v", err)
	}
}

func TestOAuth2Options(t *testing.T) {
	host := env(t, "OCIREG_TEST_TOKEN")
	c, err := ocireg.NewClient(ocireg.Options{
		CAFiles:        []string{env(t, "OCIREG_TEST_CA")},
		Credentials:    map[string]ocireg.Credential{host: {Username: env(t, "OCIREG_TEST_USER"), Password: env(t, "OCIREG_TEST_PASS")}},
		ForceOAuth2:    true,
		OfflineToken:   true,
		OAuth2ClientID: "ocireg-go-test",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	repo := newRepo(host, "oauth2")
	data := []byte("pushed with an OAuth2 password grant")
	digest, err := c.PushBlobBytes(ctx, repo, data)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := c.GetBlob(ctx, repo, digest, &got, nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), data) {
		t.Fatal("the blob read back differs")
	}
	if _, err := ocireg.NewClient(ocireg.Options{OAuth2ClientID: "bad\nid"}); !errors.Is(err, ocireg.ErrInvalidArgument) {
		t.Fatalf("a bad client id: %v", err)
	}
}
