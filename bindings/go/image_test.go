package ocireg_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	ocireg "github.com/ocireg/ocireg/bindings/go"
)

// imageSpec describes a test image.
type imageSpec struct {
	arch, variant string
	labels        map[string]string
	env           []string
	layers        [][]byte
}

type pushed struct {
	data   []byte // the manifest
	digest string // of the manifest
	config string // the config's digest
	layers []string
	size   int64 // of config and layers
}

// pushSpec pushes config, layers and manifest (by digest) to repo.
func pushSpec(t testing.TB, c *ocireg.Client, repo string, s imageSpec) pushed {
	t.Helper()
	ctx := context.Background()
	var p pushed
	var ls []desc
	var diffIDs []string
	for _, l := range s.layers {
		d, err := c.PushBlob(ctx, repo, bytes.NewReader(l), nil)
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, desc{MediaType: "application/vnd.oci.image.layer.v1.tar", Digest: d, Size: int64(len(l))})
		diffIDs = append(diffIDs, d)
		p.layers = append(p.layers, d)
		p.size += int64(len(l))
	}
	cfg := map[string]any{
		"created":      "2024-05-06T07:08:09Z",
		"architecture": s.arch,
		"os":           "linux",
		"config":       map[string]any{"Labels": s.labels, "Env": s.env},
		"rootfs":       map[string]any{"type": "layers", "diff_ids": diffIDs},
	}
	if s.variant != "" {
		cfg["variant"] = s.variant
	}
	config, _ := json.Marshal(cfg)
	cd, err := c.PushBlobBytes(ctx, repo, config)
	if err != nil {
		t.Fatal(err)
	}
	p.config = cd
	p.size += int64(len(config))
	p.data, _ = json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     ocireg.MediaTypeOCIManifest,
		"config":        desc{MediaType: "application/vnd.oci.image.config.v1+json", Digest: cd, Size: int64(len(config))},
		"layers":        ls,
	})
	p.digest, err = c.PutManifest(ctx, repo+"@"+digestOf(p.data), p.data, ocireg.MediaTypeOCIManifest)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// tagImage tags a pushed image.
func tagImage(t testing.TB, c *ocireg.Client, repo, tag string, p pushed) {
	t.Helper()
	if _, err := c.PutManifest(context.Background(), repo+":"+tag, p.data, ocireg.MediaTypeOCIManifest); err != nil {
		t.Fatal(err)
	}
}

// otherArch is an architecture that is not this machine's.
func otherArch() (arch, variant string) {
	if runtime.GOARCH == "arm64" {
		return "amd64", ""
	}
	return "arm64", "v8"
}

// pushIndex pushes a two-platform index (this machine's and another) under
// tag and gives its digest and the two images (this machine's first).
func pushIndex(t testing.TB, c *ocireg.Client, repo, tag string) (string, []pushed) {
	t.Helper()
	shared := pattern(200000, 1)
	arch2, variant2 := otherArch()
	imgs := []pushed{
		pushSpec(t, c, repo, imageSpec{arch: runtime.GOARCH, labels: map[string]string{"which": "host"}, layers: [][]byte{shared, pattern(3000, 2)}}),
		pushSpec(t, c, repo, imageSpec{arch: arch2, variant: variant2, labels: map[string]string{"which": "other"}, layers: [][]byte{shared, pattern(4000, 3)}}),
	}
	children := []desc{
		{MediaType: ocireg.MediaTypeOCIManifest, Digest: imgs[0].digest, Size: int64(len(imgs[0].data)),
			Platform: map[string]string{"os": "linux", "architecture": runtime.GOARCH}},
		{MediaType: ocireg.MediaTypeOCIManifest, Digest: imgs[1].digest, Size: int64(len(imgs[1].data)),
			Platform: map[string]string{"os": "linux", "architecture": arch2, "variant": variant2}},
	}
	index, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": ocireg.MediaTypeOCIIndex, "manifests": children})
	d, err := c.PutManifest(context.Background(), repo+":"+tag, index, ocireg.MediaTypeOCIIndex)
	if err != nil {
		t.Fatal(err)
	}
	return d, imgs
}

