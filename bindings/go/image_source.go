package ocireg

// #include <stdlib.h>
// #include <ocireg.h>
import "C"

import (
	"context"
	"encoding/json"
)

// LayerFile is one blob Layers wrote.
type LayerFile struct {
	File      string `json:"file"`      // its name in the directory: the digest's hex
	Digest    string `json:"digest"`    // "sha256:..."
	Size      int64  `json:"size"`      // bytes
	MediaType string `json:"mediaType"` // as the manifest gives it
}

// SourceManifest fetches the manifest image name names on any transport,
// byte for byte (`skopeo inspect --raw`): name has skopeo's transport
// prefix (docker://HOST/REPO:TAG or a bare reference, oci:DIR[:REF],
// oci-archive:FILE[:REF], docker-archive:FILE[:REPO:TAG|:@N], dir:DIR).
// That is the index of a multi-platform image, or with opts.Platform set
// the image manifest that platform selects. A docker-archive holds no
// manifest: it gets the one skopeo generates (same digest).
func (c *Client) SourceManifest(ctx context.Context, name string, opts *ImageOptions) (*Content, error) {
	n := cstr(name)
	defer cfree(n)
	var out *C.ocireg_content
	err := c.image(ctx, "SourceManifest", opts, func(cl *C.ocireg_client, o *C.ocireg_image_options, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_source_manifest(cl, n, o, k, &out)
	})
	if err != nil {
		return nil, err
	}
	return content(out), nil
}

// Layers writes the config and the layers of image name (any transport,
// as for SourceManifest; through an index, opts.Platform's image) into
// dir, created when missing, each as the file named by its digest's hex
// (as skopeo's layers and dir: name blobs), config first. Each blob is
// streamed and verified before it appears. Without overwrite, an existing
// file of one of those names fails the call before anything is written;
// with it, regular files are replaced (symlinks and directories never).
// opts.Progress sees the blobs move.
func (c *Client) Layers(ctx context.Context, name, dir string, opts *ImageOptions, overwrite bool) ([]LayerFile, error) {
	n, d := cstr(name), cstr(dir)
	defer cfree(n)
	defer cfree(d)
	ow := C.int(0)
	if overwrite {
		ow = 1
	}
	var out *C.char
	err := c.image(ctx, "Layers", opts, func(cl *C.ocireg_client, o *C.ocireg_image_options, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_source_layers(cl, n, d, o, ow, k, &out)
	})
	data := goStringFree(out)
	if err != nil {
		return nil, err
	}
	var files []LayerFile
	if err := json.Unmarshal([]byte(data), &files); err != nil {
		return nil, &Error{Status: StatusProtocol, StatusName: StatusProtocol.String(), Op: "Layers",
			Message: "decoding the layer list: " + err.Error()}
	}
	return files, nil
}

// RepositoryTags lists the tags of a repository by image name, as
// `skopeo list-tags` does: a docker:// name's repository (its tag or
// digest ignored), or every RepoTags entry of a docker-archive (as
// written, "@N" for an untagged image). Other transports have no tags:
// StatusUnsupported.
func (c *Client) RepositoryTags(ctx context.Context, name string) ([]string, error) {
	n := cstr(name)
	defer cfree(n)
	var list *C.ocireg_string_list
	err := c.do(ctx, "RepositoryTags", func(cl *C.ocireg_client, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_source_tags(cl, n, k, &list)
	})
	if err != nil {
		return nil, err
	}
	return stringList(list), nil
}

// IntendedDockerReference gives the docker reference image name intends
// (containers/image's DockerReference): a docker:// name's reference, a
// docker-archive's RepoTags entry when the name selects one (in full:
// "busybox:1" gives "docker.io/library/busybox:1"); ok is false for "@N",
// a docker-archive named by file alone, oci:, oci-archive: and dir:. No
// I/O.
func IntendedDockerReference(name string) (ref string, ok bool, err error) {
	const op = "IntendedDockerReference"
	n := cstr(name)
	defer cfree(n)
	var out *C.char
	if err := call(op, nil, func() C.ocireg_status { return C.ocireg_image_name_intended_reference(n, &out) }); err != nil {
		return "", false, err
	}
	if out == nil {
		return "", false, nil
	}
	return goStringFree(out), true, nil
}
