package ocireg

// #include <stdlib.h>
// #include <ocireg.h>
// extern int ociregGoWrite(void *, uint8_t *, size_t);
// extern int ociregGoRead(void *, uint8_t *, size_t, size_t *);
// static int ocireg_go_raw_write(void *u, const uint8_t *d, size_t n) { return ociregGoWrite(u, (uint8_t *)d, n); }
// static int ocireg_go_raw_read(void *u, uint8_t *b, size_t c, size_t *n) { return ociregGoRead(u, b, c, n); }
// static ocireg_write_cb ocireg_go_raw_write_cb(void) { return ocireg_go_raw_write; }
// static ocireg_read_cb ocireg_go_raw_read_cb(void) { return ocireg_go_raw_read; }
import "C"

import (
	"context"
	"io"
	"net/http"
	"runtime/cgo"
	"unsafe"
)

// Request is a raw request to a path on a registry, sent by
// Client.Request with the client's credentials, retries, TLS and proxy:
// for vendor APIs beside the registry API (Harbor, Quay, GitLab).
//
// The library keeps it on the registry's origin and bounded: Path starts
// with one "/" (no scheme or host, no "." or ".." segments, also
// percent-encoded; the query is the caller's); at most 64 headers and
// 64 KiB of them, never Authorization, Host, Content-Length or hop-by-hop
// headers (ErrInvalidArgument); at most 16 scopes. Authorization goes to
// the registry's origin only: a redirect elsewhere arrives without it.
type Request struct {
	// Method is GET, HEAD, POST, PUT, PATCH or DELETE.
	Method string
	// Path is the path with its query, such as "/api/v2.0/projects?page=1".
	Path string
	// Header holds the caller's headers.
	Header http.Header
	// Scopes are token scopes such as "repository:foo:pull" (registries
	// with token auth; without one, the registry's challenge may name it).
	Scopes []string
	// Body, when set, is sent as it is; such a request is retried (GET,
	// HEAD, PUT, DELETE) and tried again after a 401.
	Body []byte
	// BodyReader, when set (and Body is not), streams the body, read on
	// the calling goroutine; such a request is sent once.
	BodyReader io.Reader
	// ContentLength is BodyReader's length; 0 or less sends it chunked.
	ContentLength int64
	// MaxResponseBody bounds the response body written to the writer:
	// past it the call fails with ErrSizeExceeded. 0: no bound.
	MaxResponseBody int64
}

// Response is the status and headers of a raw request's answer (its
// body went to the writer given to Client.Request).
type Response struct {
	// StatusCode is the HTTP status; 400 and more are not errors here.
	StatusCode int
	// Header holds the response's headers.
	Header http.Header
}

// Request sends req to registry host ("host[:port]") and writes the
// response body to w (nil drops it), on the calling goroutine. Any HTTP
// status is a success: read it from the Response (registry errors are in
// the body). ctx cancels the call.
func (c *Client) Request(ctx context.Context, host string, req Request, w io.Writer) (*Response, error) {
	r, err := newRequest(req)
	if err != nil {
		return nil, err
	}
	defer C.ocireg_request_free(r)
	if w == nil {
		w = io.Discard
	}
	t := &transfer{w: w, r: req.BodyReader}
	h := cgo.NewHandle(t)
	defer h.Delete()
	// The request keeps its reader's userdata between calls, so it lives
	// in C memory (cgo forbids C keeping a Go pointer).
	ud := C.malloc(C.size_t(unsafe.Sizeof(h)))
	defer C.free(ud)
	*(*cgo.Handle)(ud) = h
	if len(req.Body) == 0 && req.BodyReader != nil {
		n := C.uint64_t(C.OCIREG_UNKNOWN_LENGTH)
		if req.ContentLength > 0 {
			n = C.uint64_t(req.ContentLength)
		}
		if err := call("Request", nil, func() C.ocireg_status {
			return C.ocireg_request_set_body_reader(r, C.ocireg_go_raw_read_cb(), ud, n)
		}); err != nil {
			return nil, err
		}
	}
	cHost := cstr(host)
	defer cfree(cHost)
	var out *C.ocireg_response
	err = c.do(ctx, "Request", func(cl *C.ocireg_client, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_request(cl, cHost, r, C.ocireg_go_raw_write_cb(), ud, k, &out)
	})
	if err = t.finish(err); err != nil {
		return nil, err
	}
	defer C.ocireg_response_free(out)
	resp := &Response{StatusCode: int(C.ocireg_response_status(out)), Header: http.Header{}}
	n := C.ocireg_response_header_count(out)
	for i := C.size_t(0); i < n; i++ {
		resp.Header.Add(C.GoString(C.ocireg_response_header_name(out, i)),
			C.GoString(C.ocireg_response_header_value(out, i)))
	}
	return resp, nil
}

// newRequest builds the C request for req (without a reader body).
func newRequest(req Request) (*C.ocireg_request, error) {
	m, p := cstr(req.Method), cstr(req.Path)
	defer cfree(m)
	defer cfree(p)
	var r *C.ocireg_request
	if err := call("Request", nil, func() C.ocireg_status { return C.ocireg_request_new(m, p, &r) }); err != nil {
		return nil, err
	}
	set := func(f func() C.ocireg_status) error { return call("Request", nil, f) }
	var err error
	for name, values := range req.Header {
		for _, v := range values {
			if err == nil {
				cn, cv := cstr(name), cstr(v)
				err = set(func() C.ocireg_status { return C.ocireg_request_add_header(r, cn, cv) })
				cfree(cn)
				cfree(cv)
			}
		}
	}
	for _, s := range req.Scopes {
		if err == nil {
			cs := cstr(s)
			err = set(func() C.ocireg_status { return C.ocireg_request_add_scope(r, cs) })
			cfree(cs)
		}
	}
	if err == nil && len(req.Body) > 0 {
		err = set(func() C.ocireg_status {
			return C.ocireg_request_set_body(r, bytesPtr(req.Body), C.size_t(len(req.Body)))
		})
	}
	if err == nil && req.MaxResponseBody > 0 {
		err = set(func() C.ocireg_status {
			return C.ocireg_request_set_max_response_body(r, C.uint64_t(req.MaxResponseBody))
		})
	}
	if err != nil {
		C.ocireg_request_free(r)
		return nil, err
	}
	return r, nil
}