// bothClient is a client for the plain and the token registry.
func bothClient(t testing.TB, opts ocireg.Options) (c *ocireg.Client, plain, token string) {
	t.Helper()
	plain, token = env(t, "OCIREG_TEST_PLAIN"), env(t, "OCIREG_TEST_TOKEN")
	opts.InsecureRegistries = append(opts.InsecureRegistries, plain)
	opts.CAFiles = append(opts.CAFiles, env(t, "OCIREG_TEST_CA"))
	opts.Credentials = map[string]ocireg.Credential{
		token: {Username: env(t, "OCIREG_TEST_USER"), Password: env(t, "OCIREG_TEST_PASS")},
	}
	c, err := ocireg.NewClient(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, plain, token
}

// checkLayout checks the OCI layout dir: oci-layout, index.json naming
// digest name, every blob named by the manifests present, no temporary
// file, and skopeo reading the same digest.
func checkLayout(t *testing.T, dir, name, digest string, blobs ...string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "oci-layout"))
	if err != nil {
		t.Fatal(err)
	}
	var layout struct{ ImageLayoutVersion string }
	if err := json.Unmarshal(b, &layout); err != nil || layout.ImageLayoutVersion != "1.0.0" {
		t.Fatalf("oci-layout: %s (%v)", b, err)
	}
	b, err = os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var index struct {
		SchemaVersion int `json:"schemaVersion"`
		Manifests     []struct {
			Digest      string            `json:"digest"`
			Annotations map[string]string `json:"annotations"`
		} `json:"manifests"`
	}
	if err := json.Unmarshal(b, &index); err != nil || index.SchemaVersion != 2 {
		t.Fatalf("index.json: %s (%v)", b, err)
	}
	found := false
	for _, m := range index.Manifests {
		if m.Annotations["org.opencontainers.image.ref.name"] == name {
			if m.Digest != digest {
				t.Fatalf("index.json names %s %s, want %s", name, m.Digest, digest)
			}
			found = true
		}
	}
	if !found {
		t.Fatalf("index.json has no image named %q: %s", name, b)
	}
	for _, d := range append(blobs, digest) {
		data, err := os.ReadFile(filepath.Join(dir, "blobs", "sha256", strings.TrimPrefix(d, "sha256:")))
		if err != nil {
			t.Fatal(err)
		}
		if digestOf(data) != d {
			t.Fatalf("blob %s holds %s", d, digestOf(data))
		}
	}
	noTempFiles(t, dir)
	out, err := exec.Command("skopeo", "--insecure-policy", "inspect", "oci:"+dir+":"+name).CombinedOutput()
	if err != nil {
		t.Fatalf("skopeo inspect: %v\n%s", err, out)
	}
	var info ocireg.ImageInfo // skopeo's own output decodes into ImageInfo
	if err := json.Unmarshal(out, &info); err != nil {
		t.Fatalf("skopeo inspect: %v\n%s", err, out)
	}
	if info.Digest != digest {
		t.Fatalf("skopeo inspect reports %s, want %s", info.Digest, digest)
	}
}

