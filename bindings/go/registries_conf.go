package ocireg

// #include <ocireg.h>
import "C"

import "context"

// PullSource says which endpoint serves a pull of reference now: it fetches
// the manifest as a pull does (the mirrors first, when the client follows a
// registries.conf) and returns the reference it was fetched as (a mirror's,
// the rewritten location's, or reference itself, normalized).
func (c *Client) PullSource(ctx context.Context, reference string) (string, error) {
	r := cstr(reference)
	defer cfree(r)
	var s *C.char
	err := c.do(ctx, "PullSource", func(cl *C.ocireg_client, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_pull_source(cl, r, k, &s)
	})
	if err != nil {
		return "", err
	}
	return goStringFree(s), nil
}
