package ocireg_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"

	ocireg "github.com/ocireg/ocireg/bindings/go"
)

const sigType = "application/vnd.example.signature"

// graphRegistries: distribution 2.8.2 (the tag-schema fallback) and
// go-containerregistry's registry with the referrers API.
var graphRegistries = []struct {
	name, env string
	kind      ocireg.ReferrerKind
}{
	{"fallback", "OCIREG_TEST_PLAIN", ocireg.ReferrerFallback},
	{"referrers-api", "OCIREG_TEST_REFERRERS", ocireg.ReferrerAPI},
}

func graphClient(t *testing.T, envName string) (*ocireg.Client, string) {
	t.Helper()
	host := env(t, envName)
	c, err := ocireg.NewClient(ocireg.Options{InsecureRegistries: []string{host}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, host
}

// pushReferrer pushes an artifact whose subject is (subject, size),
// annotated n=<n>, and gives its digest.
func pushReferrer(t *testing.T, c *ocireg.Client, repo, subject string, size int, n int) (string, error) {
	ctx := context.Background()
	ed := digestOf([]byte("{}"))
	if _, err := c.HeadBlob(ctx, repo, ed); err != nil {
		if _, err := c.PushBlobBytes(ctx, repo, []byte("{}")); err != nil {
			return "", err
		}
	}
	art, _ := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     ocireg.MediaTypeOCIManifest,
		"artifactType":  sigType,
		"config":        desc{MediaType: "application/vnd.oci.empty.v1+json", Digest: ed, Size: 2},
		"layers":        []desc{{MediaType: "application/vnd.oci.empty.v1+json", Digest: ed, Size: 2}},
		"subject":       desc{MediaType: ocireg.MediaTypeOCIManifest, Digest: subject, Size: int64(size)},
		"annotations":   map[string]string{"n": fmt.Sprint(n)},
	})
	return c.PutManifest(ctx, repo+"@"+digestOf(art), art, ocireg.MediaTypeOCIManifest)
}

func referrerDigests(t *testing.T, c *ocireg.Client, ref string) []string {
	t.Helper()
	refs, err := c.Referrers(context.Background(), ref, "")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range refs {
		out = append(out, r.Digest)
	}
	slices.Sort(out)
	return out
}

func sortedCopy(s ...string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func TestReferrersKindAnnotationsAndDelete(t *testing.T) {
	for _, reg := range graphRegistries {
		t.Run(reg.name, func(t *testing.T) {
			c, host := graphClient(t, reg.env)
			repo := newRepo(host, "graph")
			data, subject := pushImage(t, c, repo, "v1", "amd64", pattern(64, 1))
			a, err := pushReferrer(t, c, repo, subject, len(data), 1)
			if err != nil {
				t.Fatal(err)
			}
			b, err := pushReferrer(t, c, repo, subject, len(data), 2)
			if err != nil {
				t.Fatal(err)
			}
			refs, err := c.Referrers(context.Background(), repo+":v1", "")
			if err != nil {
				t.Fatal(err)
			}
			if len(refs) != 2 {
				t.Fatalf("Referrers = %+v", refs)
			}
			for _, r := range refs {
				want := map[string]string{"n": "1"}
				if r.Digest == b {
					want["n"] = "2"
				}
				if r.Kind != reg.kind || r.ArtifactType != sigType || fmt.Sprint(r.Annotations) != fmt.Sprint(want) {
					t.Fatalf("referrer %+v: want kind %s, annotations %v", r, reg.kind, want)
				}
			}
			if err := c.DeleteManifest(context.Background(), repo+"@"+a); err != nil {
				t.Fatal(err)
			}
			if got := referrerDigests(t, c, repo+":v1"); !slices.Equal(got, []string{b}) {
				t.Fatalf("after delete: %v, want only %s", got, b)
			}
			d, err := pushReferrer(t, c, repo, subject, len(data), 3)
			if err != nil {
				t.Fatalf("push after delete: %v", err)
			}
			if got := referrerDigests(t, c, repo+":v1"); !slices.Equal(got, sortedCopy(b, d)) {
				t.Fatalf("after push: %v", got)
			}
		})
	}
}

func TestReferrersConcurrentPushesAllListed(t *testing.T) {
	for _, reg := range graphRegistries {
		t.Run(reg.name, func(t *testing.T) {
			c, host := graphClient(t, reg.env)
			repo := newRepo(host, "graph-concurrent")
			data, subject := pushImage(t, c, repo, "v1", "amd64", pattern(64, 2))
			// The shared empty blob first: distribution 2.8.2 races when
			// one blob is uploaded by many at once, which is not what this
			// test is about (the referrer index updates are).
			if _, err := c.PushBlobBytes(context.Background(), repo, []byte("{}")); err != nil {
				t.Fatal(err)
			}
			const n = 8
			digests := make([]string, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := 0; i < n; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					digests[i], errs[i] = pushReferrer(t, c, repo, subject, len(data), 10+i)
				}(i)
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			if got := referrerDigests(t, c, repo+"@"+subject); !slices.Equal(got, sortedCopy(digests...)) {
				t.Fatalf("listed %v, pushed %v", got, digests)
			}
		})
	}
}
