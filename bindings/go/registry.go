package ocireg

// #include <stdlib.h>
// #include <ocireg.h>
import "C"

import (
	"context"
	"unsafe"
)

// Content is a document exactly as the registry sent it: a manifest, an
// index or an image config. Digest is computed over Data, which is never
// re-serialized.
type Content struct {
	MediaType string // the media type the registry named (Content-Type)
	Digest    string // the digest of Data, "sha256:..."
	Data      []byte // the raw bytes
}

// Descriptor describes content by media type, digest and size; referrers
// also carry their artifact type, their kind and their annotations.
type Descriptor struct {
	MediaType    string            // the media type of the content described
	Digest       string            // its digest, "sha256:..."
	Size         int64             // its size in bytes
	ArtifactType string            // "" when none
	Kind         ReferrerKind      // referrers only: where it was found
	Annotations  map[string]string // referrers only; nil when none
}

// ReferrerKind says where a referrer was found, and so what it is.
type ReferrerKind string

// The kinds of referrers.
const (
	// ReferrerAPI: listed by the registry's referrers API.
	ReferrerAPI ReferrerKind = "referrers-api"
	// ReferrerFallback: listed in the subject's fallback index (the
	// sha256-<hex> tag), on registries without the referrers API.
	ReferrerFallback ReferrerKind = "fallback"
	// ReferrerCosignSignature: cosign's sha256-<hex>.sig tag.
	ReferrerCosignSignature ReferrerKind = "cosign-signature"
	// ReferrerCosignAttestation: cosign's sha256-<hex>.att tag.
	ReferrerCosignAttestation ReferrerKind = "cosign-attestation"
	// ReferrerCosignSBOM: cosign's sha256-<hex>.sbom tag.
	ReferrerCosignSBOM ReferrerKind = "cosign-sbom"
)

// Well-known media types of manifests and indexes.
const (
	MediaTypeOCIManifest        = "application/vnd.oci.image.manifest.v1+json"
	MediaTypeOCIIndex           = "application/vnd.oci.image.index.v1+json"
	MediaTypeDockerManifest     = "application/vnd.docker.distribution.manifest.v2+json"
	MediaTypeDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
)

// IsIndex reports whether mediaType is an OCI image index or a Docker
// manifest list (a manifest whose "manifests" point at other manifests).
func IsIndex(mediaType string) bool {
	return mediaType == MediaTypeOCIIndex || mediaType == MediaTypeDockerManifestList
}

// Ping checks that registry ("host[:port]") speaks the registry V2 API.
func (c *Client) Ping(ctx context.Context, registry string) error {
	r := cstr(registry)
	defer cfree(r)
	return c.do(ctx, "Ping", func(cl *C.ocireg_client, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_ping(cl, r, k)
	})
}

// CheckCredentials validates the configured credentials for registry,
// like docker login: ErrUnauthorized when they are refused.
func (c *Client) CheckCredentials(ctx context.Context, registry string) error {
	r := cstr(registry)
	defer cfree(r)
	return c.do(ctx, "CheckCredentials", func(cl *C.ocireg_client, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_check_credentials(cl, r, k)
	})
}

// Catalog lists the repositories of registry ("host[:port]"), following
// every page.
func (c *Client) Catalog(ctx context.Context, registry string) ([]string, error) {
	r := cstr(registry)
	defer cfree(r)
	var list *C.ocireg_string_list
	err := c.do(ctx, "Catalog", func(cl *C.ocireg_client, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_catalog(cl, r, k, &list)
	})
	if err != nil {
		return nil, err
	}
	return stringList(list), nil
}

// Tags lists the tags of repository ("host[:port]/path"; a tag or digest
// in it is ignored), following every page. A repository without tags
// gives an empty list.
func (c *Client) Tags(ctx context.Context, repository string) ([]string, error) {
	r := cstr(repository)
	defer cfree(r)
	var list *C.ocireg_string_list
	err := c.do(ctx, "Tags", func(cl *C.ocireg_client, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_tags(cl, r, k, &list)
	})
	if err != nil {
		return nil, err
	}
	return stringList(list), nil
}

