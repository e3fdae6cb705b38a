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

// ArtifactFile is one file of an artifact to push: Path's base name is its
// title (org.opencontainers.image.title); MediaType is its layer's type
// ("" for application/vnd.oci.image.layer.v1.tar).
type ArtifactFile struct {
	Path      string // the file to push; its base name becomes the title
	MediaType string // the layer's media type ("" for application/vnd.oci.image.layer.v1.tar)
}

// ArtifactOptions are what an artifact push can be told. The zero value
// gives artifact type application/vnd.unknown.artifact.v1, no subject, and
// only the annotation org.opencontainers.image.created (the current time,
// as oras adds it; give it in Annotations to fix it).
type ArtifactOptions struct {
	ArtifactType string            // the manifest's artifactType ("" for the default)
	Annotations  map[string]string // the manifest's annotations
	Subject      string            // a manifest of the same repository to attach to ("" for none)
}

// Untag deletes tag reference (REPO:TAG) and nothing else: the manifest and
// its other tags stay, unlike DeleteManifest, which deletes the manifest and
// so every tag of it. A registry that does not delete tags (distribution 2.x
// answers 400) gives ErrUnsupported, unless viaThrowawayManifest: then the
// tag is moved to a throwaway manifest, which is deleted by digest
// (regclient's approach; the tag names it for a moment, see
// ocireg_client_untag). It reports whether the throwaway manifest was used.
func (c *Client) Untag(ctx context.Context, reference string, viaThrowawayManifest bool) (bool, error) {
	if strings.ContainsRune(reference, 0) {
		return false, nulError("Untag", StatusInvalidReference, "reference")
	}
	r := cstr(reference)
	defer cfree(r)
	via := C.int(0)
	if viaThrowawayManifest {
		via = 1
	}
	var used C.int
	err := c.do(ctx, "Untag", func(cl *C.ocireg_client, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_untag(cl, r, via, k, &used)
	})
	return used != 0, err
}

// PushArtifact pushes files as an artifact to reference (a tag), as oras
// push does, and returns the manifest's digest: the empty config, one layer
// per file, the options' type, annotations and subject. The same files and
// options give the same digest as oras.
func (c *Client) PushArtifact(ctx context.Context, reference string, files []ArtifactFile, opts ArtifactOptions) (string, error) {
	const op = "PushArtifact"
	texts := []string{reference, opts.ArtifactType, opts.Subject}
	for _, f := range files {
		texts = append(texts, f.Path, f.MediaType)
	}
	for k, v := range opts.Annotations {
		texts = append(texts, k, v)
	}
	for _, s := range texts {
		if strings.ContainsRune(s, 0) {
			return "", nulError(op, StatusInvalidArgument, "an argument")
		}
	}
	o := C.ocireg_artifact_options_new()
	if o == nil {
		return "", &Error{Status: StatusPanic, StatusName: StatusPanic.String(), Op: op, Message: "ocireg_artifact_options_new failed"}
	}
	defer C.ocireg_artifact_options_free(o)
	if opts.ArtifactType != "" {
		t := cstr(opts.ArtifactType)
		err := call(op+": ArtifactType", nil, func() C.ocireg_status {
			return C.ocireg_artifact_options_set_artifact_type(o, t)
		})
		cfree(t)
		if err != nil {
			return "", err
		}
	}
	keys := make([]string, 0, len(opts.Annotations))
	for k := range opts.Annotations {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ck, cv := cstr(k), cstr(opts.Annotations[k])
		err := call(op+": Annotations", nil, func() C.ocireg_status {
			return C.ocireg_artifact_options_add_annotation(o, ck, cv)
		})
		cfree(ck)
		cfree(cv)
		if err != nil {
			return "", err
		}
	}
	if opts.Subject != "" {
		s := cstr(opts.Subject)
		err := call(op+": Subject", nil, func() C.ocireg_status {
			return C.ocireg_artifact_options_set_subject(o, s)
		})
		cfree(s)
		if err != nil {
			return "", err
		}
	}
	r := cstr(reference)
	defer cfree(r)
	paths, types := cstrArray(len(files)), cstrArray(len(files))
	defer freeCstrArray(paths, len(files))
	defer freeCstrArray(types, len(files))
	if len(files) > 0 {
		p, t := unsafe.Slice(paths, len(files)), unsafe.Slice(types, len(files))
		for i, f := range files {
			p[i], t[i] = cstr(f.Path), cstr(f.MediaType)
		}
	}
	var dig *C.char
	err := c.do(ctx, op, func(cl *C.ocireg_client, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_artifact_push(cl, r, paths, types, C.size_t(len(files)), o, k, &dig)
	})
	if err != nil {
		return "", err
	}
	return goStringFree(dig), nil
}

// PullArtifact writes the files of artifact reference into dir (created
// when missing) under their titles, as oras pull does, and returns their
// names. Unsafe titles (paths, "..", ...) and, unless overwrite, existing
// files are refused before anything is written; each file is put in place
// only after its digest checked out.
func (c *Client) PullArtifact(ctx context.Context, reference, dir string, overwrite bool) ([]string, error) {
	if strings.ContainsRune(reference, 0) || strings.ContainsRune(dir, 0) {
		return nil, nulError("PullArtifact", StatusInvalidArgument, "an argument")
	}
	r, d := cstr(reference), cstr(dir)
	defer cfree(r)
	defer cfree(d)
	ow := C.int(0)
	if overwrite {
		ow = 1
	}
	var list *C.ocireg_string_list
	err := c.do(ctx, "PullArtifact", func(cl *C.ocireg_client, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_artifact_pull(cl, r, d, ow, k, &list)
	})
	if err != nil {
		return nil, err
	}
	return stringList(list), nil
}

// cstrArray allocates n C string pointers (NULL when n is 0).
func cstrArray(n int) **C.char {
	if n == 0 {
		return nil
	}
	return (**C.char)(C.calloc(C.size_t(n), C.size_t(unsafe.Sizeof((*C.char)(nil)))))
}

// freeCstrArray frees the strings of a cstrArray and the array.
func freeCstrArray(arr **C.char, n int) {
	if arr == nil {
		return
	}
	for _, p := range unsafe.Slice(arr, n) {
		cfree(p)
	}
	C.free(unsafe.Pointer(arr))
}
