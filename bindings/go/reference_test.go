package ocireg_test

import (
	"errors"
	"strings"
	"testing"

	ocireg "github.com/ocireg/ocireg/bindings/go"
)

const refDigest = "sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa"

func TestParseReference(t *testing.T) {
	for _, tc := range []struct {
		text string
		want ocireg.Reference
	}{
		{"ubuntu", ocireg.Reference{
			Registry: "docker.io", APIHost: "registry-1.docker.io", Repository: "library/ubuntu",
			Tag: "latest", Canonical: "docker.io/library/ubuntu:latest", Familiar: "ubuntu:latest",
		}},
		{"index.docker.io/user/app@" + refDigest, ocireg.Reference{
			Registry: "docker.io", APIHost: "registry-1.docker.io", Repository: "user/app",
			Digest: refDigest, Canonical: "docker.io/user/app@" + refDigest, Familiar: "user/app@" + refDigest,
		}},
		{"localhost:5000/a/b:v1", ocireg.Reference{
			Registry: "localhost:5000", APIHost: "localhost:5000", Repository: "a/b", Tag: "v1",
			Canonical: "localhost:5000/a/b:v1", Familiar: "localhost:5000/a/b:v1",
		}},
	} {
		got, err := ocireg.ParseReference(tc.text)
		if err != nil {
			t.Fatalf("ParseReference(%q): %v", tc.text, err)
		}
		if got != tc.want {
			t.Fatalf("ParseReference(%q) = %+v, want %+v", tc.text, got, tc.want)
		}
		if got.String() != tc.want.Canonical {
			t.Fatalf("String() = %q", got.String())
		}
		again, err := ocireg.ParseReference(got.Familiar)
		if err != nil || again != got {
			t.Fatalf("the familiar form %q parses to %+v, %v", got.Familiar, again, err)
		}
	}

	// The 255-byte limit is on the repository path, not registry + path.
	path := strings.Repeat("a", 255)
	long, err := ocireg.ParseReference("a-rather-long-registry-name.example.com:5000/" + path)
	if err != nil || long.Repository != path {
		t.Fatalf("a 255-byte path on a long registry: %+v, %v", long, err)
	}
}

func TestParseReferenceErrors(t *testing.T) {
	for _, tc := range []struct {
		text     string
		sentinel error
		fragment string
	}{
		{"", ocireg.ErrInvalidReference, "empty"},
		{"Ubuntu", ocireg.ErrInvalidReference, "must be lowercase"},
		{"example.com/" + strings.Repeat("a", 256), ocireg.ErrInvalidReference, "more than 255"},
		{"ubuntu@sha256:abc", ocireg.ErrInvalidDigest, "wrong length"},
		{"ubuntu\x00:evil", ocireg.ErrInvalidReference, "NUL"},
	} {
		got, err := ocireg.ParseReference(tc.text)
		if !errors.Is(err, tc.sentinel) {
			t.Fatalf("ParseReference(%q) = %+v, %v; want %v", tc.text, got, err, tc.sentinel)
		}
		var e *ocireg.Error
		if !errors.As(err, &e) || e.Op != "ParseReference" || !strings.Contains(e.Message, tc.fragment) {
			t.Fatalf("ParseReference(%q): %v; want a message with %q", tc.text, err, tc.fragment)
		}
		if got != (ocireg.Reference{}) {
			t.Fatalf("ParseReference(%q) returned %+v with its error", tc.text, got)
		}
	}
}

func TestNormalizeRegistry(t *testing.T) {
	for _, name := range []string{"docker.io", "index.docker.io", "registry-1.docker.io", "https://index.docker.io/v1/"} {
		if got, err := ocireg.NormalizeRegistry(name); err != nil || got != "docker.io" {
			t.Fatalf("NormalizeRegistry(%q) = %q, %v", name, got, err)
		}
	}
	if got, err := ocireg.NormalizeRegistry("Localhost:5000/team"); err != nil || got != "localhost:5000" {
		t.Fatalf("NormalizeRegistry(Localhost:5000/team) = %q, %v", got, err)
	}
	for _, bad := range []string{"bad_host", "localhost:", "a\x00b"} {
		_, err := ocireg.NormalizeRegistry(bad)
		var e *ocireg.Error
		if !errors.Is(err, ocireg.ErrInvalidReference) || !errors.As(err, &e) || !strings.Contains(e.Message, "invalid registry name") {
			t.Fatalf("NormalizeRegistry(%q): %v", bad, err)
		}
	}
}