// noTempFiles fails if a temporary file is left in the layout's blobs.
func noTempFiles(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "blobs", "sha256"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

func TestPullPushSingle(t *testing.T) {
	ctx := context.Background()
	c, host := plainClient(t, ocireg.Options{})
	repo := newRepo(host, "pull-single")
	img := pushSpec(t, c, repo, imageSpec{arch: "amd64", layers: [][]byte{pattern(100000, 4), pattern(5000, 5)}})
	tagImage(t, c, repo, "v1", img)

	dir := t.TempDir()
	got, err := c.Pull(ctx, repo+":v1", dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got != img.digest {
		t.Fatalf("Pull gave %s, want %s", got, img.digest)
	}
	checkLayout(t, dir, "v1", img.digest, append([]string{img.config}, img.layers...)...)

	// A second image in the same layout, under another name.
	other := pushSpec(t, c, repo, imageSpec{arch: "amd64", layers: [][]byte{pattern(100000, 4), pattern(6000, 6)}})
	got, err = c.Pull(ctx, repo+"@"+other.digest, dir, &ocireg.ImageOptions{LayoutName: "second"})
	if err != nil || got != other.digest {
		t.Fatalf("Pull by digest: %s %v", got, err)
	}
	checkLayout(t, dir, "second", other.digest, other.layers...)
	checkLayout(t, dir, "v1", img.digest)

	// Push it back: the layout has two images now, so one must be named.
	dst := newRepo(host, "push-single")
	if _, err := c.Push(ctx, dir, dst+":v1", nil); !errors.Is(err, ocireg.ErrInvalidArgument) {
		t.Fatalf("Push of a layout with two images, no name: %v", err)
	}
	_, srcPath, _ := strings.Cut(repo, "/")
	got, err = c.Push(ctx, dir, dst+":v1", &ocireg.ImageOptions{LayoutName: "v1", MountFrom: []string{srcPath}})
	if err != nil || got != img.digest {
		t.Fatalf("Push: %s %v", got, err)
	}
	m, err := c.GetManifest(ctx, dst+":v1")
	if err != nil || m.Digest != img.digest || !bytes.Equal(m.Data, img.data) {
		t.Fatalf("pushed manifest: %+v %v", m, err)
	}
	for _, b := range append([]string{img.config}, img.layers...) {
		if _, err := c.HeadBlob(ctx, dst, b); err != nil {
			t.Fatalf("blob %s: %v", b, err)
		}
	}

	// An image that does not exist.
	if _, err := c.Pull(ctx, repo+":no-such-tag", t.TempDir(), nil); !errors.Is(err, ocireg.ErrNotFound) {
		t.Fatalf("Pull of a missing tag: %v", err)
	}
	if _, err := c.Push(ctx, dir, dst+":v2", &ocireg.ImageOptions{LayoutName: "nope"}); !errors.Is(err, ocireg.ErrNotFound) {
		t.Fatalf("Push of a missing layout name: %v", err)
	}
	if _, err := c.Pull(ctx, repo+":v1", t.TempDir(), &ocireg.ImageOptions{Platform: "not a platform"}); !errors.Is(err, ocireg.ErrInvalidArgument) {
		t.Fatalf("a bad Platform: %v", err)
	}
}

func TestPullPushIndex(t *testing.T) {
	ctx := context.Background()
	c, host := plainClient(t, ocireg.Options{})
	repo := newRepo(host, "pull-index")
	index, imgs := pushIndex(t, c, repo, "multi")

	dir := t.TempDir()
	got, err := c.Pull(ctx, repo+":multi", dir, &ocireg.ImageOptions{AllPlatforms: true})
	if err != nil {
		t.Fatal(err)
	}
	if got != index {
		t.Fatalf("Pull gave %s, want the index %s", got, index)
	}
	var all []string
	for _, img := range imgs {
		all = append(all, img.digest, img.config)
		all = append(all, img.layers...)
	}
	checkLayout(t, dir, "multi", index, all...)

	// One platform: the other one's image.
	arch2, variant2 := otherArch()
	one := t.TempDir()
	got, err = c.Pull(ctx, repo+":multi", one, &ocireg.ImageOptions{Platform: "linux/" + arch2 + "/" + variant2, LayoutName: "other"})
	if err != nil || got != imgs[1].digest {
		t.Fatalf("Pull of one platform: %s %v (want %s)", got, err, imgs[1].digest)
	}
	checkLayout(t, one, "other", imgs[1].digest, imgs[1].layers...)
	// Without options: this machine's.
	got, err = c.Pull(ctx, repo+":multi", one, nil)
	if err != nil || got != imgs[0].digest {
		t.Fatalf("Pull of this platform: %s %v (want %s)", got, err, imgs[0].digest)
	}

	// Push the whole index to a new repository: same digests.
	dst := newRepo(host, "push-index")
	got, err = c.Push(ctx, dir, dst+":multi", &ocireg.ImageOptions{AllPlatforms: true})
	if err != nil || got != index {
		t.Fatalf("Push of the index: %s %v (want %s)", got, err, index)
	}
	m, err := c.GetManifest(ctx, dst+":multi")
	if err != nil || m.Digest != index || m.MediaType != ocireg.MediaTypeOCIIndex {
		t.Fatalf("pushed index: %+v %v", m, err)
	}
	for _, img := range imgs {
		if h, err := c.HeadManifest(ctx, dst+"@"+img.digest); err != nil || h.Digest != img.digest {
			t.Fatalf("child %s: %+v %v", img.digest, h, err)
		}
	}
}

func TestCopyAllPlatforms(t *testing.T) {
	ctx := context.Background()
	c, plain, token := bothClient(t, ocireg.Options{Concurrency: 3})
	src := newRepo(plain, "copy-src")
	index, imgs := pushIndex(t, c, src, "multi")

	dst := newRepo(token, "copy-dst")
	var mu sync.Mutex
	var reports []ocireg.ImageProgress
	got, err := c.Copy(ctx, src+":multi", dst+":multi", &ocireg.ImageOptions{
		AllPlatforms: true,
		Progress: func(p ocireg.ImageProgress) bool {
			mu.Lock()
			reports = append(reports, p)
			mu.Unlock()
			return true
		},
	})
	if err != nil || got != index {
		t.Fatalf("Copy: %s %v (want %s)", got, err, index)
	}
	if len(reports) == 0 {
		t.Fatal("Progress was never called")
	}
	m, err := c.GetManifest(ctx, dst+":multi")
	if err != nil || m.Digest != index || m.MediaType != ocireg.MediaTypeOCIIndex {
		t.Fatalf("copied index: %+v %v", m, err)
	}
	for _, img := range imgs {
		if h, err := c.HeadManifest(ctx, dst+"@"+img.digest); err != nil || h.Digest != img.digest {
			t.Fatalf("child %s: %+v %v", img.digest, h, err)
		}
		for _, b := range append([]string{img.config}, img.layers...) {
			if _, err := c.HeadBlob(ctx, dst, b); err != nil {
				t.Fatalf("blob %s: %v", b, err)
			}
		}
	}

	// Back into the plain registry, one platform only, from the copy.
	back := newRepo(plain, "copy-back")
	got, err = c.Copy(ctx, dst+":multi", back+":host", nil)
	if err != nil || got != imgs[0].digest {
		t.Fatalf("Copy of one platform: %s %v (want %s)", got, err, imgs[0].digest)
	}
	// Within one registry (mounted from the source repository).
	same := newRepo(plain, "copy-same")
	got, err = c.Copy(ctx, src+":multi", same+":multi", &ocireg.ImageOptions{AllPlatforms: true})
	if err != nil || got != index {
		t.Fatalf("Copy within a registry: %s %v", got, err)
	}
	if _, err := c.Copy(ctx, src+":nope", same+":nope", nil); !errors.Is(err, ocireg.ErrNotFound) {
		t.Fatalf("Copy of a missing tag: %v", err)
	}
}

func TestSave(t *testing.T) {
	ctx := context.Background()
	c, host := plainClient(t, ocireg.Options{})
	repo := newRepo(host, "save")
	img := pushSpec(t, c, repo, imageSpec{arch: "amd64", layers: [][]byte{pattern(70000, 7), pattern(513, 8)}})
	tagImage(t, c, repo, "v1", img)

	file := filepath.Join(t.TempDir(), "image.tar")
	got, err := c.Save(ctx, repo+":v1", file, nil)
	if err != nil || got != img.digest {
		t.Fatalf("Save: %s %v (want %s)", got, err, img.digest)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	files := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = b
	}
	var manifest []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil || len(manifest) != 1 {
		t.Fatalf("manifest.json: %s (%v)", files["manifest.json"], err)
	}
	entry := manifest[0]
	if cfg, ok := files[entry.Config]; !ok || digestOf(cfg) != img.config {
		t.Fatalf("manifest.json names config %q: present %v, want %s", entry.Config, ok, img.config)
	}
	if !slices.Equal(entry.RepoTags, []string{repo + ":v1"}) {
		t.Fatalf("RepoTags %v", entry.RepoTags)
	}
	if len(entry.Layers) != len(img.layers) {
		t.Fatalf("Layers %v", entry.Layers)
	}
	for i, l := range entry.Layers {
		if digestOf(files[l]) != img.layers[i] {
			t.Fatalf("layer %d (%s) does not hold %s", i, l, img.layers[i])
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(file))
	if len(entries) != 1 {
		t.Fatalf("Save left %d files", len(entries))
	}
}

func TestInspect(t *testing.T) {
	ctx := context.Background()
	c, host := plainClient(t, ocireg.Options{})
	repo := newRepo(host, "inspect")
	img := pushSpec(t, c, repo, imageSpec{
		arch:   "riscv64",
		labels: map[string]string{"org.example.team": "registry", "version": "1.2"},
		env:    []string{"PATH=/usr/bin", "LANG=C.UTF-8"},
		layers: [][]byte{pattern(1000, 9), pattern(2000, 10)},
	})
	tagImage(t, c, repo, "v1", img)
	tagImage(t, c, repo, "v2", img)

	info, err := c.Inspect(ctx, repo+":v1", nil, true)
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	if info.Name != repo || info.Digest != img.digest || info.Architecture != "riscv64" || info.Os != "linux" ||
		info.Variant != "" || info.Created == nil || !info.Created.Equal(want) {
		t.Fatalf("Inspect: %+v", info)
	}
	if len(info.Labels) != 2 || info.Labels["org.example.team"] != "registry" || info.Labels["version"] != "1.2" {
		t.Fatalf("Labels %v", info.Labels)
	}
	if !slices.Equal(info.Env, []string{"PATH=/usr/bin", "LANG=C.UTF-8"}) {
		t.Fatalf("Env %v", info.Env)
	}
	tags := slices.Clone(info.RepoTags)
	slices.Sort(tags)
	if !slices.Equal(tags, []string{"v1", "v2"}) {
		t.Fatalf("RepoTags %v", info.RepoTags)
	}
	if !slices.Equal(info.Layers, img.layers) || len(info.LayersData) != 2 {
		t.Fatalf("Layers %v, LayersData %+v", info.Layers, info.LayersData)
	}
	for i, l := range info.LayersData {
		if l.Digest != img.layers[i] || l.Size != int64(1000*(i+1)) || l.MIMEType != "application/vnd.oci.image.layer.v1.tar" {
			t.Fatalf("LayersData[%d] = %+v", i, l)
		}
	}
	info, err = c.Inspect(ctx, repo+"@"+img.digest, nil, false)
	if err != nil || len(info.RepoTags) != 0 {
		t.Fatalf("Inspect without tags: %+v %v", info, err)
	}

	// Through an index: the platform's config, the index's digest.
	index, imgs := pushIndex(t, c, repo, "multi")
	arch2, variant2 := otherArch()
	info, err = c.Inspect(ctx, repo+":multi", &ocireg.ImageOptions{Platform: "linux/" + arch2 + "/" + variant2}, false)
	if err != nil {
		t.Fatal(err)
	}
	if info.Digest != index || info.Architecture != arch2 || info.Variant != variant2 || info.Labels["which"] != "other" ||
		!slices.Equal(info.Layers, imgs[1].layers) {
		t.Fatalf("Inspect of the index for %s/%s: %+v", arch2, variant2, info)
	}
	if _, err := c.Inspect(ctx, repo+":no-such-tag", nil, false); !errors.Is(err, ocireg.ErrNotFound) {
		t.Fatalf("Inspect of a missing tag: %v", err)
	}
}

// bigImage pushes an image of n layers of mib MiB each, tagged "big".
func bigImage(t testing.TB, c *ocireg.Client, repo string, n, mib int) pushed {
	t.Helper()
	var layers [][]byte
	for i := 0; i < n; i++ {
		layers = append(layers, bytes.Repeat(pattern(1<<20, byte(100+i)), mib))
	}
	p := pushSpec(t, c, repo, imageSpec{arch: "amd64", layers: layers})
	tagImage(t, c, repo, "big", p)
	return p
}

// The abort and cancel tests run one blob at a time: with more, libocireg
// may leave an empty temporary file behind (TestAbortConcurrentLeak).

func TestImageProgressAndAbort(t *testing.T) {
	ctx := context.Background()
	c, host := plainClient(t, ocireg.Options{Concurrency: 1})
	repo := newRepo(host, "progress")
	img := bigImage(t, c, repo, 4, 4)

	// Progress sees every byte.
	dir := t.TempDir()
	var reports []ocireg.ImageProgress
	got, err := c.Pull(ctx, repo+":big", dir, &ocireg.ImageOptions{Progress: func(p ocireg.ImageProgress) bool {
		reports = append(reports, p)
		return true
	}})
	if err != nil || got != img.digest {
		t.Fatalf("Pull: %s %v", got, err)
	}
	if len(reports) < 2 {
		t.Fatalf("%d progress reports", len(reports))
	}
	if last := reports[len(reports)-1]; last.Done != last.Total {
		t.Fatalf("last report %+v", last)
	}
	perBlob := map[string]int64{}
	for _, p := range reports {
		if p.Total != img.size || p.Done > p.Total || p.BlobDone > p.BlobTotal {
			t.Fatalf("bad report %+v (image size %d)", p, img.size)
		}
		perBlob[p.Digest] = max(perBlob[p.Digest], p.BlobDone)
	}
	for _, l := range img.layers {
		if perBlob[l] != 4<<20 {
			t.Fatalf("layer %s reported up to %d bytes", l, perBlob[l])
		}
	}
	checkLayout(t, dir, "big", img.digest, img.layers...)

	// Returning false stops the pull.
	dir = t.TempDir()
	calls := 0
	_, err = c.Pull(ctx, repo+":big", dir, &ocireg.ImageOptions{Progress: func(p ocireg.ImageProgress) bool {
		calls++
		return false
	}})
	if !errors.Is(err, ocireg.ErrAborted) {
		t.Fatalf("Pull with Progress returning false: %v", err)
	}
	if calls != 1 {
		t.Fatalf("Progress called %d times after returning false", calls)
	}
	noTempFiles(t, dir)

	// A panic in Progress stops the call and is re-raised after it.
	dir = t.TempDir()
	func() {
		defer func() {
			r := recover()
			if r == nil || !strings.Contains(fmt.Sprint(r), "progress exploded") {
				t.Fatalf("recovered %v", r)
			}
		}()
		c.Copy(ctx, repo+":big", newRepo(host, "progress-panic")+":big", &ocireg.ImageOptions{Progress: func(ocireg.ImageProgress) bool {
			panic("progress exploded")
		}})
		t.Fatal("no panic")
	}()
	func() {
		defer func() {
			if r := recover(); r == nil {
				t.Fatal("no panic from Pull")
			}
		}()
		c.Pull(ctx, repo+":big", dir, &ocireg.ImageOptions{Progress: func(ocireg.ImageProgress) bool {
			panic("again")
		}})
	}()
	noTempFiles(t, dir)

	// The client still works, and an aborted layout is completed by a
	// second pull.
	got, err = c.Pull(ctx, repo+":big", dir, nil)
	if err != nil || got != img.digest {
		t.Fatalf("Pull after the panic: %s %v", got, err)
	}
	checkLayout(t, dir, "big", img.digest, img.layers...)
}

func TestPullCancel(t *testing.T) {
	c, host := plainClient(t, ocireg.Options{Concurrency: 1})
	repo := newRepo(host, "cancel")
	img := bigImage(t, c, repo, 4, 16)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan struct{})
	var once sync.Once
	go func() {
		<-started
		cancel()
	}()
	dir := t.TempDir()
	var last ocireg.ImageProgress
	_, err := c.Pull(ctx, repo+":big", dir, &ocireg.ImageOptions{Progress: func(p ocireg.ImageProgress) bool {
		once.Do(func() { close(started) })
		last = p
		return true
	}})
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ocireg.ErrCancelled) {
		t.Fatalf("cancelled Pull: %v (last progress %+v)", err, last)
	}
	if last.Done >= last.Total {
		t.Fatalf("the pull finished before the cancel: %+v", last)
	}
	noTempFiles(t, dir)

	// A pull with a context already done does not start.
	if _, err := c.Pull(ctx, repo+":big", dir, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Pull with a done context: %v", err)
	}

	// A second pull completes the layout.
	got, err := c.Pull(context.Background(), repo+":big", dir, nil)
	if err != nil || got != img.digest {
		t.Fatalf("Pull after the cancel: %s %v", got, err)
	}
	checkLayout(t, dir, "big", img.digest, img.layers...)
}

// TestAbortConcurrentLeak aborts concurrent pulls many times: no
// temporary file may be left behind (an earlier library bug left some).
func TestAbortConcurrentLeak(t *testing.T) {
	c, host := plainClient(t, ocireg.Options{Concurrency: 4})
	repo := newRepo(host, "leak")
	bigImage(t, c, repo, 4, 4)
	for i := 0; i < 20; i++ {
		dir := t.TempDir()
		_, err := c.Pull(context.Background(), repo+":big", dir, &ocireg.ImageOptions{
			Progress: func(ocireg.ImageProgress) bool { return false },
		})
		if !errors.Is(err, ocireg.ErrAborted) {
			t.Fatalf("Pull: %v", err)
		}
		noTempFiles(t, dir)
	}
}

// lastCounts runs op with a Progress that keeps the last report, checking
// that the counts never go back nor pass Blobs.
func lastCounts(t *testing.T, op func(*ocireg.ImageOptions) error) ocireg.ImageProgress {
	t.Helper()
	var last ocireg.ImageProgress
	err := op(&ocireg.ImageOptions{Progress: func(p ocireg.ImageProgress) bool {
		if p.BlobsSkipped < last.BlobsSkipped || p.BlobsMounted < last.BlobsMounted || p.BlobsSent < last.BlobsSent ||
			p.BlobsSkipped+p.BlobsMounted+p.BlobsSent > p.Blobs {
			t.Errorf("counts went wrong: %+v after %+v", p, last)
		}
		last = p
		return true
	}})
	if err != nil {
		t.Fatal(err)
	}
	if last.Done != last.Total {
		t.Fatalf("last report %+v", last)
	}
	return last
}

func TestImageProgressCountsSkippedMountedSent(t *testing.T) {
	ctx := context.Background()
	c, host := plainClient(t, ocireg.Options{})
	repo := newRepo(host, "counts")
	pushImage(t, c, repo, "v1", "amd64", pattern(1000, 1), pattern(2000, 2))
	const blobs = 3 // the config and two layers
	dir := t.TempDir()

	p := lastCounts(t, func(o *ocireg.ImageOptions) error { _, err := c.Pull(ctx, repo+":v1", dir, o); return err })
	if p.Blobs != blobs || p.BlobsSent != blobs || p.BlobsSkipped != 0 || p.BlobsMounted != 0 {
		t.Fatalf("a first pull downloads every blob: %+v", p)
	}
	p = lastCounts(t, func(o *ocireg.ImageOptions) error { _, err := c.Pull(ctx, repo+":v1", dir, o); return err })
	if p.Blobs != blobs || p.BlobsSkipped != blobs || p.BlobsSent != 0 {
		t.Fatalf("a second pull skips every blob: %+v", p)
	}
	p = lastCounts(t, func(o *ocireg.ImageOptions) error { _, err := c.Push(ctx, dir, repo+":again", o); return err })
	if p.Blobs != blobs || p.BlobsSkipped != blobs || p.BlobsSent != 0 || p.BlobsMounted != 0 {
		t.Fatalf("a push to the same repository skips every blob: %+v", p)
	}
	other := newRepo(host, "counts-copy")
	p = lastCounts(t, func(o *ocireg.ImageOptions) error { _, err := c.Copy(ctx, repo+":v1", other+":v1", o); return err })
	if p.Blobs != blobs || p.BlobsMounted != blobs || p.BlobsSent != 0 || p.BlobsSkipped != 0 {
		t.Fatalf("a copy within the registry mounts every blob: %+v", p)
	}
	fresh := newRepo(host, "counts-push")
	p = lastCounts(t, func(o *ocireg.ImageOptions) error { _, err := c.Push(ctx, dir, fresh+":v1", o); return err })
	if p.Blobs != blobs || p.BlobsSent != blobs || p.BlobsSkipped != 0 || p.BlobsMounted != 0 {
		t.Fatalf("a push to a new repository uploads every blob: %+v", p)
	}
}

// A pull with RangedAlways fetches each 4 MiB layer as parallel ranges;
// one that finds a killed run's partial file of a layer continues it from
// where it stopped. Either way the layout ends verified and clean.
func TestRangedPullContinuesAPartialBlob(t *testing.T) {
	ctx := context.Background()
	c, host := plainClient(t, ocireg.Options{RangedDownload: ocireg.RangedAlways})
	repo := newRepo(host, "ranged")
	img := bigImage(t, c, repo, 2, 4)
	full := t.TempDir()
	if got, err := c.Pull(ctx, repo+":big", full, nil); err != nil || got != img.digest {
		t.Fatalf("Pull: %s %v", got, err)
	}
	checkLayout(t, full, "big", img.digest, img.layers...)

	// What a pull killed after 1.5 MiB of the first layer leaves behind
	// (its writer, pid 999999, is gone: no lock holds the file).
	hex := strings.TrimPrefix(img.layers[0], "sha256:")
	layer, err := os.ReadFile(filepath.Join(full, "blobs", "sha256", hex))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	blobs := filepath.Join(dir, "blobs", "sha256")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		t.Fatal(err)
	}
	partial := filepath.Join(blobs, ".tmp-"+hex+"-999999-0")
	if err := os.WriteFile(partial, layer[:3<<19], 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Pull(ctx, repo+":big", dir, nil); err != nil || got != img.digest {
		t.Fatalf("resumed Pull: %s %v", got, err)
	}
	checkLayout(t, dir, "big", img.digest, img.layers...)
	noTempFiles(t, dir)
}

// A push with ResumeDir records each blob's session while it is open and
// leaves the directory empty once the image is in place.
func TestPushWithResumeDir(t *testing.T) {
	ctx := context.Background()
	c, host := plainClient(t, ocireg.Options{UploadChunkSize: 1 << 20})
	repo := newRepo(host, "resumable")
	img := bigImage(t, c, repo, 1, 3)
	dir := t.TempDir()
	if _, err := c.Pull(ctx, repo+":big", dir, nil); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(t.TempDir(), "state")
	target := newRepo(host, "resumed") + ":v1"
	got, err := c.Push(ctx, dir, target, &ocireg.ImageOptions{ResumeDir: state})
	if err != nil || got != img.digest {
		t.Fatalf("Push: %s %v", got, err)
	}
	entries, err := os.ReadDir(state)
	if err != nil || len(entries) != 0 {
		t.Fatalf("records left: %v %v", entries, err)
	}
}

// A copy into a registry with ResumeDir records each blob's session while
// it is open (the directory is made 0700) and leaves it empty once the
// image is in place.
func TestCopyWithResumeDir(t *testing.T) {
	ctx := context.Background()
	c, host := plainClient(t, ocireg.Options{UploadChunkSize: 1 << 20})
	repo := newRepo(host, "copy-resumable")
	img := bigImage(t, c, repo, 1, 3)
	state := filepath.Join(t.TempDir(), "state")
	target := newRepo(host, "copy-resumed") + ":v1"
	got, err := c.Copy(ctx, repo+":big", target, &ocireg.ImageOptions{ResumeDir: state})
	if err != nil || got != img.digest {
		t.Fatalf("Copy: %s %v", got, err)
	}
	info, err := os.Stat(state)
	if err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("state dir: %v %v", info, err)
	}
	entries, err := os.ReadDir(state)
	if err != nil || len(entries) != 0 {
		t.Fatalf("records left: %v %v", entries, err)
	}
}
