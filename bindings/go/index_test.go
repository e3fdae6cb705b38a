package ocireg_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	ocireg "github.com/ocireg/ocireg/bindings/go"
)

// The index as image-spec's Go types (and so oras) write it.
type idxPlatform struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
}

type idxEntry struct {
	MediaType string      `json:"mediaType"`
	Digest    string      `json:"digest"`
	Size      int         `json:"size"`
	Platform  idxPlatform `json:"platform"`
}

type idxIndex struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	Manifests     []idxEntry        `json:"manifests"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

func wantIndex(t *testing.T, annotations map[string]string, entries ...idxEntry) []byte {
	t.Helper()
	b, err := json.Marshal(idxIndex{2, "application/vnd.oci.image.index.v1+json", entries, annotations})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func checkIndex(t *testing.T, c *ocireg.Client, ref, digest string, want []byte) {
	t.Helper()
	m, err := c.GetManifest(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m.Data, want) {
		t.Fatalf("index %s:\n got %s\nwant %s", ref, m.Data, want)
	}
	if digest != "" && m.Digest != digest {
		t.Fatalf("index digest %s, the call said %s", m.Digest, digest)
	}
}

func TestIndexCreateAddRemoveAnnotate(t *testing.T) {
	c, host := plainClient(t, ocireg.Options{})
	ctx := context.Background()
	repo := newRepo(host, "index")
	entry := func(tag, arch string) idxEntry {
		data, d := pushImage(t, c, repo, tag, arch, pattern(100, byte(len(arch))))
		return idxEntry{ocireg.MediaTypeOCIManifest, d, len(data), idxPlatform{arch, "linux"}}
	}
	amd, arm, s390 := entry("amd64", "amd64"), entry("arm64", "arm64"), entry("s390x", "s390x")
	target := repo + ":multi"

	d, err := c.CreateIndex(ctx, target, []string{repo + ":amd64", repo + ":arm64"},
		ocireg.IndexOptions{Annotations: map[string]string{"k": "v"}})
	if err != nil {
		t.Fatal(err)
	}
	checkIndex(t, c, target, d, wantIndex(t, map[string]string{"k": "v"}, amd, arm))

	d, err = c.UpdateIndex(ctx, target, ocireg.IndexUpdate{Add: []string{repo + "@" + s390.Digest}})
	if err != nil {
		t.Fatal(err)
	}
	checkIndex(t, c, target, d, wantIndex(t, map[string]string{"k": "v"}, amd, arm, s390))

	d, err = c.UpdateIndex(ctx, target, ocireg.IndexUpdate{
		RemovePlatforms: []string{"linux/arm64"},
		RemoveDigests:   []string{amd.Digest},
	})
	if err != nil {
		t.Fatal(err)
	}
	checkIndex(t, c, target, d, wantIndex(t, map[string]string{"k": "v"}, s390))

	d, err = c.UpdateIndex(ctx, target, ocireg.IndexUpdate{
		Annotations:       map[string]string{"added": "yes"},
		RemoveAnnotations: []string{"k"},
	})
	if err != nil {
		t.Fatal(err)
	}
	checkIndex(t, c, target, d, wantIndex(t, map[string]string{"added": "yes"}, s390))
}

func TestIndexBadInputPushesNothing(t *testing.T) {
	c, host := plainClient(t, ocireg.Options{})
	ctx := context.Background()
	repo := newRepo(host, "index-bad")
	pushImage(t, c, repo, "amd64", "amd64", pattern(100, 1))
	if _, err := c.CreateIndex(ctx, repo+":idx", []string{repo + ":amd64"}, ocireg.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	many := make([]string, 1001)
	for i := range many {
		many[i] = repo + ":amd64"
	}
	for _, tc := range []struct {
		name    string
		sources []string
		opts    ocireg.IndexOptions
		want    error
		message string
	}{
		{"an index", []string{repo + ":idx"}, ocireg.IndexOptions{}, ocireg.ErrInvalidArgument, "is an index"},
		{"a missing source", []string{repo + ":missing"}, ocireg.IndexOptions{}, ocireg.ErrNotFound, ""},
		{"a duplicate", []string{repo + ":amd64", repo + ":amd64"}, ocireg.IndexOptions{}, ocireg.ErrInvalidArgument, "twice"},
		{"too many", many, ocireg.IndexOptions{}, ocireg.ErrInvalidArgument, "at most 1000"},
		{"an empty key", []string{repo + ":amd64"}, ocireg.IndexOptions{Annotations: map[string]string{"": "v"}}, ocireg.ErrInvalidArgument, ""},
	} {
		_, err := c.CreateIndex(ctx, repo+":bad", tc.sources, tc.opts)
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.message) {
			t.Fatalf("%s: %v", tc.name, err)
		}
		tags, err := c.Tags(ctx, repo)
		if err != nil {
			t.Fatal(err)
		}
		for _, tag := range tags {
			if tag == "bad" {
				t.Fatalf("%s: the index was pushed", tc.name)
			}
		}
	}
	before, err := c.GetManifest(ctx, repo+":idx")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []ocireg.IndexUpdate{
		{RemovePlatforms: []string{"linux/arm64"}},
		{RemoveDigests: []string{digestOf([]byte("nothing"))}},
	} {
		if _, err := c.UpdateIndex(ctx, repo+":idx", u); !errors.Is(err, ocireg.ErrNotFound) {
			t.Fatalf("%+v: %v", u, err)
		}
	}
	if _, err := c.UpdateIndex(ctx, repo+":idx", ocireg.IndexUpdate{RemovePlatforms: []string{"linux"}}); !errors.Is(err, ocireg.ErrInvalidArgument) {
		t.Fatalf("a malformed platform: %v", err)
	}
	after, err := c.GetManifest(ctx, repo+":idx")
	if err != nil || after.Digest != before.Digest {
		t.Fatalf("the index changed: %v", err)
	}
}
