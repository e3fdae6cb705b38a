package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	ocireg "github.com/ocireg/ocireg/bindings/go"
)

func env(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: run through the registry harness, `make test-go` or, from the repository root, "+
			"`cargo run --quiet --example test_registry -- sh -c 'cd examples/go && go test -race ./...'`", name)
	}
	return v
}

func digestOf(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

type desc struct {
	MediaType string            `json:"mediaType"`
	Digest    string            `json:"digest"`
	Size      int64             `json:"size"`
	Platform  map[string]string `json:"platform,omitempty"`
}

// fixture pushes to repo: tag "multi", an index of an amd64 and an arm64
// image sharing a layer; tag "single", one image; tag "alias", the same
// image as "single". It gives every blob digest.
func fixture(t *testing.T, c *ocireg.Client, repo string) []string {
	ctx := context.Background()
	var blobs []string
	push := func(data []byte) desc {
		d, err := c.PushBlob(ctx, repo, bytes.NewReader(data), nil)
		if err != nil {
			t.Fatal(err)
		}
		blobs = append(blobs, d)
		return desc{Digest: d, Size: int64(len(data))}
	}
	shared := push(bytes.Repeat([]byte("shared layer "), 100000))
	image := func(arch string, unique int) ([]byte, desc) {
		cfg := push([]byte(fmt.Sprintf(`{"architecture":%q,"os":"linux"}`, arch)))
		cfg.MediaType = "application/vnd.oci.image.config.v1+json"
		own := push(bytes.Repeat([]byte(arch), unique))
		layers := []desc{shared, own}
		for i := range layers {
			layers[i].MediaType = "application/vnd.oci.image.layer.v1.tar"
		}
		data, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": ocireg.MediaTypeOCIManifest, "config": cfg, "layers": layers})
		return data, desc{MediaType: ocireg.MediaTypeOCIManifest, Digest: digestOf(data), Size: int64(len(data))}
	}
	var children []desc
	for i, arch := range []string{"amd64", "arm64"} {
		data, d := image(arch, 300000+i)
		if _, err := c.PutManifest(ctx, repo+"@"+d.Digest, data, d.MediaType); err != nil {
			t.Fatal(err)
		}
		d.Platform = map[string]string{"os": "linux", "architecture": arch}
		children = append(children, d)
	}
	index, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": ocireg.MediaTypeOCIIndex, "manifests": children})
	if _, err := c.PutManifest(ctx, repo+":multi", index, ocireg.MediaTypeOCIIndex); err != nil {
		t.Fatal(err)
	}
	single, _ := image("riscv64", 5000)
	if _, err := c.PutManifestTags(ctx, repo, []string{"single", "alias"}, single, ocireg.MediaTypeOCIManifest); err != nil {
		t.Fatal(err)
	}
	return blobs
}

// sameContent checks that dst has every tag of src with the same digest,
// every child of an index, and every blob.
func sameContent(t *testing.T, c *ocireg.Client, src, dst string, blobs []string) {
	ctx := context.Background()
	srcTags, err := c.Tags(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	dstTags, err := c.Tags(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(srcTags)
	slices.Sort(dstTags)
	if !slices.Equal(srcTags, dstTags) {
		t.Fatalf("tags: source %v, destination %v", srcTags, dstTags)
	}
	for _, tag := range srcTags {
		s, err := c.GetManifest(ctx, src+":"+tag)
		if err != nil {
			t.Fatal(err)
		}
		d, err := c.GetManifest(ctx, dst+":"+tag)
		if err != nil {
			t.Fatal(err)
		}
		if s.Digest != d.Digest || !bytes.Equal(s.Data, d.Data) || s.MediaType != d.MediaType {
			t.Fatalf("%s: source %s, destination %s", tag, s.Digest, d.Digest)
		}
		if ocireg.IsIndex(d.MediaType) {
			var idx struct{ Manifests []desc }
			json.Unmarshal(d.Data, &idx)
			for _, child := range idx.Manifests {
				if h, err := c.HeadManifest(ctx, dst+"@"+child.Digest); err != nil || h.Digest != child.Digest {
					t.Fatalf("child %s: %+v %v", child.Digest, h, err)
				}
			}
		}
	}
	for _, b := range blobs {
		if _, err := c.HeadBlob(ctx, dst, b); err != nil {
			t.Fatalf("blob %s: %v", b, err)
		}
	}
}

func TestMirrorPlainToToken(t *testing.T) {
	plain, token := env(t, "OCIREG_TEST_PLAIN"), env(t, "OCIREG_TEST_TOKEN")
	ca, user, pass := env(t, "OCIREG_TEST_CA"), env(t, "OCIREG_TEST_USER"), env(t, "OCIREG_TEST_PASS")
	c, err := ocireg.NewClient(ocireg.Options{
		InsecureRegistries: []string{plain},
		CAFiles:            []string{ca},
		Credentials:        map[string]ocireg.Credential{token: {Username: user, Password: pass}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	id := fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano())
	src := fmt.Sprintf("%s/mirror-src/app-%s", plain, id)
	dst := fmt.Sprintf("%s/mirror-dst/app-%s", token, id)
	blobs := fixture(t, c, src)

	args := []string{"-j", "3", "-insecure", plain, "-ca", ca, "-cred", token + "=" + user + ":" + pass, src, dst}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("mirror: %v\n%s", err, stderr.String())
	}
	t.Logf("stdout:\n%sstderr:\n%s", stdout.String(), stderr.String())
	sameContent(t, c, src, dst, blobs)
	checkProgress(t, stderr.String())

	// A second run, one tag at a time, finds everything in place.
	stderr.Reset()
	if err := run(context.Background(), append([]string{"-t", "1"}, args...), &stdout, &stderr); err != nil {
		t.Fatalf("second mirror: %v\n%s", err, stderr.String())
	}
	checkProgress(t, stderr.String())
	if got := strings.Count(stdout.String(), dst+":"); got != 6 {
		t.Fatalf("stdout after two runs has %d tags:\n%s", got, stdout.String())
	}

	// Within one registry, blobs are mounted.
	same := fmt.Sprintf("%s/mirror-dst/copy-%s", plain, id)
	stderr.Reset()
	if err := run(context.Background(), []string{"-t", "3", "-insecure", plain, src, same}, &stdout, &stderr); err != nil {
		t.Fatalf("mirror within a registry: %v\n%s", err, stderr.String())
	}
	checkProgress(t, stderr.String())
	sameContent(t, c, src, same, blobs)
}

// checkProgress checks the final progress line: every tag done, the
// fixture's 7 distinct blobs seen, and all bytes done.
func checkProgress(t *testing.T, stderr string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	last := lines[len(lines)-1]
	m := regexp.MustCompile(`^tag (\d+)/(\d+) +blobs (\d+)  ([\d.]+)/([\d.]+) MiB .* in `).FindStringSubmatch(last)
	if m == nil || m[1] != "3" || m[2] != "3" || m[3] != "7" || m[4] != m[5] || m[5] == "0.0" {
		t.Fatalf("progress: %q", last)
	}
}

func TestMirrorUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"only-one-arg"}, &stdout, &stderr); err == nil {
		t.Fatal("no error for a missing argument")
	}
	if err := run(context.Background(), []string{"-cred", "nonsense", "a/b", "c/d"}, &stdout, &stderr); err == nil {
		t.Fatal("no error for a bad -cred")
	}
	if err := run(context.Background(), []string{"-t", "0", "a/b", "c/d"}, &stdout, &stderr); err == nil {
		t.Fatal("no error for -t 0")
	}
}
