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

// Short names against two real registries: the first unqualified-search
// registry lacks the image, the second has it; an alias wins over the
// search; enforcing mode refuses the ambiguity.
func TestResolveNameLikePodman(t *testing.T) {
	ctx := context.Background()
	first, second := env(t, "OCIREG_TEST_PLAIN"), env(t, "OCIREG_TEST_DIST3")
	pusher, err := ocireg.NewClient(ocireg.Options{InsecureRegistries: []string{second}})
	if err != nil {
		t.Fatal(err)
	}
	defer pusher.Close()
	short := fmt.Sprintf("gotest/shortname-%d", os.Getpid())
	pushImage(t, pusher, second+"/"+short, "v1", "amd64", pattern(100, 9))

	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	search := fmt.Sprintf("unqualified-search-registries = [%q, %q]\n", first, second)
	entries := fmt.Sprintf("[[registry]]\nlocation = %q\ninsecure = true\n[[registry]]\nlocation = %q\ninsecure = true\n", first, second)
	client := func(conf string) *ocireg.Client {
		c, err := ocireg.NewClient(ocireg.Options{RegistriesConf: conf})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}

	permissive := write("permissive.conf", search+"short-name-mode = \"permissive\"\n"+entries)
	c := client(permissive)
	got, err := c.ResolveName(ctx, short+":v1", true)
	if err != nil || got.Reference != second+"/"+short+":v1" || got.Rationale != "search-registries" ||
		got.Origin != permissive || len(got.Skipped) != 1 || got.Skipped[0].Reference != first+"/"+short+":v1" {
		t.Fatalf("ResolveName(pull) = %+v, %v", got, err)
	}
	if _, err := c.ResolveName(ctx, short+":v1", false); !errors.Is(err, ocireg.ErrInvalidReference) {
		t.Fatalf("ResolveName(not a pull) with two candidates: %v", err)
	}

	enforcing := write("enforcing.conf", search+"short-name-mode = \"enforcing\"\n"+entries+
		fmt.Sprintf("[aliases]\n%q = %q\n", "gotest/aliased", second+"/"+short))
	e := client(enforcing)
	if _, err := e.ResolveName(ctx, short+":v1", true); !errors.Is(err, ocireg.ErrInvalidReference) ||
		!strings.Contains(err.Error(), "ambiguous") || !strings.Contains(err.Error(), enforcing) {
		t.Fatalf("enforcing: %v", err)
	}
	got, err = e.ResolveName(ctx, "gotest/aliased:v1", false)
	if err != nil || got.Reference != second+"/"+short+":v1" || got.Rationale != "alias" {
		t.Fatalf("alias = %+v, %v", got, err)
	}

	none, err := ocireg.NewClient(ocireg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer none.Close()
	got, err = none.ResolveName(ctx, "busybox", true)
	if err != nil || got.Reference != "docker.io/library/busybox:latest" || got.Rationale != "docker-default" {
		t.Fatalf("no registries.conf = %+v, %v", got, err)
	}
}
