package ocireg

// #include <stdlib.h>
// #include <ocireg.h>
import "C"

import (
	"strconv"
	"strings"
)

// Reference is an image reference parsed and normalized the way docker
// does: "ubuntu" is docker.io/library/ubuntu:latest.
type Reference struct {
	Registry   string // as references spell it: "docker.io", "localhost:5000"
	APIHost    string // the host serving the API: "registry-1.docker.io" for docker.io
	Repository string // the repository path: "library/ubuntu"
	Tag        string // "latest" when the text named neither tag nor digest; "" for a digest alone
	Digest     string // "sha256:..." or ""
	Canonical  string // "docker.io/library/ubuntu:latest"
	Familiar   string // docker's short form: "ubuntu:latest"
}

// String gives the canonical form, which ParseReference reads back to the
// same Reference.
func (r Reference) String() string { return r.Canonical }

// ParseReference parses and normalizes an image reference,
// "[registry/]repository[:tag][@digest]". A malformed one is an *Error
// with StatusInvalidReference (StatusInvalidDigest for the part after
// "@") whose Message says why.
func ParseReference(text string) (Reference, error) {
	const op = "ParseReference"
	if strings.IndexByte(text, 0) >= 0 {
		return Reference{}, nulError(op, StatusInvalidReference, "invalid reference "+strconv.Quote(text))
	}
	t := cstr(text)
	defer cfree(t)
	var ref *C.ocireg_reference
	if err := call(op, nil, func() C.ocireg_status { return C.ocireg_reference_parse(t, &ref) }); err != nil {
		return Reference{}, err
	}
	defer C.ocireg_reference_free(ref)
	return Reference{
		Registry:   goStringOpt(C.ocireg_reference_registry(ref)),
		APIHost:    goStringOpt(C.ocireg_reference_api_host(ref)),
		Repository: goStringOpt(C.ocireg_reference_repository(ref)),
		Tag:        goStringOpt(C.ocireg_reference_tag(ref)),
		Digest:     goStringOpt(C.ocireg_reference_digest(ref)),
		Canonical:  goStringOpt(C.ocireg_reference_canonical(ref)),
		Familiar:   goStringOpt(C.ocireg_reference_familiar(ref)),
	}, nil
}

// NormalizeRegistry normalizes a registry name as a user writes it (a
// docker login argument, an auth-file key): "https://index.docker.io/v1/",
// "index.docker.io" and "registry-1.docker.io" are "docker.io";
// "Localhost:5000/team" is "localhost:5000". A name that is not a valid
// host[:port] is an *Error with StatusInvalidReference.
func NormalizeRegistry(name string) (string, error) {
	const op = "NormalizeRegistry"
	if strings.IndexByte(name, 0) >= 0 {
		return "", nulError(op, StatusInvalidReference, "invalid registry name "+strconv.Quote(name))
	}
	n := cstr(name)
	defer cfree(n)
	var out *C.char
	if err := call(op, nil, func() C.ocireg_status { return C.ocireg_registry_normalize(n, &out) }); err != nil {
		return "", err
	}
	return goStringFree(out), nil
}

// goStringOpt converts a string libocireg still owns; NULL is "".
func goStringOpt(p *C.char) string {
	if p == nil {
		return ""
	}
	return C.GoString(p)
}

// nulError is the error for a Go string with a NUL byte, which C cannot
// carry.
func nulError(op string, s Status, what string) *Error {
	return &Error{Status: s, StatusName: s.String(), Op: op, Message: what + ": contains a NUL byte"}
}
