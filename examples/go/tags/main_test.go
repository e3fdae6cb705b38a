package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	ocireg "github.com/ocireg/ocireg/bindings/go"
)

func TestTags(t *testing.T) {
	token := os.Getenv("OCIREG_TEST_TOKEN")
	if token == "" {
		t.Fatal("OCIREG_TEST_TOKEN is not set: run through the registry harness, `make test-go`")
	}
	ca, user, pass := os.Getenv("OCIREG_TEST_CA"), os.Getenv("OCIREG_TEST_USER"), os.Getenv("OCIREG_TEST_PASS")
	c, err := ocireg.NewClient(ocireg.Options{CAFiles: []string{ca}, Credentials: map[string]ocireg.Credential{token: {Username: user, Password: pass}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	repo := token + "/tags-example/app"
	ctx := context.Background()
	cfg, err := c.PushBlobBytes(ctx, repo, []byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	m := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"` + cfg + `","size":2},"layers":[]}`)
	if _, err := c.PutManifestTags(ctx, repo, []string{"1.0", "latest"}, m, ocireg.MediaTypeOCIManifest); err != nil {
		t.Fatal(err)
	}

	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"-ca", ca, "-cred", token + "=" + user + ":" + pass, repo}, &stdout, &stderr)
	if code != 0 || stdout.String() != "1.0\nlatest\n" && stdout.String() != "latest\n1.0\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	code = run(ctx, []string{"-ca", ca, repo}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "not authorized") {
		t.Fatalf("without credentials: exit %d, stderr %q", code, stderr.String())
	}
}
