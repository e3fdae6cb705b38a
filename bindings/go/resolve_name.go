package ocireg

// #include <ocireg.h>
import "C"

import (
	"context"
	"encoding/json"
	"fmt"
)

// ResolvedName is what a short name such as "busybox" stands for.
type ResolvedName struct {
	// Name is the name as given.
	Name string `json:"name"`
	// Reference is the reference to use, normalized, with the name's tag
	// ("latest" when it had none) or digest.
	Reference string `json:"reference"`
	// Rationale is where it came from: "none" (the name was fully
	// qualified), "alias", "search-registries" (the unqualified-search
	// registries) or "docker-default" (no registries.conf: docker's rule).
	Rationale string `json:"rationale"`
	// Origin is the configuration file that decided, or "".
	Origin string `json:"origin"`
	// Skipped are the candidates a pull tried before Reference.
	Skipped []SkippedCandidate `json:"skipped"`
}

// SkippedCandidate is a candidate that failed during a pull's resolution.
type SkippedCandidate struct {
	// Reference is the candidate.
	Reference string `json:"reference"`
	// Error says why it was skipped.
	Error string `json:"error"`
}

// ResolveName resolves name as podman does when the client follows a
// registries.conf (Options.RegistriesConf or UseSystemRegistriesConf): a fully
// qualified name is itself; a short name's alias is its only candidate;
// otherwise each unqualified-search registry in order. With pull, the
// candidates are checked in order (a manifest HEAD) and the first that
// exists wins; without it (a push, a listing) several candidates are an
// error (ErrInvalidReference), as is an ambiguous name under
// short-name-mode "enforcing". Without a registries.conf it is docker's rule
// (docker.io/library/busybox:latest).
func (c *Client) ResolveName(ctx context.Context, name string, pull bool) (*ResolvedName, error) {
	n := cstr(name)
	defer cfree(n)
	p := C.int(0)
	if pull {
		p = 1
	}
	var ref, details *C.char
	err := c.do(ctx, "ResolveName", func(cl *C.ocireg_client, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_resolve_name(cl, n, p, k, &ref, &details)
	})
	if err != nil {
		return nil, err
	}
	goStringFree(ref)
	var resolved ResolvedName
	if err := json.Unmarshal([]byte(goStringFree(details)), &resolved); err != nil {
		return nil, fmt.Errorf("ocireg: ResolveName: decoding the details: %w", err)
	}
	return &resolved, nil
}
