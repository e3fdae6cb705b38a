package ocireg

// #include <stdlib.h>
// #include <ocireg.h>
import "C"

import (
	"context"
	"unsafe"
)

// SignatureKind is the format of a Signature.
type SignatureKind string

const (
	// SignatureSimpleSigning is a "simple signing" signature (an OpenPGP
	// message, as skopeo copy --sign-by writes to a lookaside): Data is
	// the whole signature.
	SignatureSimpleSigning SignatureKind = "simple-signing"
	// SignatureSigstore is a sigstore signature (a layer of the image's
	// sha256-<hex>.sig manifest, as cosign writes it): Data is the
	// payload, with MIMEType and Annotations (the signature itself is
	// the annotation dev.cosignproject.cosign/signature).
	SignatureSigstore SignatureKind = "sigstore"
)

// CosignPayloadMediaType is the MIME type of cosign's sigstore payloads,
// used by PutSignatures when a sigstore Signature has no MIMEType.
const CosignPayloadMediaType = "application/vnd.dev.cosign.simplesigning.v1+json"

// Signature is one image signature, as stored: ocireg moves signatures,
// it does not verify them.
type Signature struct {
	Kind        SignatureKind     // SignatureSimpleSigning or SignatureSigstore
	Data        []byte            // the signature (simple signing) or payload (sigstore); at most 4 MiB
	MIMEType    string            // sigstore only
	Annotations map[string]string // sigstore only; nil when none
}

// SignatureOptions says where the registries.d configuration is.
type SignatureOptions struct {
	// RegistriesDir is the registries.d directory (skopeo's
	// --registries.d); "" reads $HOME/.config/containers/registries.d
	// when it exists, else /etc/containers/registries.d.
	RegistriesDir string
}

func (o *SignatureOptions) dir() string {
	if o == nil {
		return ""
	}
	return o.RegistriesDir
}

// Signatures gives the signatures of image reference (a tag is resolved
// to its manifest digest first): those in the lookaside registries.d
// configures for it (lookaside, read over file, http or https without
// credentials), then, when registries.d sets use-sigstore-attachments,
// the layers of its sha256-<hex>.sig manifest. No configuration means
// none. opts may be nil.
func (c *Client) Signatures(ctx context.Context, reference string, opts *SignatureOptions) ([]Signature, error) {
	r, d := cstr(reference), cstrOpt(opts.dir())
	defer cfree(r)
	defer cfree(d)
	var l *C.ocireg_signature_list
	err := c.do(ctx, "Signatures", func(cl *C.ocireg_client, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_signatures(cl, r, d, k, &l)
	})
	if err != nil {
		return nil, err
	}
	defer C.ocireg_signature_list_free(l)
	n := C.ocireg_signature_list_len(l)
	out := make([]Signature, 0, int(n))
	for i := C.size_t(0); i < n; i++ {
		var size C.size_t
		data := C.ocireg_signature_list_bytes(l, i, &size)
		s := Signature{
			Kind:     SignatureKind(C.GoString(C.ocireg_signature_kind_str(C.uint32_t(C.ocireg_signature_list_kind(l, i))))),
			Data:     C.GoBytes(unsafe.Pointer(data), C.int(size)),
			MIMEType: goStringOpt(C.ocireg_signature_list_mime_type(l, i)),
		}
		if na := C.ocireg_signature_list_annotations_len(l, i); na > 0 {
			s.Annotations = make(map[string]string, int(na))
			for j := C.size_t(0); j < na; j++ {
				s.Annotations[C.GoString(C.ocireg_signature_list_annotation_key(l, i, j))] =
					C.GoString(C.ocireg_signature_list_annotation_value(l, i, j))
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// PutSignatures adds signatures to image reference (a tag is resolved to
// its manifest digest first) and gives how many were new: simple-signing
// ones to the file:// lookaside registries.d configures for writing
// (lookaside-staging, else lookaside), sigstore ones to the image's
// sha256-<hex>.sig manifest (registries.d must set
// use-sigstore-attachments: true). A signature already stored, byte for
// byte, is not stored again; existing ones stay. Everything is checked
// before anything is written. opts may be nil.
func (c *Client) PutSignatures(ctx context.Context, reference string, signatures []Signature, opts *SignatureOptions) (int, error) {
	r, d := cstr(reference), cstrOpt(opts.dir())
	defer cfree(r)
	defer cfree(d)
	var added C.size_t
	err := c.do(ctx, "PutSignatures", func(cl *C.ocireg_client, k *C.ocireg_cancel) C.ocireg_status {
		l := C.ocireg_signature_list_new()
		defer C.ocireg_signature_list_free(l)
		for i, s := range signatures {
			if st := addSignature(l, C.size_t(i), s); st != C.OCIREG_OK {
				return st
			}
		}
		return C.ocireg_client_signatures_put(cl, r, d, l, k, &added)
	})
	return int(added), err
}

// addSignature appends s to list l as entry i.
func addSignature(l *C.ocireg_signature_list, i C.size_t, s Signature) C.ocireg_status {
	var kind C.uint32_t
	var mime *C.char
	switch s.Kind {
	case SignatureSimpleSigning:
		kind = C.OCIREG_SIGNATURE_SIMPLE_SIGNING
	case SignatureSigstore:
		kind = C.OCIREG_SIGNATURE_SIGSTORE
		mime = cstrOpt(s.MIMEType)
		defer cfree(mime)
	default:
		kind = C.OCIREG_SIGNATURE_NONE // refused by the library with INVALID_ARGUMENT
	}
	var data *C.uint8_t
	if len(s.Data) > 0 {
		p := C.CBytes(s.Data)
		defer C.free(p)
		data = (*C.uint8_t)(p)
	}
	if st := C.ocireg_signature_list_add(l, kind, mime, data, C.size_t(len(s.Data))); st != C.OCIREG_OK {
		return st
	}
	for key, value := range s.Annotations {
		ck, cv := cstr(key), cstr(value)
		st := C.ocireg_signature_list_annotate(l, i, ck, cv)
		cfree(ck)
		cfree(cv)
		if st != C.OCIREG_OK {
			return st
		}
	}
	return C.OCIREG_OK
}
