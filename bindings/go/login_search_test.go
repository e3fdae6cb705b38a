package ocireg_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ocireg "github.com/ocireg/ocireg/bindings/go"
)

func TestLoginStoresAndLogoutErases(t *testing.T) {
	ctx := context.Background()
	host, ca := env(t, "OCIREG_TEST_TLS"), env(t, "OCIREG_TEST_CA")
	user, pass := env(t, "OCIREG_TEST_USER"), env(t, "OCIREG_TEST_PASS")
	file := filepath.Join(t.TempDir(), "sub", "auth.json")
	to := ocireg.LoginDestination{AuthFile: file}
	c, err := ocireg.NewClient(ocireg.Options{CAFiles: []string{ca}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Login(ctx, host, user, "WRONG-SECRET", to); !errors.Is(err, ocireg.ErrUnauthorized) ||
		strings.Contains(err.Error(), "WRONG-SECRET") {
		t.Fatalf("wrong password: %v", err)
	}
	where, err := c.Login(ctx, host, user, pass, to)
	if err != nil || where != file {
		t.Fatalf("Login: %q, %v", where, err)
	}
	var written struct {
		Auths map[string]map[string]string `json:"auths"`
	}
	data, err := os.ReadFile(file)
	if err != nil || json.Unmarshal(data, &written) != nil || written.Auths[host]["auth"] == "" {
		t.Fatalf("auth file: %s, %v", data, err)
	}
	reader, err := ocireg.NewClient(ocireg.Options{CAFiles: []string{ca}, AuthFile: file})
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	if err := reader.CheckCredentials(ctx, host); err != nil {
		t.Fatalf("the stored credential: %v", err)
	}
	if _, err := c.Logout(ctx, host, to); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Logout(ctx, host, to); !errors.Is(err, ocireg.ErrNotFound) {
		t.Fatalf("second logout: %v", err)
	}
	if _, err := c.Login(ctx, host, user, pass, ocireg.LoginDestination{AuthFile: file, Docker: true}); err == nil {
		t.Fatal("AuthFile with Docker was accepted")
	}
}

func TestSearchFallsBackToTheCatalog(t *testing.T) {
	ctx := context.Background()
	c, host := plainClient(t, ocireg.Options{})
	base := newRepo(host, "search")
	for _, name := range []string{"a1", "a2", "a3"} {
		pushImage(t, c, base+"/"+name, "v1", "amd64", pattern(10, 1))
	}
	// The slash keeps longer names of other runs out of the match.
	term := strings.TrimPrefix(base, host+"/") + "/"
	found, err := c.Search(ctx, host, term, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 2 || found[0].Name != term+"a1" || found[1].Name != term+"a2" || found[0].StarCount != 0 {
		t.Fatalf("search: %+v", found)
	}
}

// hub answers as Docker Hub documents: v1 search and rate-limit headers.
func hub(t *testing.T) string {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		switch {
		case r.URL.Path == "/v2/":
			w.Write([]byte("{}"))
		case r.URL.Path == "/v1/search" && r.URL.Query().Get("q") == "nginx":
			h.Set("Content-Type", "application/json")
			w.Write([]byte(`{"num_results":3,"query":"nginx","results":[
				{"name":"library/nginx","description":"Official build","star_count":20000,"is_official":true,"is_automated":false,"is_trusted":false},
				{"name":"a/nginx","description":"","star_count":3,"is_official":false,"is_automated":true,"is_trusted":true},
				{"name":"b/nginx","description":"","star_count":1}]}`))
		case r.Method == http.MethodHead && strings.Contains(r.URL.Path, "/manifests/"):
			h.Set("ratelimit-limit", "100;w=21600")
			h.Set("docker-ratelimit-source", "192.0.2.1")
			if strings.HasSuffix(r.URL.Path, "/limited") {
				h.Set("ratelimit-remaining", "0;w=21600")
				h.Set("Retry-After", "3600")
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			h.Set("ratelimit-remaining", "99;w=21600")
			h.Set("Content-Type", ocireg.MediaTypeOCIManifest)
			h.Set("Docker-Content-Digest", "sha256:"+strings.Repeat("cd", 32))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://")
}

func TestV1SearchRateLimitAndDigest(t *testing.T) {
	ctx := context.Background()
	host := hub(t)
	c, err := ocireg.NewClient(ocireg.Options{InsecureRegistries: []string{host}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	found, err := c.Search(ctx, host, "nginx", 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []ocireg.SearchResult{
		{Name: "library/nginx", Description: "Official build", StarCount: 20000, IsOfficial: true},
		{Name: "a/nginx", StarCount: 3, IsAutomated: true, IsTrusted: true},
	}
	if len(found) != 2 || found[0] != want[0] || found[1] != want[1] {
		t.Fatalf("search: %+v", found)
	}
	unknown := ocireg.RateLimit{Limit: -1, LimitWindowSeconds: -1, Remaining: -1, RemainingWindowSeconds: -1}
	if rl, err := c.LastRateLimit(host); err != nil || rl != unknown {
		t.Fatalf("before any manifest: %+v, %v", rl, err)
	}
	rl, err := c.RateLimit(ctx, host+"/library/nginx:latest")
	if err != nil {
		t.Fatal(err)
	}
	if rl != (ocireg.RateLimit{Limit: 100, LimitWindowSeconds: 21600, Remaining: 99, RemainingWindowSeconds: 21600, Source: "192.0.2.1"}) {
		t.Fatalf("rate limit: %+v", rl)
	}
	if d, err := c.Digest(ctx, host+"/library/nginx:latest"); err != nil || d != "sha256:"+strings.Repeat("cd", 32) {
		t.Fatalf("digest: %q, %v", d, err)
	}
	_, err = c.RateLimit(ctx, host+"/library/nginx:limited")
	var e *ocireg.Error
	if !errors.Is(err, ocireg.ErrTooManyRequests) || !errors.As(err, &e) || e.RetryAfter.Seconds() != 3600 {
		t.Fatalf("429: %v", err)
	}
	// The error itself carries the 429's rate limit.
	if e.RateLimit == nil || *e.RateLimit != (ocireg.RateLimit{Limit: 100, LimitWindowSeconds: 21600, Remaining: 0, RemainingWindowSeconds: 21600, Source: "192.0.2.1"}) {
		t.Fatalf("the 429 error's rate limit: %+v", e.RateLimit)
	}
	if rl, _ := c.LastRateLimit(host); rl.Remaining != 0 {
		t.Fatalf("the 429's limit: %+v", rl)
	}
}
