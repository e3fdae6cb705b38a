package ocireg

// #include <stdlib.h>
// #include <ocireg.h>
import "C"

import (
	"context"
	"sort"
	"strings"
	"unsafe"
)

// IndexOptions are what a new index can be given. The zero value gives no
// artifactType and no annotations.
type IndexOptions struct {
	ArtifactType string            // the index's artifactType ("" for none)
	Annotations  map[string]string // the index's annotations
}

// IndexUpdate is a change to an index, applied in this order: entries
// removed (by digest, then by platform), entries added, annotations set,
// annotations removed.
type IndexUpdate struct {
	Add               []string          // image manifests of the index's repository to add, by tag or digest
	RemoveDigests     []string          // digests of entries to remove (each must be there)
	RemovePlatforms   []string          // os/arch[/variant] of entries to remove (each must match one)
	Annotations       map[string]string // annotations to set
	RemoveAnnotations []string          // annotation keys to remove (a key not there is no change)
}

// sortedKeys returns the keys of m in order, so that calls are repeatable.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// hasNul reports whether one of texts holds a NUL byte.
func hasNul(texts ...string) bool {
	for _, s := range texts {
		if strings.ContainsRune(s, 0) {
			return true
		}
	}
	return false
}

// call1 runs an options setter taking one C string.
func call1(op string, s string, f func(*C.char) C.ocireg_status) error {
	cs := cstr(s)
	defer cfree(cs)
	return call(op, nil, func() C.ocireg_status { return f(cs) })
}

// call2 runs an options setter taking two C strings.
func call2(op string, a, b string, f func(*C.char, *C.char) C.ocireg_status) error {
	ca, cb := cstr(a), cstr(b)
	defer cfree(ca)
	defer cfree(cb)
	return call(op, nil, func() C.ocireg_status { return f(ca, cb) })
}

// CreateIndex makes an index of the image manifests sources (references
// in the repository of target, by tag or digest), each with the platform
// its config names, pushes it to target and returns its digest: the same
// index as oras manifest index create from the same images. A source that
// is an index or in another repository, one manifest given twice or more
// than 1000 sources give ErrInvalidArgument and nothing is pushed.
func (c *Client) CreateIndex(ctx context.Context, target string, sources []string, opts IndexOptions) (string, error) {
	const op = "CreateIndex"
	texts := append([]string{target, opts.ArtifactType}, sources...)
	for k, v := range opts.Annotations {
		texts = append(texts, k, v)
	}
	if hasNul(texts...) {
		return "", nulError(op, StatusInvalidArgument, "an argument")
	}
	o := C.ocireg_index_options_new()
	if o == nil {
		return "", &Error{Status: StatusPanic, StatusName: StatusPanic.String(), Op: op, Message: "ocireg_index_options_new failed"}
	}
	defer C.ocireg_index_options_free(o)
	if opts.ArtifactType != "" {
		err := call1(op+": ArtifactType", opts.ArtifactType, func(t *C.char) C.ocireg_status {
			return C.ocireg_index_options_set_artifact_type(o, t)
		})
		if err != nil {
			return "", err
		}
	}
	for _, k := range sortedKeys(opts.Annotations) {
		err := call2(op+": Annotations", k, opts.Annotations[k], func(ck, cv *C.char) C.ocireg_status {
			return C.ocireg_index_options_add_annotation(o, ck, cv)
		})
		if err != nil {
			return "", err
		}
	}
	t := cstr(target)
	defer cfree(t)
	srcs := cstrArray(len(sources))
	defer freeCstrArray(srcs, len(sources))
	if len(sources) > 0 {
		s := unsafe.Slice(srcs, len(sources))
		for i, src := range sources {
			s[i] = cstr(src)
		}
	}
	var dig *C.char
	err := c.do(ctx, op, func(cl *C.ocireg_client, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_index_create(cl, t, srcs, C.size_t(len(sources)), o, k, &dig)
	})
	if err != nil {
		return "", err
	}
	return goStringFree(dig), nil
}

// UpdateIndex changes the index at target as u says, pushes it there and
// returns its new digest. A digest or platform to remove that is in no
// entry gives ErrNotFound; a source that is an index gives
// ErrInvalidArgument; on any error nothing is pushed.
func (c *Client) UpdateIndex(ctx context.Context, target string, u IndexUpdate) (string, error) {
	const op = "UpdateIndex"
	texts := []string{target}
	texts = append(texts, u.Add...)
	texts = append(texts, u.RemoveDigests...)
	texts = append(texts, u.RemovePlatforms...)
	texts = append(texts, u.RemoveAnnotations...)
	for k, v := range u.Annotations {
		texts = append(texts, k, v)
	}
	if hasNul(texts...) {
		return "", nulError(op, StatusInvalidArgument, "an argument")
	}
	h := C.ocireg_index_update_new()
	if h == nil {
		return "", &Error{Status: StatusPanic, StatusName: StatusPanic.String(), Op: op, Message: "ocireg_index_update_new failed"}
	}
	defer C.ocireg_index_update_free(h)
	for _, s := range u.Add {
		if err := call1(op+": Add", s, func(cs *C.char) C.ocireg_status { return C.ocireg_index_update_add(h, cs) }); err != nil {
			return "", err
		}
	}
	for _, d := range u.RemoveDigests {
		if err := call1(op+": RemoveDigests", d, func(cs *C.char) C.ocireg_status { return C.ocireg_index_update_remove_digest(h, cs) }); err != nil {
			return "", err
		}
	}
	for _, p := range u.RemovePlatforms {
		if err := call1(op+": RemovePlatforms", p, func(cs *C.char) C.ocireg_status { return C.ocireg_index_update_remove_platform(h, cs) }); err != nil {
			return "", err
		}
	}
	for _, k := range sortedKeys(u.Annotations) {
		err := call2(op+": Annotations", k, u.Annotations[k], func(ck, cv *C.char) C.ocireg_status {
			return C.ocireg_index_update_set_annotation(h, ck, cv)
		})
		if err != nil {
			return "", err
		}
	}
	for _, k := range u.RemoveAnnotations {
		if err := call1(op+": RemoveAnnotations", k, func(cs *C.char) C.ocireg_status { return C.ocireg_index_update_remove_annotation(h, cs) }); err != nil {
			return "", err
		}
	}
	t := cstr(target)
	defer cfree(t)
	var dig *C.char
	err := c.do(ctx, op, func(cl *C.ocireg_client, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_index_update(cl, t, h, k, &dig)
	})
	if err != nil {
		return "", err
	}
	return goStringFree(dig), nil
}
