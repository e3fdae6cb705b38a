package ocireg_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	ocireg "github.com/ocireg/ocireg/bindings/go"
)

// env reads a variable the test harness sets; the test fails without it.
func env(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: run the Go tests through the registry harness, "+
			"`make test-go` or, from the repository root, "+
			"`cargo run --quiet --example test_registry -- sh -c 'cd bindings/go && go test -race ./...'`", name)
	}
	return v
}

var repoSeq atomic.Int64

// newRepo gives a repository name not used by any other test.
func newRepo(host, name string) string {
	return fmt.Sprintf("%s/gotest/%s-%d-%d", host, name, os.Getpid(), repoSeq.Add(1))
}

// plainClient is a client for the plain-HTTP registry.
func plainClient(t testing.TB, opts ocireg.Options) (*ocireg.Client, string) {
	t.Helper()
	host := env(t, "OCIREG_TEST_PLAIN")
	opts.InsecureRegistries = append(opts.InsecureRegistries, host)
	c, err := ocireg.NewClient(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, host
}

// authClient is a client for one of the HTTPS registries ("OCIREG_TEST_TLS"
// or "OCIREG_TEST_TOKEN") with the given password.
func authClient(t testing.TB, which, password string) (*ocireg.Client, string) {
	t.Helper()
	host := env(t, which)
	ca := env(t, "OCIREG_TEST_CA")
	user := env(t, "OCIREG_TEST_USER")
	c, err := ocireg.NewClient(ocireg.Options{
		CAFiles:     []string{ca},
		Credentials: map[string]ocireg.Credential{host: {Username: user, Password: password}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, host
}

func digestOf(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// pattern is n deterministic bytes.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7+i/251) ^ seed
	}
	return b
}

type desc struct {
	MediaType string            `json:"mediaType"`
	Digest    string            `json:"digest"`
	Size      int64             `json:"size"`
	Platform  map[string]string `json:"platform,omitempty"`
}

// pushImage pushes a small image (config + layers) to repo and gives its
// manifest bytes and digest; tag "" pushes by digest.
func pushImage(t testing.TB, c *ocireg.Client, repo, tag string, arch string, layers ...[]byte) ([]byte, string) {
	t.Helper()
	ctx := context.Background()
	config := []byte(fmt.Sprintf(`{"architecture":%q,"os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`, arch))
	cd, err := c.PushBlobBytes(ctx, repo, config)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{
		"schemaVersion": 2,
		"mediaType":     ocireg.MediaTypeOCIManifest,
		"config":        desc{MediaType: "application/vnd.oci.image.config.v1+json", Digest: cd, Size: int64(len(config))},
	}
	var ls []desc
	for _, l := range layers {
		d, err := c.PushBlob(ctx, repo, bytes.NewReader(l), nil)
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, desc{MediaType: "application/vnd.oci.image.layer.v1.tar", Digest: d, Size: int64(len(l))})
	}
	m["layers"] = ls
	data, _ := json.Marshal(m)
	ref := repo + "@" + digestOf(data)
	if tag != "" {
		ref = repo + ":" + tag
	}
	d, err := c.PutManifest(ctx, ref, data, ocireg.MediaTypeOCIManifest)
	if err != nil {
		t.Fatal(err)
	}
	if d != digestOf(data) {
		t.Fatalf("PutManifest digest %s, want %s", d, digestOf(data))
	}
	return data, d
}
