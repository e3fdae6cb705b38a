package ocireg_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	ocireg "github.com/ocireg/ocireg/bindings/go"
)

// A platform subset ("linux/amd64,linux/s390x") of a three-platform index:
// Copy and Pull write an index naming only those images (a new digest);
// every platform keeps the index; an unknown one fails, writing nothing.
func TestPlatformSubset(t *testing.T) {
	ctx := context.Background()
	c, host := plainClient(t, ocireg.Options{})
	repo := newRepo(host, "subset")
	archs := []string{"amd64", "arm64", "s390x"}
	var children []desc
	digests := map[string]string{}
	for i, arch := range archs {
		img := pushSpec(t, c, repo, imageSpec{arch: arch, layers: [][]byte{pattern(5000, byte(40+i))}})
		if _, err := c.PutManifest(ctx, repo+"@"+img.digest, img.data, ocireg.MediaTypeOCIManifest); err != nil {
			t.Fatal(err)
		}
		digests[arch] = img.digest
		children = append(children, desc{MediaType: ocireg.MediaTypeOCIManifest, Digest: img.digest,
			Size: int64(len(img.data)), Platform: map[string]string{"os": "linux", "architecture": arch}})
	}
	raw, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": ocireg.MediaTypeOCIIndex, "manifests": children})
	index, err := c.PutManifest(ctx, repo+":tri", raw, ocireg.MediaTypeOCIIndex)
	if err != nil {
		t.Fatal(err)
	}

	two := &ocireg.ImageOptions{Platform: "linux/s390x,linux/amd64"}
	got, err := c.Copy(ctx, repo+":tri", repo+"-two:v1", two)
	if err != nil || got == index {
		t.Fatalf("Copy of a subset: %s %v (source %s)", got, err, index)
	}
	m, err := c.GetManifest(ctx, repo+"-two:v1")
	if err != nil || m.Digest != got {
		t.Fatalf("GetManifest: %v %v", m, err)
	}
	var parsed struct{ Manifests []desc }
	if err := json.Unmarshal(m.Data, &parsed); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range parsed.Manifests {
		names = append(names, e.Digest)
	}
	if want := []string{digests["amd64"], digests["s390x"]}; !slices.Equal(names, want) {
		t.Fatalf("the subset index names %v, want %v", names, want)
	}

	dir := t.TempDir()
	layout := filepath.Join(dir, "layout")
	pulled, err := c.Pull(ctx, repo+":tri", layout, &ocireg.ImageOptions{Platform: "linux/amd64,linux/s390x", LayoutName: "two"})
	if err != nil || pulled != got {
		t.Fatalf("Pull of a subset: %s %v (want %s)", pulled, err, got)
	}
	archive := "oci-archive:" + filepath.Join(dir, "two.tar") + ":two"
	if d, err := c.Copy(ctx, "oci:"+layout+":two", archive, &ocireg.ImageOptions{AllPlatforms: true}); err != nil || d != got {
		t.Fatalf("Copy oci: to oci-archive: %s %v (want %s)", d, err, got)
	}
	all := &ocireg.ImageOptions{Platform: "linux/arm64,linux/s390x,linux/amd64"}
	if d, err := c.Copy(ctx, repo+":tri", repo+"-all:v1", all); err != nil || d != index {
		t.Fatalf("Copy of every platform: %s %v (want the index %s)", d, err, index)
	}

	none := filepath.Join(dir, "none.tar")
	bad := &ocireg.ImageOptions{Platform: "linux/amd64,linux/riscv64"}
	if _, err := c.Copy(ctx, repo+":tri", "oci-archive:"+none, bad); !errors.Is(err, ocireg.ErrNotFound) || !strings.Contains(err.Error(), "linux/riscv64") {
		t.Fatalf("an unknown platform: %v", err)
	}
	if _, err := os.Stat(none); !os.IsNotExist(err) {
		t.Fatalf("a failed copy created %s: %v", none, err)
	}
	twice := &ocireg.ImageOptions{Platform: "linux/amd64,linux/amd64"}
	if _, err := c.Copy(ctx, repo+":tri", repo+"-x:v1", twice); !errors.Is(err, ocireg.ErrInvalidArgument) {
		t.Fatalf("a platform listed twice: %v", err)
	}
}
