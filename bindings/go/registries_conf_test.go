package ocireg_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ocireg "github.com/ocireg/ocireg/bindings/go"
)

// The harness's distribution v3 registry mirrors the plain 2.8.2 one: a
// tag only the mirror has is served by it, and the source says so.
func TestRegistriesConfMirrorAndBlocked(t *testing.T) {
	ctx := context.Background()
	primary, mirror := env(t, "OCIREG_TEST_PLAIN"), env(t, "OCIREG_TEST_DIST3")
	pusher, err := ocireg.NewClient(ocireg.Options{InsecureRegistries: []string{mirror}})
	if err != nil {
		t.Fatal(err)
	}
	defer pusher.Close()
	name := fmt.Sprintf("gotest/regconf-%d", os.Getpid())
	_, md := pushImage(t, pusher, mirror+"/"+name, "mirrored", "amd64", pattern(100, 7))

	dir := t.TempDir()
	conf := filepath.Join(dir, "registries.conf")
	text := fmt.Sprintf("[[registry]]\nlocation = %q\ninsecure = true\n[[registry.mirror]]\nlocation = %q\ninsecure = true\n",
		primary, mirror)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := ocireg.NewClient(ocireg.Options{RegistriesConf: conf})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ref := primary + "/" + name + ":mirrored"
	source, err := c.PullSource(ctx, ref)
	if err != nil || source != mirror+"/"+name+":mirrored" {
		t.Fatalf("PullSource(%s) = %q, %v", ref, source, err)
	}
	if d, err := c.Digest(ctx, ref); err != nil || d != md {
		t.Fatalf("Digest through the mirror = %q, %v; want %s", d, err, md)
	}

	blocked := filepath.Join(dir, "blocked.conf")
	if err := os.WriteFile(blocked, []byte(fmt.Sprintf("[[registry]]\nlocation = %q\nblocked = true\n", primary)), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := ocireg.NewClient(ocireg.Options{RegistriesConf: blocked})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := b.Digest(ctx, ref); !errors.Is(err, ocireg.ErrDenied) || !strings.Contains(err.Error(), blocked) {
		t.Fatalf("blocked: %v", err)
	}

	bad := filepath.Join(dir, "bad.conf")
	if err := os.WriteFile(bad, []byte("[[registry]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ocireg.NewClient(ocireg.Options{RegistriesConf: bad}); !errors.Is(err, ocireg.ErrInvalidArgument) ||
		!strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("bad file: %v", err)
	}
}
