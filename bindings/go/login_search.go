package ocireg

// #include <stdlib.h>
// #include <ocireg.h>
import "C"

import (
	"context"
	"errors"
)

// LoginDestination is where Login stores a credential and Logout erases it.
type LoginDestination struct {
	// Docker selects docker's config.json ($DOCKER_CONFIG/config.json,
	// else ~/.docker/config.json) instead of containers' auth.json
	// ($REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json,
	// else /run/containers/$UID/auth.json).
	Docker bool
	// AuthFile, when set, is the file to use instead of either.
	AuthFile string
}

// kind gives the OCIREG_LOGIN_* value and the file argument (nil unless
// AuthFile is set); the caller frees the file.
func (d LoginDestination) kind() (C.uint32_t, *C.char, error) {
	switch {
	case d.AuthFile != "" && d.Docker:
		return 0, nil, errors.New("ocireg: LoginDestination: AuthFile and Docker exclude each other")
	case d.AuthFile != "":
		return C.OCIREG_LOGIN_AUTH_FILE, cstr(d.AuthFile), nil
	case d.Docker:
		return C.OCIREG_LOGIN_DOCKER, nil, nil
	default:
		return C.OCIREG_LOGIN_CONTAINERS, nil, nil
	}
}

// Login checks username/password against registry ("host[:port]"), then
// stores them where the destination's tool looks first; a credHelpers
// entry or credsStore of that file gets them through
// docker-credential-NAME store. It returns where they went (for people).
// ErrUnauthorized when the registry refuses them (nothing is stored).
func (c *Client) Login(ctx context.Context, registry, username, password string, to LoginDestination) (string, error) {
	kind, file, err := to.kind()
	if err != nil {
		return "", err
	}
	defer cfree(file)
	r, u, p := cstr(registry), cstr(username), cstr(password)
	defer cfree(r)
	defer cfree(u)
	defer cfree(p)
	var where *C.char
	err = c.do(ctx, "Login", func(cl *C.ocireg_client, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_login(cl, r, u, p, kind, file, k, &where)
	})
	if err != nil {
		return "", err
	}
	return goStringFree(where), nil
}

// Logout erases the stored credential of registry from the destination
// (all of them when registry is ""), as podman logout [--all] does.
// ErrNotFound when there was none.
func (c *Client) Logout(ctx context.Context, registry string, from LoginDestination) (string, error) {
	kind, file, err := from.kind()
	if err != nil {
		return "", err
	}
	defer cfree(file)
	r := cstr(registry)
	defer cfree(r)
	all := C.int(0)
	if registry == "" {
		all = 1
	}
	var where *C.char
	err = c.do(ctx, "Logout", func(cl *C.ocireg_client, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_logout(cl, r, kind, file, all, k, &where)
	})
	if err != nil {
		return "", err
	}
	return goStringFree(where), nil
}

// SearchResult is one result of Search. Results of the catalog fallback
// have a Name only.
type SearchResult struct {
	Name        string // the repository name
	Description string // the description ("" when the registry gave none)
	StarCount   uint64 // the star count
	IsOfficial  bool   // the result's is_official flag (Docker Hub's official images)
	IsTrusted   bool   // the result's is_trusted flag, as the registry reported it
	IsAutomated bool   // the result's is_automated flag, as the registry reported it
}

