package ocireg_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	ocireg "github.com/ocireg/ocireg/bindings/go"
)

// TestCopyPullPushCarryReferrers: Copy, Pull and Push with Referrers carry
// an image's referrers (all of them, or those of some artifact types), on
// the fallback registry and on the one with the referrers API; without the
// option only the image moves.
func TestCopyPullPushCarryReferrers(t *testing.T) {
	for _, reg := range graphRegistries {
		t.Run(reg.name, func(t *testing.T) {
			ctx := context.Background()
			c, host := graphClient(t, reg.env)
			repo := newRepo(host, "graph-copy")
			data, subject := pushImage(t, c, repo, "v1", "amd64", pattern(64, 3))
			a, err := pushReferrer(t, c, repo, subject, len(data), 1)
			if err != nil {
				t.Fatal(err)
			}
			b, err := pushReferrer(t, c, repo, subject, len(data), 2)
			if err != nil {
				t.Fatal(err)
			}
			both := sortedCopy(a, b)
			cases := []struct {
				name string
				opts *ocireg.ImageOptions
				want []string
			}{
				{"none", nil, nil},
				{"all", &ocireg.ImageOptions{Referrers: true}, both},
				{"typed", &ocireg.ImageOptions{ReferrerArtifactTypes: []string{sigType}}, both},
				{"other-type", &ocireg.ImageOptions{ReferrerArtifactTypes: []string{"application/other"}}, nil},
			}
			for _, tc := range cases {
				dst := newRepo(host, "graph-copy-"+tc.name)
				got, err := c.Copy(ctx, repo+":v1", dst+":v1", tc.opts)
				if err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				if got != subject {
					t.Fatalf("%s: Copy gave %s, want %s", tc.name, got, subject)
				}
				if listed := referrerDigests(t, c, dst+":v1"); !slices.Equal(listed, tc.want) {
					t.Fatalf("%s: referrers of the copy %v, want %v", tc.name, listed, tc.want)
				}
			}

			dir := filepath.Join(t.TempDir(), "layout")
			opts := &ocireg.ImageOptions{Referrers: true, LayoutName: "v1"}
			if _, err := c.Pull(ctx, repo+":v1", dir, opts); err != nil {
				t.Fatal(err)
			}
			pushed := newRepo(host, "graph-pushed")
			if _, err := c.Push(ctx, dir, pushed+":v1", opts); err != nil {
				t.Fatal(err)
			}
			if listed := referrerDigests(t, c, pushed+":v1"); !slices.Equal(listed, both) {
				t.Fatalf("referrers after pull and push %v, want %v", listed, both)
			}
		})
	}
}

// TestCopyCarriesReferrersThroughAnOCIArchive: Copy with Referrers carries
// an image's referrers from a registry into an oci-archive and from there
// into another repository, on both kinds of registry; a docker-archive,
// which cannot hold them, is refused before anything is written.
func TestCopyCarriesReferrersThroughAnOCIArchive(t *testing.T) {
	for _, reg := range graphRegistries {
		t.Run(reg.name, func(t *testing.T) {
			ctx := context.Background()
			c, host := graphClient(t, reg.env)
			repo := newRepo(host, "graph-archive")
			data, subject := pushImage(t, c, repo, "v1", "amd64", pattern(64, 5))
			a, err := pushReferrer(t, c, repo, subject, len(data), 1)
			if err != nil {
				t.Fatal(err)
			}
			opts := &ocireg.ImageOptions{Referrers: true}
			archive := filepath.Join(t.TempDir(), "graph.tar")
			if _, err := c.Copy(ctx, repo+":v1", "oci-archive:"+archive+":v1", opts); err != nil {
				t.Fatal(err)
			}
			dst := newRepo(host, "graph-from-archive")
			got, err := c.Copy(ctx, "oci-archive:"+archive+":v1", dst+":v1", opts)
			if err != nil {
				t.Fatal(err)
			}
			if got != subject {
				t.Fatalf("Copy gave %s, want %s", got, subject)
			}
			if listed := referrerDigests(t, c, dst+":v1"); !slices.Equal(listed, []string{a}) {
				t.Fatalf("referrers after the archive %v, want [%s]", listed, a)
			}

			docker := filepath.Join(t.TempDir(), "docker.tar")
			_, err = c.Copy(ctx, repo+":v1", "docker-archive:"+docker, opts)
			if !errors.Is(err, ocireg.ErrInvalidArgument) {
				t.Fatalf("a docker-archive with referrers gave %v, want INVALID_ARGUMENT", err)
			}
			if _, statErr := os.Stat(docker); !os.IsNotExist(statErr) {
				t.Fatalf("the refused copy left %s behind", docker)
			}
		})
	}
}
