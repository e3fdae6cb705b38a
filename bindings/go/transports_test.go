package ocireg_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	ocireg "github.com/ocireg/ocireg/bindings/go"
)

// Copy between transports: an oci-archive keeps the digest both ways; a
// docker-archive has no manifest and gets skopeo's generated one, kept
// through dir: and back into the registry; straight into a registry its
// layers are gzipped as skopeo gzips them.
func TestCopyBetweenTransports(t *testing.T) {
	ctx := context.Background()
	c, host := plainClient(t, ocireg.Options{})
	repo := newRepo(host, "transports")
	img := pushSpec(t, c, repo, imageSpec{arch: "amd64", layers: [][]byte{pattern(70000, 9), pattern(600, 10)}})
	tagImage(t, c, repo, "v1", img)
	dir := t.TempDir()

	archive := "oci-archive:" + filepath.Join(dir, "image.tar") + ":v1"
	if got, err := c.Copy(ctx, "docker://"+repo+":v1", archive, nil); err != nil || got != img.digest {
		t.Fatalf("Copy to oci-archive: %s %v (want %s)", got, err, img.digest)
	}
	if got, err := c.Copy(ctx, archive, repo+"-oa:v1", nil); err != nil || got != img.digest {
		t.Fatalf("Copy from oci-archive: %s %v (want %s)", got, err, img.digest)
	}

	docker := "docker-archive:" + filepath.Join(dir, "docker.tar")
	if got, err := c.Copy(ctx, repo+":v1", docker, nil); err != nil || got != img.digest {
		t.Fatalf("Copy to docker-archive: %s %v (want %s)", got, err, img.digest)
	}
	plainDir := filepath.Join(dir, "dir")
	generated, err := c.Copy(ctx, docker, "dir:"+plainDir, nil)
	if err != nil {
		t.Fatalf("Copy docker-archive to dir: %v", err)
	}
	raw, err := os.ReadFile(filepath.Join(plainDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	if want := "sha256:" + hex.EncodeToString(sum[:]); generated != want || generated == img.digest {
		t.Fatalf("generated manifest %s, file hashes to %s, source %s", generated, want, img.digest)
	}
	var m struct {
		Config struct{ Digest string }
		Layers []struct{ Digest string }
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	var layers []string
	for _, l := range m.Layers {
		layers = append(layers, l.Digest)
	}
	if m.Config.Digest != img.config || !slices.Equal(layers, img.layers) {
		t.Fatalf("generated manifest %s: config %s layers %v, want %s %v", raw, m.Config.Digest, layers, img.config, img.layers)
	}
	if got, err := c.Copy(ctx, "dir:"+plainDir, repo+"-da:v1", nil); err != nil || got != generated {
		t.Fatalf("Copy dir to registry: %s %v (want %s)", got, err, generated)
	}
	// Into a registry the layers are gzipped as skopeo gzips them: a new
	// digest, the same on every copy, naming gzip blobs.
	gzipped, err := c.Copy(ctx, docker, repo+"-gz:v1", nil)
	if err != nil || gzipped == generated {
		t.Fatalf("Copy docker-archive to registry: %s %v (plain layers give %s)", gzipped, err, generated)
	}
	if again, err := c.Copy(ctx, docker, repo+"-gz2:v1", nil); err != nil || again != gzipped {
		t.Fatalf("Copy docker-archive to registry again: %s %v (want %s)", again, err, gzipped)
	}
	pushed, err := c.GetManifest(ctx, repo+"-gz:v1")
	if err != nil {
		t.Fatal(err)
	}
	var gz struct{ Layers []struct{ Digest string } }
	if err := json.Unmarshal(pushed.Data, &gz); err != nil || len(gz.Layers) != len(img.layers) {
		t.Fatalf("pushed manifest %s: %v", pushed.Data, err)
	}
	var blob bytes.Buffer
	if err := c.GetBlob(ctx, repo+"-gz", gz.Layers[0].Digest, &blob, nil); err != nil || !bytes.HasPrefix(blob.Bytes(), []byte{0x1f, 0x8b}) {
		t.Fatalf("gzipped layer %s: %v", gz.Layers[0].Digest, err)
	}

	missing := filepath.Join(dir, "missing")
	if _, err := c.Copy(ctx, docker+":@1", "dir:"+missing, nil); !errors.Is(err, ocireg.ErrInvalidArgument) {
		t.Fatalf("docker-archive @1 of one image: %v", err)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Fatalf("a failed copy created %s: %v", missing, err)
	}
}
