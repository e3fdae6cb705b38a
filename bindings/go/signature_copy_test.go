package ocireg_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	ocireg "github.com/ocireg/ocireg/bindings/go"
)

// TestCopyCarriesSignatures: Copy with Signatures carries a lookaside
// signature to the destination repository, and refuses a layout
// destination before writing anything.
func TestCopyCarriesSignatures(t *testing.T) {
	c, host := plainClient(t, ocireg.Options{})
	ctx := context.Background()
	repo := newRepo(host, "go-sig-copy")
	pushImage(t, c, repo, "v1", "amd64", pattern(200, 5))
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "registries.d")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	yaml := "default-docker:\n  lookaside: file://" + tmp + "/lookaside\n"
	if err := os.WriteFile(filepath.Join(dir, "test.yaml"), []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	sigOpts := &ocireg.SignatureOptions{RegistriesDir: dir}
	simple := ocireg.Signature{Kind: ocireg.SignatureSimpleSigning, Data: []byte{0xA3, 1, 'c', 'p'}}
	if n, err := c.PutSignatures(ctx, repo+":v1", []ocireg.Signature{simple}, sigOpts); err != nil || n != 1 {
		t.Fatalf("PutSignatures = %d, %v", n, err)
	}
	dst := newRepo(host, "go-sig-copy-dst")
	opts := &ocireg.ImageOptions{Signatures: true, RegistriesD: dir}
	if _, err := c.Copy(ctx, repo+":v1", dst+":v1", opts); err != nil {
		t.Fatal(err)
	}
	got, err := c.Signatures(ctx, dst+":v1", sigOpts)
	if err != nil || !reflect.DeepEqual(got, []ocireg.Signature{simple}) {
		t.Fatalf("Signatures of the copy = %+v, %v", got, err)
	}
	layout := filepath.Join(tmp, "layout")
	if _, err := c.Copy(ctx, repo+":v1", "oci:"+layout, opts); !errors.Is(err, ocireg.ErrInvalidArgument) {
		t.Fatalf("Copy with Signatures to a layout: %v", err)
	}
	if _, err := os.Stat(layout); !os.IsNotExist(err) {
		t.Fatalf("the layout was written: %v", err)
	}
}