// Search searches registry for term: the v1 search endpoint, else the
// catalog filtered by term. At most limit results (1-10000; 0 for 25),
// even where the registry ignores the limit.
func (c *Client) Search(ctx context.Context, registry, term string, limit int) ([]SearchResult, error) {
	if limit < 0 || limit > 10000 {
		return nil, errors.New("ocireg: Search: limit must be 0 to 10000")
	}
	r, t := cstr(registry), cstr(term)
	defer cfree(r)
	defer cfree(t)
	var list *C.ocireg_search_results
	err := c.do(ctx, "Search", func(cl *C.ocireg_client, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_search(cl, r, t, C.size_t(limit), k, &list)
	})
	if err != nil {
		return nil, err
	}
	defer C.ocireg_search_results_free(list)
	n := int(C.ocireg_search_results_len(list))
	out := make([]SearchResult, n)
	for i := range out {
		ci := C.size_t(i)
		out[i] = SearchResult{
			Name:        C.GoString(C.ocireg_search_results_name(list, ci)),
			Description: C.GoString(C.ocireg_search_results_description(list, ci)),
			StarCount:   uint64(C.ocireg_search_results_star_count(list, ci)),
			IsOfficial:  C.ocireg_search_results_is_official(list, ci) != 0,
			IsTrusted:   C.ocireg_search_results_is_trusted(list, ci) != 0,
			IsAutomated: C.ocireg_search_results_is_automated(list, ci) != 0,
		}
	}
	return out, nil
}

// RateLimit is a registry's rate limit. Each value is -1 (Source "") when
// the registry did not report it: unknown, not zero.
type RateLimit struct {
	// Limit is ratelimit-limit: the requests allowed per window, and
	// LimitWindowSeconds its window (";w="), in seconds.
	Limit, LimitWindowSeconds int64
	// Remaining is ratelimit-remaining: the requests left in the current
	// window, and RemainingWindowSeconds its window (";w="), in seconds.
	Remaining, RemainingWindowSeconds int64
	// Source is docker-ratelimit-source: what the registry counts against
	// (an address or an account id).
	Source string
}

func takeRateLimit(h *C.ocireg_rate_limit) RateLimit {
	defer C.ocireg_rate_limit_free(h)
	rl := RateLimit{
		Limit:                  int64(C.ocireg_rate_limit_limit(h)),
		LimitWindowSeconds:     int64(C.ocireg_rate_limit_limit_window_s(h)),
		Remaining:              int64(C.ocireg_rate_limit_remaining(h)),
		RemainingWindowSeconds: int64(C.ocireg_rate_limit_remaining_window_s(h)),
	}
	if s := C.ocireg_rate_limit_source(h); s != nil {
		rl.Source = C.GoString(s)
	}
	return rl
}

// RateLimit asks the registry of reference for its rate limit with a
// manifest HEAD (not counted as a pull on Docker Hub). A 429 is
// ErrTooManyRequests; LastRateLimit then gives what it reported.
func (c *Client) RateLimit(ctx context.Context, reference string) (RateLimit, error) {
	r := cstr(reference)
	defer cfree(r)
	var h *C.ocireg_rate_limit
	err := c.do(ctx, "RateLimit", func(cl *C.ocireg_client, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_rate_limit(cl, r, k, &h)
	})
	if err != nil {
		return RateLimit{}, err
	}
	return takeRateLimit(h), nil
}

// LastRateLimit is the rate limit registry reported on the last manifest
// response (a 429 included) this client saw; all unknown when none did.
func (c *Client) LastRateLimit(registry string) (RateLimit, error) {
	r := cstr(registry)
	defer cfree(r)
	var h *C.ocireg_rate_limit
	err := c.do(context.Background(), "LastRateLimit", func(cl *C.ocireg_client, _ *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_last_rate_limit(cl, r, &h)
	})
	if err != nil {
		return RateLimit{}, err
	}
	return takeRateLimit(h), nil
}

// Digest is the digest of manifest reference from a HEAD alone (not
// counted as a pull on Docker Hub); ErrProtocol when the registry sends no
// Docker-Content-Digest for a tag.
func (c *Client) Digest(ctx context.Context, reference string) (string, error) {
	r := cstr(reference)
	defer cfree(r)
	var d *C.char
	err := c.do(ctx, "Digest", func(cl *C.ocireg_client, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_digest(cl, r, k, &d)
	})
	if err != nil {
		return "", err
	}
	return goStringFree(d), nil
}
