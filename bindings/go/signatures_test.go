package ocireg_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	ocireg "github.com/ocireg/ocireg/bindings/go"
)

// TestSignaturesPutAndGet: a registries.d that keeps simple-signing
// signatures in a file:// lookaside and sigstore ones in the .sig
// attachment, on distribution 2.8.2.
func TestSignaturesPutAndGet(t *testing.T) {
	c, host := plainClient(t, ocireg.Options{})
	ctx := context.Background()
	repo := newRepo(host, "go-sigs")
	_, dig := pushImage(t, c, repo, "v1", "amd64", pattern(300, 3))
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "registries.d")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	yaml := "default-docker:\n  lookaside: file://" + tmp + "/staging\n  use-sigstore-attachments: true\n"
	if err := os.WriteFile(filepath.Join(dir, "test.yaml"), []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := &ocireg.SignatureOptions{RegistriesDir: dir}

	got, err := c.Signatures(ctx, repo+":v1", opts)
	if err != nil || len(got) != 0 {
		t.Fatalf("Signatures before = %+v, %v", got, err)
	}
	simple := ocireg.Signature{Kind: ocireg.SignatureSimpleSigning, Data: []byte{0xA3, 1, 'g', 'o'}}
	sigstore := ocireg.Signature{
		Kind:        ocireg.SignatureSigstore,
		Data:        []byte(`{"critical":{"go":1}}`),
		Annotations: map[string]string{"dev.cosignproject.cosign/signature": "MEUCgo"},
	}
	n, err := c.PutSignatures(ctx, repo+":v1", []ocireg.Signature{simple, sigstore}, opts)
	if err != nil || n != 2 {
		t.Fatalf("PutSignatures = %d, %v", n, err)
	}
	n, err = c.PutSignatures(ctx, repo+":v1", []ocireg.Signature{simple, sigstore}, opts)
	if err != nil || n != 0 {
		t.Fatalf("PutSignatures again = %d, %v", n, err)
	}
	hexDigest := strings.TrimPrefix(dig, "sha256:")
	file := filepath.Join(tmp, "staging", strings.TrimPrefix(repo, host+"/")+"@sha256="+hexDigest, "signature-1")
	if b, err := os.ReadFile(file); err != nil || !bytes.Equal(b, simple.Data) {
		t.Fatalf("lookaside file %s: %q, %v", file, b, err)
	}
	got, err = c.Signatures(ctx, repo+"@"+dig, opts)
	if err != nil {
		t.Fatal(err)
	}
	sigstore.MIMEType = ocireg.CosignPayloadMediaType
	if want := []ocireg.Signature{simple, sigstore}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Signatures = %+v, want %+v", got, want)
	}

	// Bad input: an oversized signature, and an unknown kind; nothing written.
	huge := ocireg.Signature{Kind: ocireg.SignatureSimpleSigning, Data: make([]byte, 5<<20)}
	huge.Data[0] = 0xA3
	if _, err := c.PutSignatures(ctx, repo+":v1", []ocireg.Signature{huge}, opts); !errors.Is(err, ocireg.ErrSizeExceeded) {
		t.Fatalf("huge signature: %v", err)
	}
	if _, err := c.PutSignatures(ctx, repo+":v1", []ocireg.Signature{{Kind: "nope", Data: []byte{1}}}, opts); !errors.Is(err, ocireg.ErrInvalidArgument) {
		t.Fatalf("unknown kind: %v", err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(file), "signature-3")); !os.IsNotExist(err) {
		t.Fatalf("something was written: %v", err)
	}
	// A malformed registries.d names the file and the line.
	if err := os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte("docker:\n  x:\n    lookaside: [oops\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = c.Signatures(ctx, repo+":v1", opts)
	if !errors.Is(err, ocireg.ErrInvalidArgument) || !strings.Contains(err.Error(), "bad.yaml") || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("malformed registries.d: %v", err)
	}
}
