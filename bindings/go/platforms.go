package ocireg

// #include <stdlib.h>
// #include <ocireg.h>
import "C"

import "context"

// Platform is one platform an image offers, with the image manifest that
// serves it.
type Platform struct {
	OS           string   // such as "linux"; "" when not recorded
	Architecture string   // Go's names, such as "arm64"; "" when not recorded
	Variant      string   // such as "v8"; "" when none
	OSVersion    string   // "os.version" (Windows builds); "" when none
	OSFeatures   []string // "os.features", such as "win32k"; nil when none
	Features     []string // "features"; nil when none
	Digest       string   // of the platform's image manifest
	Size         int64    // of that manifest, in bytes
	MediaType    string   // of that manifest
}

// String gives "os/arch[/variant]".
func (p Platform) String() string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// Platforms lists the platforms image reference offers. For an index (or
// Docker manifest list) these are its entries and those of the indexes it
// nests (at most 4 deep and 10,000 entries), in order. For a
// single-platform image there is one entry, the manifest itself, with the
// platform read from its image config (Features is then nil).
func (c *Client) Platforms(ctx context.Context, reference string) ([]Platform, error) {
	r := cstr(reference)
	defer cfree(r)
	var l *C.ocireg_platform_list
	err := c.do(ctx, "Platforms", func(cl *C.ocireg_client, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_platforms_get(cl, r, k, &l)
	})
	if err != nil {
		return nil, err
	}
	defer C.ocireg_platform_list_free(l)
	n := C.ocireg_platform_list_len(l)
	out := make([]Platform, 0, int(n))
	for i := C.size_t(0); i < n; i++ {
		p := Platform{
			OS:           C.GoString(C.ocireg_platform_list_os(l, i)),
			Architecture: C.GoString(C.ocireg_platform_list_architecture(l, i)),
			Variant:      goStringOpt(C.ocireg_platform_list_variant(l, i)),
			OSVersion:    goStringOpt(C.ocireg_platform_list_os_version(l, i)),
			Digest:       C.GoString(C.ocireg_platform_list_digest(l, i)),
			Size:         int64(C.ocireg_platform_list_size(l, i)),
			MediaType:    C.GoString(C.ocireg_platform_list_media_type(l, i)),
		}
		for j := C.size_t(0); j < C.ocireg_platform_list_os_feature_count(l, i); j++ {
			p.OSFeatures = append(p.OSFeatures, C.GoString(C.ocireg_platform_list_os_feature(l, i, j)))
		}
		for j := C.size_t(0); j < C.ocireg_platform_list_feature_count(l, i); j++ {
			p.Features = append(p.Features, C.GoString(C.ocireg_platform_list_feature(l, i, j)))
		}
		out = append(out, p)
	}
	return out, nil
}

// GetManifestForPlatform fetches the image manifest of platform
// ("os/arch[/variant]"; "" for this machine's) under reference: through an
// index (and the indexes it nests), the entry matching the platform (an
// exact variant first, else the first of that os and architecture); a
// single-platform manifest is returned as it is. ErrNotFound when the
// index has no image for the platform.
func (c *Client) GetManifestForPlatform(ctx context.Context, reference, platform string) (*Content, error) {
	r, pl := cstr(reference), cstrOpt(platform)
	defer cfree(r)
	defer cfree(pl)
	var p *C.ocireg_content
	err := c.do(ctx, "GetManifestForPlatform", func(cl *C.ocireg_client, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_manifest_get_platform(cl, r, pl, k, &p)
	})
	if err != nil {
		return nil, err
	}
	return content(p), nil
}
