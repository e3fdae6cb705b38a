package ocireg_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	ocireg "github.com/ocireg/ocireg/bindings/go"
)

// TestTokenCacheFile: a second client (as a second process would) takes the
// first one's token from the file, so the token server is asked once for
// both; the file is 0600 and holds no password.
func TestTokenCacheFile(t *testing.T) {
	ctx := context.Background()
	host := env(t, "OCIREG_TEST_TOKEN")
	user, password := env(t, "OCIREG_TEST_USER"), env(t, "OCIREG_TEST_PASS")
	cache := filepath.Join(t.TempDir(), "cache", "tokens.json")
	newClient := func() *ocireg.Client {
		c, err := ocireg.NewClient(ocireg.Options{
			CAFiles:     []string{env(t, "OCIREG_TEST_CA")},
			Credentials: map[string]ocireg.Credential{host: {Username: user, Password: password}},
			TokenCache:  cache,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	repo := newRepo(host, "tokencache")
	name := strings.SplitN(repo, "/", 2)[1]
	digest, err := newClient().PushBlobBytes(ctx, repo, []byte("token cache"))
	if err != nil {
		t.Fatal(err)
	}

	// The token requests for this repository's pull scope, from the debug log.
	var mu sync.Mutex
	fetches := 0
	scope := url.QueryEscape("repository:" + name + ":pull")
	if err := ocireg.SetLogger(func(level ocireg.LogLevel, msg string) {
		if level == ocireg.LogDebug && strings.Contains(msg, "/token?") && strings.Contains(msg, "scope="+scope+"&") {
			mu.Lock()
			fetches++
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	defer ocireg.SetLogger(nil)
	for i := 0; i < 2; i++ {
		r, err := newClient().OpenBlob(ctx, repo, digest)
		if err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
		r.Close()
	}
	mu.Lock()
	got := fetches
	mu.Unlock()
	if got != 1 {
		t.Fatalf("token requests for two clients sharing the file: %d, want 1", got)
	}

	info, err := os.Stat(cache)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Fatalf("token cache mode %o, want 600", mode)
	}
	text, err := os.ReadFile(cache)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(text), password) {
		t.Fatal("the token cache holds the password")
	}
	if !strings.Contains(string(text), "repository:"+name+":pull") {
		t.Fatalf("the token cache lacks the pull scope: %s", text)
	}
}
