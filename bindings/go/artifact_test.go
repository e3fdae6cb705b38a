package ocireg_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	ocireg "github.com/ocireg/ocireg/bindings/go"
)

// orasPath is the oras binary (`make peers`); the test fails without it.
func orasPath(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(strings.TrimSpace(string(out)), "bin", "oras")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s is missing: run `make peers` (%v)", p, err)
	}
	return p
}

func runOras(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command(orasPath(t), args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("oras %v: %v\n%s", args, err, out)
	}
}

func TestUntagOnDistribution2(t *testing.T) {
	c, host := plainClient(t, ocireg.Options{})
	ctx := context.Background()
	repo := newRepo(host, "untag")
	data, digest := pushImage(t, c, repo, "a", "amd64", pattern(1000, 1))
	if _, err := c.PutManifestTags(ctx, repo, []string{"b"}, data, ocireg.MediaTypeOCIManifest); err != nil {
		t.Fatal(err)
	}
	_, err := c.Untag(ctx, repo+":a", false)
	if !errors.Is(err, ocireg.ErrUnsupported) || !strings.Contains(err.Error(), "does not delete tags") {
		t.Fatalf("untag on 2.8.2: %v", err)
	}
	used, err := c.Untag(ctx, repo+":a", true)
	if err != nil || !used {
		t.Fatalf("untag via throwaway: %v %v", used, err)
	}
	tags, err := c.Tags(ctx, repo)
	if err != nil || len(tags) != 1 || tags[0] != "b" {
		t.Fatalf("tags after untag: %v %v", tags, err)
	}
	if m, err := c.GetManifest(ctx, repo+"@"+digest); err != nil || !bytes.Equal(m.Data, data) {
		t.Fatalf("the manifest stays: %v", err)
	}
	if _, err := c.Untag(ctx, repo+":a", true); !errors.Is(err, ocireg.ErrNotFound) {
		t.Fatalf("untag of an unknown tag: %v", err)
	}
}

func TestUntagOnDistribution3(t *testing.T) {
	host := env(t, "OCIREG_TEST_DIST3")
	c, err := ocireg.NewClient(ocireg.Options{InsecureRegistries: []string{host}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	repo := newRepo(host, "untag")
	data, digest := pushImage(t, c, repo, "a", "amd64", pattern(1000, 2))
	if _, err := c.PutManifestTags(ctx, repo, []string{"b"}, data, ocireg.MediaTypeOCIManifest); err != nil {
		t.Fatal(err)
	}
	used, err := c.Untag(ctx, repo+":a", false)
	if err != nil || used {
		t.Fatalf("untag on v3: %v %v", used, err)
	}
	tags, err := c.Tags(ctx, repo)
	if err != nil || len(tags) != 1 || tags[0] != "b" {
		t.Fatalf("tags after untag: %v %v", tags, err)
	}
	if m, err := c.GetManifest(ctx, repo+"@"+digest); err != nil || !bytes.Equal(m.Data, data) {
		t.Fatalf("the manifest stays: %v", err)
	}
}

func TestArtifactsRoundTripWithOras(t *testing.T) {
	c, host := plainClient(t, ocireg.Options{})
	ctx := context.Background()
	repo := newRepo(host, "artifact")
	src := t.TempDir()
	files := map[string][]byte{"a.txt": []byte("alpha\n"), "b.bin": bytes.Repeat([]byte{7, 1, 3}, 100000)}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(src, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	created := "2022-02-03T04:05:06Z"
	digest, err := c.PushArtifact(ctx, repo+":ours", []ocireg.ArtifactFile{
		{Path: filepath.Join(src, "a.txt")},
		{Path: filepath.Join(src, "b.bin"), MediaType: "application/x-bin"},
	}, ocireg.ArtifactOptions{
		ArtifactType: "application/x-go",
		Annotations:  map[string]string{"org.opencontainers.image.created": created, "k": "v"},
	})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	runOras(t, out, "pull", "--plain-http", "-o", ".", repo+":ours")
	for name, data := range files {
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("oras pulled %s: %v", name, err)
		}
	}
	runOras(t, src, "push", "--plain-http", "--artifact-type", "application/x-go",
		"--annotation", "org.opencontainers.image.created="+created, "--annotation", "k=v",
		repo+":theirs", "a.txt", "b.bin:application/x-bin")
	theirs, err := c.GetManifest(ctx, repo+":theirs")
	if err != nil || theirs.Digest != digest {
		t.Fatalf("oras made %s, we made %s (%v)", theirs.Digest, digest, err)
	}
	dir := filepath.Join(t.TempDir(), "pulled")
	names, err := c.PullArtifact(ctx, repo+":theirs", dir, false)
	sort.Strings(names)
	if err != nil || strings.Join(names, ",") != "a.txt,b.bin" {
		t.Fatalf("pull: %v %v", names, err)
	}
	for name, data := range files {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("we pulled %s: %v", name, err)
		}
	}
	if _, err := c.PullArtifact(ctx, repo+":theirs", dir, false); !errors.Is(err, ocireg.ErrInvalidArgument) {
		t.Fatalf("pull over existing files: %v", err)
	}
	if _, err := c.PullArtifact(ctx, repo+":theirs", dir, true); err != nil {
		t.Fatalf("pull with overwrite: %v", err)
	}
}

func TestArtifactHostileTitle(t *testing.T) {
	c, host := plainClient(t, ocireg.Options{})
	ctx := context.Background()
	repo := newRepo(host, "evil")
	payload := []byte("payload")
	layer, err := c.PushBlobBytes(ctx, repo, payload)
	if err != nil {
		t.Fatal(err)
	}
	config, err := c.PushBlobBytes(ctx, repo, []byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	for i, title := range []string{"../escape", "..", "/abs", "a/b", ""} {
		m, _ := json.Marshal(map[string]any{
			"schemaVersion": 2, "mediaType": ocireg.MediaTypeOCIManifest, "artifactType": "application/x-evil",
			"config": map[string]any{"mediaType": "application/vnd.oci.empty.v1+json", "digest": config, "size": 2},
			"layers": []any{map[string]any{"mediaType": "application/octet-stream", "digest": layer, "size": len(payload),
				"annotations": map[string]string{"org.opencontainers.image.title": title}}},
		})
		ref := repo + ":evil" + string(rune('0'+i))
		if _, err := c.PutManifest(ctx, ref, m, ocireg.MediaTypeOCIManifest); err != nil {
			t.Fatal(err)
		}
		root := t.TempDir()
		dir := filepath.Join(root, "out")
		if _, err := c.PullArtifact(ctx, ref, dir, false); !errors.Is(err, ocireg.ErrInvalidArgument) {
			t.Fatalf("title %q: %v", title, err)
		}
		entries, _ := os.ReadDir(root)
		for _, e := range entries {
			if e.Name() != "out" {
				t.Fatalf("title %q wrote %s", title, e.Name())
			}
		}
		if inside, _ := os.ReadDir(dir); len(inside) != 0 {
			t.Fatalf("title %q wrote into the directory", title)
		}
	}
}
