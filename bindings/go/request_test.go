package ocireg_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	ocireg "github.com/ocireg/ocireg/bindings/go"
)

// pathOf is the path and query of a Location, absolute or not.
func pathOf(location string) string {
	if i := strings.Index(location, "://"); i >= 0 {
		rest := location[i+3:]
		if j := strings.Index(rest, "/"); j >= 0 {
			return rest[j:]
		}
		return "/"
	}
	return location
}

// rawRoundTrip pushes a blob with raw POST and PUT (the body as bytes or
// streamed from a reader) and reads it back with a raw GET.
func rawRoundTrip(t *testing.T, c *ocireg.Client, host, repo string, scopes []string, stream bool) {
	t.Helper()
	ctx := context.Background()
	data := pattern(300000, 9)
	digest := digestOf(data)
	resp, err := c.Request(ctx, host, ocireg.Request{Method: "POST", Path: "/v2/" + repo + "/blobs/uploads/", Scopes: scopes}, nil)
	if err != nil || resp.StatusCode != 202 {
		t.Fatalf("POST: %v %+v", err, resp)
	}
	loc := pathOf(resp.Header.Get("Location"))
	sep := "?"
	if strings.Contains(loc, "?") {
		sep = "&"
	}
	put := ocireg.Request{Method: "PUT", Path: loc + sep + "digest=" + digest, Scopes: scopes,
		Header: http.Header{"Content-Type": {"application/octet-stream"}}}
	if stream {
		put.BodyReader, put.ContentLength = bytes.NewReader(data), int64(len(data))
	} else {
		put.Body = data
	}
	if resp, err = c.Request(ctx, host, put, nil); err != nil || resp.StatusCode != 201 {
		t.Fatalf("PUT: %v %+v", err, resp)
	}
	var got bytes.Buffer
	resp, err = c.Request(ctx, host, ocireg.Request{Method: "GET", Path: "/v2/" + repo + "/blobs/" + digest, Scopes: scopes}, &got)
	if err != nil || resp.StatusCode != 200 || !bytes.Equal(got.Bytes(), data) {
		t.Fatalf("GET: %v %+v (%d bytes)", err, resp, got.Len())
	}
	if resp.Header.Get("Docker-Content-Digest") != digest {
		t.Fatalf("headers: %v", resp.Header)
	}
	got.Reset()
	resp, err = c.Request(ctx, host, ocireg.Request{Method: "GET", Path: "/v2/" + repo + "/manifests/nope", Scopes: scopes}, &got)
	if err != nil || resp.StatusCode != 404 || !strings.Contains(got.String(), "MANIFEST_UNKNOWN") {
		t.Fatalf("a 404 is a status: %v %+v %q", err, resp, got.String())
	}
}

func TestRawRequests(t *testing.T) {
	plain, host := plainClient(t, ocireg.Options{})
	rawRoundTrip(t, plain, host, fmt.Sprintf("gotest/raw-bytes-%d", repoSeq.Add(1)), nil, false)
	rawRoundTrip(t, plain, host, fmt.Sprintf("gotest/raw-stream-%d", repoSeq.Add(1)), nil, true)
	tls, tlsHost := authClient(t, "OCIREG_TEST_TLS", env(t, "OCIREG_TEST_PASS"))
	rawRoundTrip(t, tls, tlsHost, fmt.Sprintf("gotest/raw-%d", repoSeq.Add(1)), nil, false)
	token, tokenHost := authClient(t, "OCIREG_TEST_TOKEN", env(t, "OCIREG_TEST_PASS"))
	repo := fmt.Sprintf("gotest/raw-%d", repoSeq.Add(1))
	rawRoundTrip(t, token, tokenHost, repo, []string{"repository:" + repo + ":pull,push"}, true)

	ctx := context.Background()
	for _, bad := range []ocireg.Request{
		{Method: "TRACE", Path: "/v2/"},
		{Method: "GET", Path: "/v2/../admin"},
		{Method: "GET", Path: "//evil.test/"},
		{Method: "GET", Path: "/v2/", Header: http.Header{"Authorization": {"Bearer x"}}},
	} {
		if _, err := plain.Request(ctx, host, bad, nil); !errors.Is(err, ocireg.ErrInvalidArgument) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	_, err := plain.Request(ctx, host, ocireg.Request{Method: "GET", Path: "/v2/", MaxResponseBody: 1}, nil)
	if !errors.Is(err, ocireg.ErrSizeExceeded) {
		t.Errorf("MaxResponseBody: %v", err)
	}
}

// A redirect to another origin reaches it without the credential.
func TestRawRequestRedirectCarriesNoAuthorization(t *testing.T) {
	var mu sync.Mutex
	var seen []http.Header
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Clone())
		mu.Unlock()
		fmt.Fprint(w, "elsewhere")
	}))
	defer other.Close()
	registry := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			w.Header().Set("WWW-Authenticate", `Basic realm="r"`)
			w.WriteHeader(401)
			return
		}
		if r.URL.Path == "/v2/" {
			fmt.Fprint(w, "{}")
			return
		}
		http.Redirect(w, r, other.URL+"/elsewhere", http.StatusFound)
	}))
	defer registry.Close()
	host := strings.TrimPrefix(registry.URL, "http://")
	c, err := ocireg.NewClient(ocireg.Options{InsecureRegistries: []string{host}, MaxRetries: -1,
		Credentials: map[string]ocireg.Credential{host: {Username: "u", Password: "secret"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var body bytes.Buffer
	resp, err := c.Request(context.Background(), host, ocireg.Request{Method: "GET", Path: "/api/projects"}, &body)
	if err != nil || resp.StatusCode != 200 || body.String() != "elsewhere" {
		t.Fatalf("%v %+v %q", err, resp, body.String())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 1 || seen[0].Get("Authorization") != "" {
		t.Fatalf("the other origin saw %v", seen)
	}
}
