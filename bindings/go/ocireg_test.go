package ocireg_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	ocireg "github.com/ocireg/ocireg/bindings/go"
)

func TestVersionAndStatusNames(t *testing.T) {
	if v := ocireg.Version(); v == "" || strings.Count(v, ".") != 2 {
		t.Fatalf("Version() = %q", v)
	}
	if got := ocireg.StatusNotFound.String(); got != "NOT_FOUND" {
		t.Fatalf("StatusNotFound = %q", got)
	}
	if got := ocireg.StatusPanic.String(); got != "PANIC" {
		t.Fatalf("StatusPanic = %q", got)
	}
	if !errors.Is(ocireg.ErrNotFound, ocireg.ErrNotFound) || errors.Is(ocireg.ErrNotFound, ocireg.ErrDenied) {
		t.Fatal("sentinels do not compare as expected")
	}
}

func TestNewClientOptions(t *testing.T) {
	c, err := ocireg.NewClient(ocireg.Options{
		UserAgent:       "ocireg-go-test",
		Headers:         map[string]string{"X-Test": "1"},
		ConnectTimeout:  time.Second,
		ReadTimeout:     2 * time.Second,
		RequestTimeout:  3 * time.Second,
		MaxRetries:      -1,
		MaxRetryAfter:   time.Second,
		MaxResumes:      2,
		PageSize:        10,
		MaxListEntries:  1000,
		MaxListBytes:    1 << 20,
		UploadChunkSize: 1 << 20,
		Concurrency:     3,
		RangedDownload:  ocireg.RangedAlways,
		Credentials:     map[string]ocireg.Credential{"example.com": {IdentityToken: "tok"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil { // idempotent
		t.Fatal(err)
	}
	if _, err := c.Tags(context.Background(), "example.com/x"); !errors.Is(err, ocireg.ErrClosed) {
		t.Fatalf("Tags after Close: %v", err)
	}
	_, err = ocireg.NewClient(ocireg.Options{UploadChunkSize: -1})
	if !errors.Is(err, ocireg.ErrInvalidArgument) {
		t.Fatalf("UploadChunkSize -1: %v", err)
	}
	var e *ocireg.Error
	if !errors.As(err, &e) || e.Message == "" || e.StatusName != "INVALID_ARGUMENT" {
		t.Fatalf("error detail: %#v", e)
	}
	for _, bad := range []ocireg.Options{{MaxListEntries: -1}, {MaxListBytes: -1}, {RangedDownload: "sometimes"}} {
		if _, err := ocireg.NewClient(bad); !errors.Is(err, ocireg.ErrInvalidArgument) {
			t.Fatalf("%+v: %v", bad, err)
		}
	}
}

// A listing beyond MaxListEntries or MaxListBytes fails with ErrSizeExceeded.
func TestListingBounds(t *testing.T) {
	ctx := context.Background()
	c, host := plainClient(t, ocireg.Options{PageSize: 1})
	repo := newRepo(host, "bounds")
	data, _ := pushImage(t, c, repo, "a", "amd64")
	if _, err := c.PutManifestTags(ctx, repo, []string{"b", "c"}, data, ocireg.MediaTypeOCIManifest); err != nil {
		t.Fatal(err)
	}
	for name, opts := range map[string]ocireg.Options{
		"max_list_entries": {PageSize: 1, MaxListEntries: 2},
		"max_list_bytes":   {PageSize: 1, MaxListBytes: 16},
	} {
		bounded, _ := plainClient(t, opts)
		_, err := bounded.Tags(ctx, repo)
		var e *ocireg.Error
		if !errors.Is(err, ocireg.ErrSizeExceeded) || !errors.As(err, &e) || !strings.Contains(e.Message, name) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	roomy, _ := plainClient(t, ocireg.Options{PageSize: 1, MaxListEntries: 3})
	tags, err := roomy.Tags(ctx, repo)
	if err != nil || len(tags) != 3 {
		t.Fatalf("Tags = %v, %v", tags, err)
	}
}

// CredentialHelperTimeout reaches the library: a helper that never answers
// is killed and the lookup fails with ErrTimeout, soon.
func TestCredentialHelperTimeout(t *testing.T) {
	dir := t.TempDir()
	helper := filepath.Join(dir, "docker-credential-hang")
	if err := os.WriteFile(helper, []byte("#!/bin/sh\nexec sleep 30\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	auth := filepath.Join(dir, "config.json")
	if err := os.WriteFile(auth, []byte(`{"credsStore":"hang"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	host := env(t, "OCIREG_TEST_TLS")
	c, err := ocireg.NewClient(ocireg.Options{
		CAFiles:                 []string{env(t, "OCIREG_TEST_CA")},
		AuthFile:                auth,
		CredentialHelperTimeout: 500 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	started := time.Now()
	err = c.CheckCredentials(context.Background(), host)
	if !errors.Is(err, ocireg.ErrTimeout) {
		t.Fatalf("CheckCredentials = %v, want ErrTimeout", err)
	}
	if elapsed := time.Since(started); elapsed > time.Minute { // a bound for a hang, not a speed test
		t.Fatalf("took %v", elapsed)
	}
}

func TestPingAndCredentials(t *testing.T) {
	ctx := context.Background()
	plain, host := plainClient(t, ocireg.Options{})
	if err := plain.Ping(ctx, host); err != nil {
		t.Fatal(err)
	}
	for _, which := range []string{"OCIREG_TEST_TLS", "OCIREG_TEST_TOKEN"} {
		t.Run(which, func(t *testing.T) {
			good, host := authClient(t, which, env(t, "OCIREG_TEST_PASS"))
			if err := good.Ping(ctx, host); err != nil {
				t.Fatal(err)
			}
			if err := good.CheckCredentials(ctx, host); err != nil {
				t.Fatal(err)
			}
			bad, _ := authClient(t, which, "wrong-password")
			err := bad.CheckCredentials(ctx, host)
			if !errors.Is(err, ocireg.ErrUnauthorized) {
				t.Fatalf("CheckCredentials with a wrong password: %v", err)
			}
			_, err = bad.Tags(ctx, host+"/gotest/anything")
			if !errors.Is(err, ocireg.ErrUnauthorized) {
				t.Fatalf("Tags with a wrong password: %v", err)
			}
			var e *ocireg.Error
			if !errors.As(err, &e) || e.HTTPStatus != 401 {
				t.Fatalf("want HTTP 401 in %#v", e)
			}
		})
	}
}

func TestManifests(t *testing.T) {
	ctx := context.Background()
	c, host := plainClient(t, ocireg.Options{})
	repo := newRepo(host, "manifests")
	data, dig := pushImage(t, c, repo, "v1", "amd64", []byte("layer one"))

	m, err := c.GetManifest(ctx, repo+":v1")
	if err != nil {
		t.Fatal(err)
	}
	if m.Digest != dig || m.MediaType != ocireg.MediaTypeOCIManifest || !bytes.Equal(m.Data, data) {
		t.Fatalf("GetManifest = %s %s %q", m.MediaType, m.Digest, m.Data)
	}
	byDigest, err := c.GetManifest(ctx, repo+"@"+dig)
	if err != nil || byDigest.Digest != dig {
		t.Fatalf("by digest: %v %v", byDigest, err)
	}
	h, err := c.HeadManifest(ctx, repo+":v1")
	if err != nil {
		t.Fatal(err)
	}
	if h.Digest != dig || h.Size != int64(len(data)) || h.MediaType != ocireg.MediaTypeOCIManifest {
		t.Fatalf("HeadManifest = %+v", h)
	}
	cfg, err := c.GetConfig(ctx, repo+":v1", "linux/amd64")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(cfg.Data), `"architecture":"amd64"`) || cfg.Digest != digestOf(cfg.Data) {
		t.Fatalf("GetConfig = %+v", cfg)
	}

	d2, err := c.PutManifestTags(ctx, repo, []string{"v2", "latest"}, data, ocireg.MediaTypeOCIManifest)
	if err != nil || d2 != dig {
		t.Fatalf("PutManifestTags: %s %v", d2, err)
	}
	tags, err := c.Tags(ctx, repo)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(tags)
	if !slices.Equal(tags, []string{"latest", "v1", "v2"}) {
		t.Fatalf("Tags = %v", tags)
	}
	repos, err := c.Catalog(ctx, host)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(repos, strings.TrimPrefix(repo, host+"/")) {
		t.Fatalf("Catalog %v lacks %s", repos, repo)
	}

	// An artifact whose subject is the image is one of its referrers.
	empty := []byte("{}")
	ed, err := c.PushBlobBytes(ctx, repo, empty)
	if err != nil {
		t.Fatal(err)
	}
	art, _ := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     ocireg.MediaTypeOCIManifest,
		"artifactType":  "application/vnd.example.sbom",
		"config":        desc{MediaType: "application/vnd.oci.empty.v1+json", Digest: ed, Size: 2},
		"layers":        []desc{{MediaType: "application/vnd.oci.empty.v1+json", Digest: ed, Size: 2}},
		"subject":       desc{MediaType: ocireg.MediaTypeOCIManifest, Digest: dig, Size: int64(len(data))},
	})
	artDigest, err := c.PutManifest(ctx, repo+"@"+digestOf(art), art, ocireg.MediaTypeOCIManifest)
	if err != nil {
		t.Fatal(err)
	}
	refs, err := c.Referrers(ctx, repo+"@"+dig, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) != 1 || refs[0].Digest != artDigest || refs[0].ArtifactType != "application/vnd.example.sbom" || refs[0].Size != int64(len(art)) {
		t.Fatalf("Referrers = %+v", refs)
	}
	refs, err = c.Referrers(ctx, repo+"@"+dig, "application/vnd.example.other")
	if err != nil || len(refs) != 0 {
		t.Fatalf("Referrers filtered = %+v, %v", refs, err)
	}

	if err := c.DeleteManifest(ctx, repo+"@"+dig); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetManifest(ctx, repo+"@"+dig)
	if !errors.Is(err, ocireg.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
}

func TestBlobs(t *testing.T) {
	ctx := context.Background()
	c, host := plainClient(t, ocireg.Options{UploadChunkSize: 256 << 10})
	repo := newRepo(host, "blobs")
	small := []byte("hello, registry")
	d, err := c.PushBlobBytes(ctx, repo, small)
	if err != nil || d != digestOf(small) {
		t.Fatalf("PushBlobBytes: %s %v", d, err)
	}
	if size, err := c.HeadBlob(ctx, repo, d); err != nil || size != int64(len(small)) {
		t.Fatalf("HeadBlob: %d %v", size, err)
	}

	big := pattern(3<<20+17, 1)
	var last int64
	bd, err := c.PushBlob(ctx, repo, bytes.NewReader(big), func(done, total int64) { last = done })
	if err != nil || bd != digestOf(big) {
		t.Fatalf("PushBlob: %s %v", bd, err)
	}
	if last != int64(len(big)) {
		t.Fatalf("push progress ended at %d", last)
	}

	// Reader, with io.Copy (WriteTo) and with plain Reads.
	r, err := c.OpenBlob(ctx, repo, bd)
	if err != nil {
		t.Fatal(err)
	}
	if r.Size() != int64(len(big)) {
		t.Fatalf("Size = %d", r.Size())
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, r); err != nil {
		t.Fatal(err)
	}
	r.Close()
	r.Close()
	if !bytes.Equal(buf.Bytes(), big) {
		t.Fatal("OpenBlob bytes differ")
	}
	r, err = c.OpenBlob(ctx, repo, bd)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(io.LimitReader(struct{ io.Reader }{r}, int64(len(big))+1))
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("ReadAll: %d bytes, %v", len(got), err)
	}
	r.Close()
	if _, err := r.Read(make([]byte, 1)); !errors.Is(err, ocireg.ErrClosed) {
		t.Fatalf("Read after Close: %v", err)
	}

	// Callback download with progress, and a range.
	buf.Reset()
	var pdone, ptotal int64
	if err := c.GetBlob(ctx, repo, bd, &buf, func(done, total int64) { pdone, ptotal = done, total }); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), big) || pdone != int64(len(big)) || ptotal != int64(len(big)) {
		t.Fatalf("GetBlob: %d bytes, progress %d/%d", buf.Len(), pdone, ptotal)
	}
	buf.Reset()
	if err := c.GetBlobRange(ctx, repo, bd, 1000, 5000, &buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), big[1000:6000]) {
		t.Fatalf("GetBlobRange: %d bytes", buf.Len())
	}
	buf.Reset()
	if err := c.GetBlobRange(ctx, repo, bd, int64(len(big))-10, 0, &buf); err != nil || !bytes.Equal(buf.Bytes(), big[len(big)-10:]) {
		t.Fatalf("GetBlobRange to the end: %d bytes, %v", buf.Len(), err)
	}

	// A failing writer aborts the download; the error wraps it.
	errSink := errors.New("sink full")
	err = c.GetBlob(ctx, repo, bd, failingWriter{errSink}, nil)
	if !errors.Is(err, ocireg.ErrAborted) || !errors.Is(err, errSink) {
		t.Fatalf("failing writer: %v", err)
	}
	// A failing reader aborts the upload.
	_, err = c.PushBlob(ctx, repo, io.MultiReader(bytes.NewReader(big[:1000]), failingReader{errSink}), nil)
	if !errors.Is(err, ocireg.ErrAborted) || !errors.Is(err, errSink) {
		t.Fatalf("failing reader: %v", err)
	}

	// Mount into another repository of the same registry.
	other := newRepo(host, "mounted")
	mounted, err := c.MountBlob(ctx, other, bd, strings.TrimPrefix(repo, host+"/"))
	if err != nil || !mounted {
		t.Fatalf("MountBlob: %v %v", mounted, err)
	}
	if size, err := c.HeadBlob(ctx, other, bd); err != nil || size != int64(len(big)) {
		t.Fatalf("HeadBlob after mount: %d %v", size, err)
	}
	// A blob the source lacks is not mounted: an upload session comes back.
	fresh := []byte("not in the source")
	up, err := c.MountOrStartUpload(ctx, other, digestOf(fresh), strings.TrimPrefix(repo, host+"/"))
	if err != nil || up == nil {
		t.Fatalf("MountOrStartUpload: %v %v", up, err)
	}
	if _, err := up.Write(fresh); err != nil {
		t.Fatal(err)
	}
	if d, err := up.Commit(digestOf(fresh)); err != nil || d != digestOf(fresh) {
		t.Fatalf("Commit: %s %v", d, err)
	}
	up.Close()

	// Delete.
	if err := c.DeleteBlob(ctx, repo, d); err != nil {
		t.Fatal(err)
	}
	if _, err := c.HeadBlob(ctx, repo, d); !errors.Is(err, ocireg.ErrNotFound) {
		t.Fatalf("HeadBlob after delete: %v", err)
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

type failingReader struct{ err error }

func (r failingReader) Read([]byte) (int, error) { return 0, r.err }

func TestUploadWriter(t *testing.T) {
	ctx := context.Background()
	c, host := plainClient(t, ocireg.Options{UploadChunkSize: 64 << 10})
	repo := newRepo(host, "upload")
	data := pattern(1<<20+333, 2)

	up, err := c.StartUpload(ctx, repo)
	if err != nil {
		t.Fatal(err)
	}
	if up.Location() == "" {
		t.Fatal("no location")
	}
	if _, err := io.Copy(up, bytes.NewReader(data[:300000])); err != nil { // ReadFrom
		t.Fatal(err)
	}
	loc, off, err := up.Suspend()
	if err != nil {
		t.Fatal(err)
	}
	if off != 300000 || loc == "" {
		t.Fatalf("Suspend = %q %d", loc, off)
	}
	up.Close() // no-op: spent
	if _, err := up.Write([]byte("x")); !errors.Is(err, ocireg.ErrClosed) {
		t.Fatalf("Write after Suspend: %v", err)
	}

	up, err = c.ResumeUpload(ctx, repo, loc)
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	if up.Offset() != off {
		t.Fatalf("resumed at %d, want %d", up.Offset(), off)
	}
	if _, err := up.Write(data[off:]); err != nil {
		t.Fatal(err)
	}
	d, err := up.Commit(digestOf(data))
	if err != nil || d != digestOf(data) {
		t.Fatalf("Commit: %s %v", d, err)
	}
	if _, err := up.Commit(""); !errors.Is(err, ocireg.ErrClosed) {
		t.Fatalf("second Commit: %v", err)
	}
	var buf bytes.Buffer
	if err := c.GetBlob(ctx, repo, d, &buf, nil); err != nil || !bytes.Equal(buf.Bytes(), data) {
		t.Fatalf("GetBlob after resumed upload: %d bytes, %v", buf.Len(), err)
	}

	// A wrong expected digest is refused.
	up2, err := c.StartUpload(ctx, repo)
	if err != nil {
		t.Fatal(err)
	}
	up2.Write([]byte("some bytes"))
	if _, err := up2.Commit(digestOf([]byte("other bytes"))); err == nil {
		t.Fatal("Commit with a wrong digest succeeded")
	}
	up2.Close()

	// Commit without a digest uses the bytes written; Close abandons.
	up3, _ := c.StartUpload(ctx, repo)
	up3.Write([]byte("abc"))
	if d, err := up3.Commit(""); err != nil || d != digestOf([]byte("abc")) {
		t.Fatalf("Commit(\"\"): %s %v", d, err)
	}
	up4, _ := c.StartUpload(ctx, repo)
	up4.Write([]byte("abandoned"))
	if err := up4.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.HeadBlob(ctx, repo, digestOf([]byte("abandoned"))); !errors.Is(err, ocireg.ErrNotFound) {
		t.Fatalf("abandoned blob: %v", err)
	}
}

func TestErrorMapping(t *testing.T) {
	ctx := context.Background()
	c, host := plainClient(t, ocireg.Options{})
	repo := newRepo(host, "errors")
	pushImage(t, c, repo, "v1", "amd64", []byte("x"))

	_, err := c.GetManifest(ctx, repo+":missing")
	var e *ocireg.Error
	if !errors.Is(err, ocireg.ErrNotFound) || !errors.As(err, &e) {
		t.Fatalf("missing tag: %v", err)
	}
	if e.HTTPStatus != 404 || e.RegistryCode != "MANIFEST_UNKNOWN" || e.Op != "GetManifest" || e.Message == "" {
		t.Fatalf("missing tag detail: %+v", e)
	}
	if !strings.HasPrefix(err.Error(), "ocireg: GetManifest: ") {
		t.Fatalf("message: %s", err)
	}
	_, err = c.HeadBlob(ctx, repo, digestOf([]byte("nope")))
	if !errors.Is(err, ocireg.ErrNotFound) {
		t.Fatalf("missing blob: %v", err)
	}
	_, err = c.OpenBlob(ctx, repo, digestOf([]byte("nope")))
	if !errors.Is(err, ocireg.ErrNotFound) {
		t.Fatalf("missing blob open: %v", err)
	}
	_, err = c.GetManifest(ctx, "Not A Reference!")
	if !errors.Is(err, ocireg.ErrInvalidReference) {
		t.Fatalf("bad reference: %v", err)
	}
	_, err = c.HeadBlob(ctx, repo, "sha256:short")
	if !errors.Is(err, ocireg.ErrInvalidDigest) {
		t.Fatalf("bad digest: %v", err)
	}
	if errors.Is(err, ocireg.ErrNotFound) {
		t.Fatal("an INVALID_DIGEST error matches ErrNotFound")
	}
}

func TestDigestMismatch(t *testing.T) {
	ctx := context.Background()
	c, host := plainClient(t, ocireg.Options{MaxResumes: -1})
	storage := env(t, "OCIREG_TEST_PLAIN_STORAGE")
	repo := newRepo(host, "corrupt")
	data := pattern(200000, 3)
	d, err := c.PushBlobBytes(ctx, repo, data)
	if err != nil {
		t.Fatal(err)
	}
	hex := strings.TrimPrefix(d, "sha256:")
	path := filepath.Join(storage, "docker/registry/v2/blobs/sha256", hex[:2], hex, "data")
	bad := bytes.Clone(data)
	bad[len(bad)/2] ^= 0xff
	if err := os.WriteFile(path, bad, 0o644); err != nil {
		t.Fatal(err)
	}

	r, err := c.OpenBlob(ctx, repo, d)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(r)
	r.Close()
	if !errors.Is(err, ocireg.ErrDigestMismatch) {
		t.Fatalf("reader: %v", err)
	}
	err = c.GetBlob(ctx, repo, d, io.Discard, nil)
	if !errors.Is(err, ocireg.ErrDigestMismatch) {
		t.Fatalf("GetBlob: %v", err)
	}
}

// slowWriter reports how far a download got.
func TestCancelBlobReadInProgress(t *testing.T) {
	c, host := plainClient(t, ocireg.Options{})
	repo := newRepo(host, "cancel")
	const size = 64 << 20
	d, err := c.PushBlob(context.Background(), repo, bytes.NewReader(pattern(size, 4)), nil)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, err := c.OpenBlob(ctx, repo, d)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	buf := make([]byte, 64<<10)
	var total int
	for i := 0; i < 16; i++ { // read slowly: 1 MiB over ~80 ms
		n, err := r.Read(buf)
		if err != nil {
			t.Fatalf("read before cancel: %v", err)
		}
		total += n
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	for {
		n, err := r.Read(buf)
		total += n
		if err == nil {
			continue
		}
		if err == io.EOF {
			t.Fatalf("read to the end (%d bytes) despite the cancel", total)
		}
		if !errors.Is(err, context.Canceled) || !errors.Is(err, ocireg.ErrCancelled) {
			t.Fatalf("after cancel: %v", err)
		}
		break
	}
	if total >= size {
		t.Fatalf("read %d bytes", total)
	}
	// The error sticks.
	if _, err := r.Read(buf); !errors.Is(err, context.Canceled) {
		t.Fatalf("second read after cancel: %v", err)
	}

	// Close from another goroutine stops a reader too.
	r2, err := c.OpenBlob(context.Background(), repo, d)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(slowDiscard{}, r2)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	r2.Close()
	select {
	case err := <-done:
		if !errors.Is(err, ocireg.ErrClosed) {
			t.Fatalf("copy after Close: %v", err)
		}
	case <-time.After(time.Minute): // a bound for a hang, not a speed test
		t.Fatal("Close did not stop the reader")
	}
}

type slowDiscard struct{}

func (slowDiscard) Write(p []byte) (int, error) {
	time.Sleep(2 * time.Millisecond)
	return len(p), nil
}

func TestCancelStalledCalls(t *testing.T) {
	stall := env(t, "OCIREG_TEST_STALL")
	c, err := ocireg.NewClient(ocireg.Options{InsecureRegistries: []string{stall}, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(200 * time.Millisecond); cancel() }()
	start := time.Now()
	err = c.Ping(ctx, stall)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ocireg.ErrCancelled) {
		t.Fatalf("Ping cancelled: %v", err)
	}
	if el := time.Since(start); el > time.Minute { // a bound for a hang, not a speed test
		t.Fatalf("cancel took %v", el)
	}

	ctx, cancel2 := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel2()
	_, err = c.Tags(ctx, stall+"/some/repo")
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ocireg.ErrCancelled) {
		t.Fatalf("Tags past deadline: %v", err)
	}

	// An already cancelled context fails at once.
	if err := c.Ping(ctx, stall); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Ping with a done context: %v", err)
	}
}

func TestConcurrentGoroutines(t *testing.T) {
	ctx := context.Background()
	c, host := authClient(t, "OCIREG_TEST_TOKEN", env(t, "OCIREG_TEST_PASS"))
	repo := newRepo(host, "concurrent")
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- func() error {
				data := pattern(100000+i, byte(i))
				d, err := c.PushBlob(ctx, repo, bytes.NewReader(data), nil)
				if err != nil {
					return err
				}
				m := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":%q,"size":%d},"layers":[]}`,
					ocireg.MediaTypeOCIManifest, d, len(data)))
				tag := fmt.Sprintf("t%d", i)
				if _, err := c.PutManifest(ctx, repo+":"+tag, m, ocireg.MediaTypeOCIManifest); err != nil {
					return err
				}
				got, err := c.GetManifest(ctx, repo+":"+tag)
				if err != nil {
					return err
				}
				if !bytes.Equal(got.Data, m) {
					return fmt.Errorf("goroutine %d: manifest differs", i)
				}
				r, err := c.OpenBlob(ctx, repo, d)
				if err != nil {
					return err
				}
				defer r.Close()
				back, err := io.ReadAll(r)
				if err != nil {
					return err
				}
				if !bytes.Equal(back, data) {
					return fmt.Errorf("goroutine %d: blob differs", i)
				}
				if _, err := c.GetManifest(ctx, repo+":no-such-tag"); !errors.Is(err, ocireg.ErrNotFound) {
					return fmt.Errorf("goroutine %d: missing tag gave %v", i, err)
				}
				_, err = c.Tags(ctx, repo)
				return err
			}()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	tags, err := c.Tags(ctx, repo)
	if err != nil || len(tags) != 32 {
		t.Fatalf("Tags: %d, %v", len(tags), err)
	}
}
