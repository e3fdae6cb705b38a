package ocireg_test

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"

	ocireg "github.com/ocireg/ocireg/bindings/go"
)

// TestPlatforms lists the platforms of a real two-platform index and of a
// single image, and fetches the manifest of each platform.
func TestPlatforms(t *testing.T) {
	c, host := plainClient(t, ocireg.Options{})
	ctx := context.Background()
	repo := newRepo(host, "platforms")
	index, imgs := pushIndex(t, c, repo, "multi")
	arch2, variant2 := otherArch()

	want := []ocireg.Platform{
		{OS: "linux", Architecture: runtime.GOARCH, Digest: imgs[0].digest,
			Size: int64(len(imgs[0].data)), MediaType: ocireg.MediaTypeOCIManifest},
		{OS: "linux", Architecture: arch2, Variant: variant2, Digest: imgs[1].digest,
			Size: int64(len(imgs[1].data)), MediaType: ocireg.MediaTypeOCIManifest},
	}
	for _, ref := range []string{repo + ":multi", repo + "@" + index} {
		got, err := c.Platforms(ctx, ref)
		if err != nil {
			t.Fatalf("Platforms(%s): %v", ref, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Platforms(%s) = %+v, want %+v", ref, got, want)
		}
	}

	// A single image: one entry, its platform from the config.
	tagImage(t, c, repo, "single", imgs[1])
	got, err := c.Platforms(ctx, repo+":single")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Architecture != arch2 || got[0].Variant != variant2 ||
		got[0].Digest != imgs[1].digest || got[0].String() != want[1].String() {
		t.Fatalf("Platforms of a single image = %+v", got)
	}

	// The manifest of each platform, by name.
	for i, p := range want {
		m, err := c.GetManifestForPlatform(ctx, repo+":multi", p.String())
		if err != nil {
			t.Fatalf("GetManifestForPlatform(%s): %v", p, err)
		}
		if m.Digest != imgs[i].digest || !bytes.Equal(m.Data, imgs[i].data) || m.MediaType != ocireg.MediaTypeOCIManifest {
			t.Fatalf("GetManifestForPlatform(%s) = %s %s", p, m.Digest, m.MediaType)
		}
	}
	// "" is this machine's.
	if m, err := c.GetManifestForPlatform(ctx, repo+":multi", ""); err != nil || m.Digest != imgs[0].digest {
		t.Fatalf("GetManifestForPlatform(\"\") = %v %v", m, err)
	}
	if _, err := c.GetManifestForPlatform(ctx, repo+":multi", "linux/s390x"); !errors.Is(err, ocireg.ErrNotFound) {
		t.Fatalf("a platform the index lacks: %v", err)
	}
	if _, err := c.GetManifestForPlatform(ctx, repo+":multi", "linux"); !errors.Is(err, ocireg.ErrInvalidArgument) {
		t.Fatalf("a malformed platform: %v", err)
	}
}

// TestRegistryErrors reads the whole OCI error body off a failed call.
func TestRegistryErrors(t *testing.T) {
	c, host := plainClient(t, ocireg.Options{})
	_, err := c.Platforms(context.Background(), newRepo(host, "no-such")+":no-such-tag")
	var e *ocireg.Error
	if !errors.As(err, &e) || !errors.Is(err, ocireg.ErrNotFound) {
		t.Fatalf("want a NOT_FOUND *Error, got %v", err)
	}
	if len(e.RegistryErrors) != 1 {
		t.Fatalf("RegistryErrors = %+v", e.RegistryErrors)
	}
	r := e.RegistryErrors[0]
	if r.Code != e.RegistryCode || r.Message == "" || !strings.HasPrefix(r.Detail, "{") {
		t.Fatalf("entry = %+v (code %q)", r, e.RegistryCode)
	}
	if r.Code != "MANIFEST_UNKNOWN" && r.Code != "NAME_UNKNOWN" {
		t.Fatalf("code = %q", r.Code)
	}
	// A failure without a response has no entries.
	_, err = c.Platforms(context.Background(), "Not A Reference")
	if !errors.As(err, &e) || e.RegistryErrors != nil {
		t.Fatalf("a bad reference: %v %+v", err, e)
	}
}

// TestSetLogger gets one debug line per request, with no credential, and
// nothing once the logger is removed.
func TestSetLogger(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	if err := ocireg.SetLogger(func(level ocireg.LogLevel, msg string) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, level.String()+": "+msg)
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ocireg.SetLogger(nil) })
	c, plain, token := bothClient(t, ocireg.Options{})
	ctx := context.Background()
	for _, host := range []string{plain, token} {
		repo := newRepo(host, "log")
		pushImage(t, c, repo, "v1", "amd64", pattern(100, 5))
		if _, err := c.GetManifest(ctx, repo+":v1"); err != nil {
			t.Fatal(err)
		}
	}
	if err := ocireg.SetLogger(nil); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	n := len(lines)
	all := strings.Join(lines, "\n")
	mu.Unlock()
	for _, want := range []string{
		"debug: GET http://" + plain + "/v2/gotest/log-",
		"/manifests/v1 -> 200 in ",
		"/manifests/v1 -> 201 in ",
		" ms (retry 0)",
	} {
		if !strings.Contains(all, want) {
			t.Fatalf("no %q in the log:\n%s", want, all)
		}
	}
	// The token registry's challenge: the first contact's 401 (or a ping's).
	challenged := false
	for _, line := range strings.Split(all, "\n") {
		challenged = challenged || (strings.Contains(line, " https://"+token+"/v2/") && strings.Contains(line, " -> 401 in "))
	}
	if !challenged {
		t.Fatalf("no 401 from %s in the log:\n%s", token, all)
	}
	for _, secret := range []string{env(t, "OCIREG_TEST_PASS"), "Bearer", "Basic", "eyJ", "uthorization"} {
		if strings.Contains(all, secret) {
			t.Fatalf("%q in the log:\n%s", secret, all)
		}
	}
	if _, err := c.GetManifest(ctx, newRepo(plain, "log")+":none"); err == nil {
		t.Fatal("want an error")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(lines) != n {
		t.Fatalf("lines after SetLogger(nil): %v", lines[n:])
	}
}