func stringList(list *C.ocireg_string_list) []string {
	defer C.ocireg_string_list_free(list)
	n := int(C.ocireg_string_list_len(list))
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, C.GoString(C.ocireg_string_list_get(list, C.size_t(i))))
	}
	return out
}

func content(p *C.ocireg_content) *Content {
	defer C.ocireg_content_free(p)
	var n C.size_t
	data := C.ocireg_content_bytes(p, &n)
	return &Content{
		MediaType: C.GoString(C.ocireg_content_media_type(p)),
		Digest:    C.GoString(C.ocireg_content_digest(p)),
		Data:      C.GoBytes(unsafe.Pointer(data), C.int(n)),
	}
}

// GetManifest fetches the manifest or index reference
// ("host[:port]/path:tag" or "...@sha256:..."). With a digest in the
// reference, the bytes are verified against it.
func (c *Client) GetManifest(ctx context.Context, reference string) (*Content, error) {
	r := cstr(reference)
	defer cfree(r)
	var p *C.ocireg_content
	err := c.do(ctx, "GetManifest", func(cl *C.ocireg_client, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_manifest_get(cl, r, k, &p)
	})
	if err != nil {
		return nil, err
	}
	return content(p), nil
}

// GetConfig fetches the image config of reference, verified against its
// digest. When reference is an index, the image for platform
// ("os/arch[/variant]"; "" for this machine's) is chosen.
func (c *Client) GetConfig(ctx context.Context, reference, platform string) (*Content, error) {
	r, pl := cstr(reference), cstrOpt(platform)
	defer cfree(r)
	defer cfree(pl)
	var p *C.ocireg_content
	err := c.do(ctx, "GetConfig", func(cl *C.ocireg_client, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_config_get(cl, r, pl, k, &p)
	})
	if err != nil {
		return nil, err
	}
	return content(p), nil
}

// HeadManifest gives the media type, digest and size of manifest
// reference without fetching its body.
func (c *Client) HeadManifest(ctx context.Context, reference string) (Descriptor, error) {
	r := cstr(reference)
	defer cfree(r)
	var dig, mt *C.char
	var size C.uint64_t
	err := c.do(ctx, "HeadManifest", func(cl *C.ocireg_client, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_manifest_head(cl, r, k, &dig, &size, &mt)
	})
	if err != nil {
		return Descriptor{}, err
	}
	return Descriptor{MediaType: goStringFree(mt), Digest: goStringFree(dig), Size: int64(size)}, nil
}

func bytesPtr(b []byte) *C.uint8_t {
	if len(b) == 0 {
		return nil
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0]))
}

// PutManifest pushes data, a manifest or index of mediaType, to reference
// (under its tag, or by its digest) and gives its digest.
func (c *Client) PutManifest(ctx context.Context, reference string, data []byte, mediaType string) (string, error) {
	r, mt := cstr(reference), cstr(mediaType)
	defer cfree(r)
	defer cfree(mt)
	var dig *C.char
	err := c.do(ctx, "PutManifest", func(cl *C.ocireg_client, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_manifest_put(cl, r, bytesPtr(data), C.size_t(len(data)), mt, k, &dig)
	})
	if err != nil {
		return "", err
	}
	return goStringFree(dig), nil
}

