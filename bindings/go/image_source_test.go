package ocireg_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"

	ocireg "github.com/ocireg/ocireg/bindings/go"
)

// The image-source operations on any transport: the raw manifest, Inspect
// of an archive, Layers into a directory, the intended reference and tags.
func TestImageSourceOperations(t *testing.T) {
	ctx := context.Background()
	c, host := plainClient(t, ocireg.Options{})
	repo := newRepo(host, "source-ops")
	img := pushSpec(t, c, repo, imageSpec{arch: "amd64", labels: map[string]string{"k": "v"},
		layers: [][]byte{pattern(40000, 3), pattern(700, 4)}})
	tagImage(t, c, repo, "v1", img)
	dir := t.TempDir()
	oa := "oci-archive:" + filepath.Join(dir, "image.tar") + ":v1"
	da := "docker-archive:" + filepath.Join(dir, "docker.tar") + ":example.com/go/app:v1"
	for _, to := range []string{oa, da} {
		if _, err := c.Copy(ctx, repo+":v1", to, nil); err != nil {
			t.Fatalf("Copy to %s: %v", to, err)
		}
	}

	m, err := c.SourceManifest(ctx, oa, nil)
	if err != nil || m.Digest != img.digest || string(m.Data) != string(img.data) {
		t.Fatalf("SourceManifest(oci-archive) = %+v, %v; want %s", m, err, img.digest)
	}
	gen, err := c.SourceManifest(ctx, da, nil)
	if err != nil || gen.MediaType != "application/vnd.docker.distribution.manifest.v2+json" {
		t.Fatalf("SourceManifest(docker-archive) = %+v, %v", gen, err)
	}

	info, err := c.Inspect(ctx, da, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != "example.com/go/app" || info.Digest != gen.Digest || info.Labels["k"] != "v" ||
		len(info.Layers) != 2 || info.Layers[0] != img.layers[0] || len(info.RepoTags) != 0 {
		t.Fatalf("Inspect(docker-archive) = %+v", info)
	}
	info, err = c.Inspect(ctx, oa, nil, true)
	if err != nil || info.Name != "" || info.Digest != img.digest {
		t.Fatalf("Inspect(oci-archive) = %+v, %v", info, err)
	}

	out := filepath.Join(dir, "layers")
	files, err := c.Layers(ctx, oa, out, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 3 || files[0].Digest != img.config {
		t.Fatalf("Layers = %+v, want the config %s first and two layers", files, img.config)
	}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(out, f.File))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if "sha256:"+hex.EncodeToString(sum[:]) != f.Digest || f.File != hex.EncodeToString(sum[:]) ||
			int64(len(data)) != f.Size || f.MediaType == "" {
			t.Fatalf("%+v: the file does not hold its blob", f)
		}
	}
	if _, err := c.Layers(ctx, da, out, nil, false); !errors.Is(err, ocireg.ErrInvalidArgument) {
		t.Fatalf("Layers over existing files: %v, want INVALID_ARGUMENT", err)
	}
	var reports int
	opts := &ocireg.ImageOptions{Progress: func(ocireg.ImageProgress) bool { reports++; return true }}
	if _, err := c.Layers(ctx, da, out, opts, true); err != nil || reports == 0 {
		t.Fatalf("Layers with overwrite: %v (%d progress reports)", err, reports)
	}

	if ref, ok, err := ocireg.IntendedDockerReference(da); err != nil || !ok || ref != "example.com/go/app:v1" {
		t.Fatalf("IntendedDockerReference(docker-archive) = %q %v %v", ref, ok, err)
	}
	if ref, ok, err := ocireg.IntendedDockerReference(oa); err != nil || ok || ref != "" {
		t.Fatalf("IntendedDockerReference(oci-archive) = %q %v %v", ref, ok, err)
	}
	if _, _, err := ocireg.IntendedDockerReference("oci:"); !errors.Is(err, ocireg.ErrInvalidArgument) {
		t.Fatalf("IntendedDockerReference(oci:) = %v", err)
	}

	tags, err := c.RepositoryTags(ctx, "docker-archive:"+filepath.Join(dir, "docker.tar"))
	if err != nil || len(tags) != 1 || tags[0] != "example.com/go/app:v1" {
		t.Fatalf("RepositoryTags(docker-archive) = %v, %v", tags, err)
	}
	if tags, err := c.RepositoryTags(ctx, "docker://"+repo); err != nil || len(tags) != 1 || tags[0] != "v1" {
		t.Fatalf("RepositoryTags(docker://) = %v, %v", tags, err)
	}
	if _, err := c.RepositoryTags(ctx, oa); !errors.Is(err, ocireg.ErrUnsupported) {
		t.Fatalf("RepositoryTags(oci-archive) = %v, want UNSUPPORTED", err)
	}
}