// PutManifestTags pushes one manifest under every tag in tags of
// repository (by digest alone when tags is empty) and gives its digest.
func (c *Client) PutManifestTags(ctx context.Context, repository string, tags []string, data []byte, mediaType string) (string, error) {
	r, mt := cstr(repository), cstr(mediaType)
	defer cfree(r)
	defer cfree(mt)
	var ctags **C.char
	if len(tags) > 0 {
		ctags = (**C.char)(C.malloc(C.size_t(len(tags)) * C.size_t(unsafe.Sizeof((*C.char)(nil)))))
		arr := unsafe.Slice(ctags, len(tags))
		for i, t := range tags {
			arr[i] = cstr(t)
		}
		defer func() {
			for _, p := range arr {
				cfree(p)
			}
			C.free(unsafe.Pointer(ctags))
		}()
	}
	var dig *C.char
	err := c.do(ctx, "PutManifestTags", func(cl *C.ocireg_client, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_manifest_put_tags(cl, r, ctags, C.size_t(len(tags)),
			bytesPtr(data), C.size_t(len(data)), mt, k, &dig)
	})
	if err != nil {
		return "", err
	}
	return goStringFree(dig), nil
}

// DeleteManifest deletes manifest reference. A tag is resolved to its
// digest first, which removes every tag of that manifest.
func (c *Client) DeleteManifest(ctx context.Context, reference string) error {
	r := cstr(reference)
	defer cfree(r)
	return c.do(ctx, "DeleteManifest", func(cl *C.ocireg_client, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_manifest_delete(cl, r, k)
	})
}

// Referrers lists what refers to reference: the manifests whose subject
// it is (from the referrers API, or from the tag-schema fallback on
// registries without it) and cosign's sha256-<hex>.sig, .att and .sbom tag
// attachments, each with its Kind, keeping only those of artifactType (""
// for all).
func (c *Client) Referrers(ctx context.Context, reference, artifactType string) ([]Descriptor, error) {
	r, at := cstr(reference), cstrOpt(artifactType)
	defer cfree(r)
	defer cfree(at)
	var list *C.ocireg_descriptor_list
	err := c.do(ctx, "Referrers", func(cl *C.ocireg_client, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_referrers(cl, r, at, k, &list)
	})
	if err != nil {
		return nil, err
	}
	defer C.ocireg_descriptor_list_free(list)
	n := int(C.ocireg_descriptor_list_len(list))
	out := make([]Descriptor, 0, n)
	for i := 0; i < n; i++ {
		ci := C.size_t(i)
		d := Descriptor{
			MediaType: C.GoString(C.ocireg_descriptor_list_media_type(list, ci)),
			Digest:    C.GoString(C.ocireg_descriptor_list_digest(list, ci)),
			Size:      int64(C.ocireg_descriptor_list_size(list, ci)),
		}
		if a := C.ocireg_descriptor_list_artifact_type(list, ci); a != nil {
			d.ArtifactType = C.GoString(a)
		}
		kind := C.ocireg_descriptor_list_kind(list, ci)
		d.Kind = ReferrerKind(C.GoString(C.ocireg_referrer_kind_str(C.uint32_t(kind))))
		if na := int(C.ocireg_descriptor_list_annotations_len(list, ci)); na > 0 {
			d.Annotations = make(map[string]string, na)
			for j := 0; j < na; j++ {
				cj := C.size_t(j)
				key := C.GoString(C.ocireg_descriptor_list_annotation_key(list, ci, cj))
				d.Annotations[key] = C.GoString(C.ocireg_descriptor_list_annotation_value(list, ci, cj))
			}
		}
		out = append(out, d)
	}
	return out, nil
}

// HeadBlob gives the size of blob digest in repository; ErrNotFound when
// the repository does not have it.
func (c *Client) HeadBlob(ctx context.Context, repository, digest string) (int64, error) {
	r, d := cstr(repository), cstr(digest)
	defer cfree(r)
	defer cfree(d)
	var size C.uint64_t
	err := c.do(ctx, "HeadBlob", func(cl *C.ocireg_client, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_blob_head(cl, r, d, k, &size)
	})
	return int64(size), err
}

// DeleteBlob deletes blob digest from repository.
func (c *Client) DeleteBlob(ctx context.Context, repository, digest string) error {
	r, d := cstr(repository), cstr(digest)
	defer cfree(r)
	defer cfree(d)
	return c.do(ctx, "DeleteBlob", func(cl *C.ocireg_client, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_blob_delete(cl, r, d, k)
	})
}
