package ocireg

// #include <stdlib.h>
// #include <ocireg.h>
// extern int ociregGoImageProgress(uintptr_t, char *, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
// static int ocireg_go_image_progress(void *u, const char *d, uint64_t bd, uint64_t bt, uint64_t dn, uint64_t t,
// 		uint64_t b, uint64_t bs, uint64_t bm, uint64_t bn) {
// 	return ociregGoImageProgress((uintptr_t)u, (char *)d, bd, bt, dn, t, b, bs, bm, bn);
// }
// // The handle travels as an integer: the options keep it after the
// // setter returns, which a Go pointer may not do.
// static ocireg_status ocireg_go_image_set_progress(ocireg_image_options *o, uintptr_t h) {
// 	return ocireg_image_options_set_progress(o, ocireg_go_image_progress, (void *)h);
// }
import "C"

import (
	"context"
	"encoding/json"
	"runtime/cgo"
	"time"
)

// ImageProgress is one progress report of a whole-image operation: blob
// Digest is at BlobDone of BlobTotal bytes, and the whole operation at
// Done of Total. Blobs that need no transfer (already in the layout or
// the destination, or mounted) count as done in one report.
//
// Each blob, once finished, is counted once in BlobsSkipped, BlobsMounted
// or BlobsSent, so in the last report of a finished operation the three
// add up to Blobs.
type ImageProgress struct {
	Digest    string // the blob that moved
	BlobDone  int64  // bytes of that blob done so far
	BlobTotal int64  // the blob's size
	Done      int64  // bytes of the operation done so far (less again if an upload starts over)
	Total     int64  // bytes of the operation's blobs
	Blobs     int64  // blobs of the operation
	// BlobsSkipped counts the finished blobs that needed no transfer:
	// already in the destination registry or layout.
	BlobsSkipped int64
	// BlobsMounted counts the finished blobs the registry mounted from
	// another repository (Push, Copy).
	BlobsMounted int64
	// BlobsSent counts the finished blobs whose bytes moved: uploaded
	// (Push, Copy), downloaded (Pull) or written (Save).
	BlobsSent int64
}

// ImageOptions tune Pull, Push, Copy, Save and Inspect. A nil
// *ImageOptions gives the defaults: this machine's platform from an index,
// the reference's tag as the layout name, no progress. How many blobs move
// at once is the Client's Options.Concurrency.
type ImageOptions struct {
	// Platform is the platform taken from a multi-platform index,
	// "os/arch[/variant]" such as "linux/arm64/v8" ("": this machine's).
	// Pull, Push and Copy also take a comma-separated subset
	// ("linux/amd64,linux/arm64"): the destination then gets an index
	// naming only those platforms' images, with a new digest unless they
	// are all of the index's; a platform the index lacks is ErrNotFound
	// before anything is written.
	Platform string
	// AllPlatforms keeps the whole index and every platform's image
	// (Pull, Push, Copy), with the index's digest unchanged.
	AllPlatforms bool
	// LayoutName is the image's name in an OCI layout (the
	// org.opencontainers.image.ref.name annotation of index.json): what
	// Pull writes (default: the reference's tag) and what Push reads
	// (default: the layout's only image).
	LayoutName string
	// MountFrom lists repositories of the destination registry ("path",
	// without the host) to mount blobs from before uploading them (Push;
	// Copy within one registry mounts from its source by itself).
	MountFrom []string
	// Referrers makes Pull, Push and Copy carry what is attached to the
	// image as well: its referrers and cosign's sha256-<hex>.sig, .att and
	// .sbom tags, recursively (a signature of an SBOM too), digests
	// unchanged. A registry destination lists them through its referrers
	// API or the sha256-<hex> fallback tag, as it supports; an OCI layout
	// stores them where oras and regctl read them. The whole graph is read
	// before anything is written.
	Referrers bool
	// ReferrerArtifactTypes, when not empty, carries only the attachments
	// of the image whose artifact type is one of these (each with what is
	// attached to it in turn); it implies Referrers.
	ReferrerArtifactTypes []string
	// ResumeDir, when set, is a directory where Push (and Copy into a
	// registry) records each blob's upload session (created with mode 0700
	// when missing), so that a push or copy killed or failed midway
	// continues the next time from what the registry kept; blobs then go
	// up in chunks. A registry that dropped a session makes that blob
	// start over. A resumed Copy reads the source again and sends the rest.
	ResumeDir string
	// Signatures makes Copy carry the signatures of every manifest it
	// copies, registry to registry: read where containers' registries.d
	// says the source keeps them (its lookaside, and sigstore .sig
	// attachments when use-sigstore-attachments is set), written where it
	// says the destination keeps them (a file:// lookaside-staging, or
	// .sig attachments), byte for byte; all checked before anything is
	// written. An OCI layout or archive holds no signatures: with one at
	// either end (and in Pull and Push) it is an ErrInvalidArgument error.
	Signatures bool
	// RegistriesD is the registries.d directory Signatures reads ("": the
	// user's ~/.config/containers/registries.d when it exists, else
	// /etc/containers/registries.d).
	RegistriesD string
	// Progress, when set, is called as blobs move, on the goroutine making
	// the call (one call at a time; keep it quick: transfers continue
	// meanwhile and reports queue up). Returning false stops the operation
	// with ErrAborted, its temporary files removed. A panic in Progress
	// stops the operation too, and is re-raised once the call has returned.
	// Progress must not call the Client itself: libocireg refuses calls
	// made from inside its callbacks (ErrUnsupported); hand such work to
	// another goroutine.
	Progress func(ImageProgress) bool
}

// ImageInfo is what Inspect reports about an image, with the field names
// of `skopeo inspect` (so its JSON output decodes into this too).
type ImageInfo struct {
	Name          string            // "registry/repository"
	Digest        string            // the manifest's digest (the index's, for a multi-platform image)
	RepoTags      []string          // every tag of the repository when asked for, else empty
	Created       *time.Time        // when the image was built, if recorded
	DockerVersion string            // the Docker version that built it, or ""
	Labels        map[string]string // the config's labels
	Architecture  string            // such as "amd64"
	Os            string            // such as "linux"
	Variant       string            // such as "v8", if any
	Layers        []string          // the layer digests, base first
	LayersData    []ImageLayer      // the layer descriptors, base first
	Env           []string          // the config's environment, "NAME=value"
}

// ImageLayer is one layer of ImageInfo.LayersData.
type ImageLayer struct {
	MIMEType string // the layer's media type
	Digest   string // the layer's digest, "sha256:..."
	Size     int64  // the layer's size in bytes
}

// imageOptions builds the C options for opts (nil for none) with the
// progress callback going to t. Free the result with
// ocireg_image_options_free.
func imageOptions(op string, opts *ImageOptions, h cgo.Handle) (*C.ocireg_image_options, error) {
	if opts == nil {
		return nil, nil
	}
	o := C.ocireg_image_options_new()
	if o == nil {
		return nil, &Error{Status: StatusPanic, StatusName: StatusPanic.String(), Op: op, Message: "ocireg_image_options_new failed"}
	}
	err := func() error {
		str := func(name string, v string, f func(*C.char) C.ocireg_status) error {
			cs := cstr(v)
			defer cfree(cs)
			return call(op+": "+name, nil, func() C.ocireg_status { return f(cs) })
		}
		if opts.Platform != "" {
			if err := str("Platform", opts.Platform, func(s *C.char) C.ocireg_status {
				return C.ocireg_image_options_set_platform(o, s)
			}); err != nil {
				return err
			}
		}
		if opts.AllPlatforms {
			if err := call(op+": AllPlatforms", nil, func() C.ocireg_status {
				return C.ocireg_image_options_set_all_platforms(o, 1)
			}); err != nil {
				return err
			}
		}
		if opts.LayoutName != "" {
			if err := str("LayoutName", opts.LayoutName, func(s *C.char) C.ocireg_status {
				return C.ocireg_image_options_set_layout_name(o, s)
			}); err != nil {
				return err
			}
		}
		for _, repo := range opts.MountFrom {
			if err := str("MountFrom", repo, func(s *C.char) C.ocireg_status {
				return C.ocireg_image_options_add_mount_from(o, s)
			}); err != nil {
				return err
			}
		}
		if opts.Referrers {
			if err := call(op+": Referrers", nil, func() C.ocireg_status {
				return C.ocireg_image_options_set_referrers(o, C.OCIREG_REFERRERS_ALL)
			}); err != nil {
				return err
			}
		}
		for _, t := range opts.ReferrerArtifactTypes {
			if err := str("ReferrerArtifactTypes", t, func(s *C.char) C.ocireg_status {
				return C.ocireg_image_options_add_referrer_artifact_type(o, s)
			}); err != nil {
				return err
			}
		}
		if opts.ResumeDir != "" {
			if err := str("ResumeDir", opts.ResumeDir, func(s *C.char) C.ocireg_status {
				return C.ocireg_image_options_set_resume_dir(o, s)
			}); err != nil {
				return err
			}
		}
		if opts.Signatures {
			dir := (*C.char)(nil)
			if opts.RegistriesD != "" {
				dir = cstr(opts.RegistriesD)
				defer cfree(dir)
			}
			if err := call(op+": Signatures", nil, func() C.ocireg_status {
				return C.ocireg_image_options_set_signatures(o, 1, dir)
			}); err != nil {
				return err
			}
		}
		if opts.Progress != nil {
			return call(op+": Progress", nil, func() C.ocireg_status {
				return C.ocireg_go_image_set_progress(o, C.uintptr_t(h))
			})
		}
		return nil
	}()
	if err != nil {
		C.ocireg_image_options_free(o)
		return nil, err
	}
	return o, nil
}

// image runs a whole-image operation: it builds the options, runs f under
// ctx, and re-raises a panic of the Progress function.
func (c *Client) image(ctx context.Context, op string, opts *ImageOptions, f func(cl *C.ocireg_client, o *C.ocireg_image_options, k *C.ocireg_cancel) C.ocireg_status) error {
	t := &transfer{}
	if opts != nil {
		t.imageProgress = opts.Progress
	}
	h := cgo.NewHandle(t)
	defer h.Delete()
	o, err := imageOptions(op, opts, h)
	if err != nil {
		return err
	}
	defer C.ocireg_image_options_free(o)
	err = c.do(ctx, op, func(cl *C.ocireg_client, k *C.ocireg_cancel) C.ocireg_status {
		return f(cl, o, k)
	})
	return t.finish(err)
}

// imageDigest runs an image operation that gives a digest.
func (c *Client) imageDigest(ctx context.Context, op, a, b string, opts *ImageOptions,
	f func(cl *C.ocireg_client, a, b *C.char, o *C.ocireg_image_options, k *C.ocireg_cancel, out **C.char) C.ocireg_status,
) (string, error) {
	ca, cb := cstr(a), cstr(b)
	defer cfree(ca)
	defer cfree(cb)
	var out *C.char
	err := c.image(ctx, op, opts, func(cl *C.ocireg_client, o *C.ocireg_image_options, k *C.ocireg_cancel) C.ocireg_status {
		return f(cl, ca, cb, o, k, &out)
	})
	digest := goStringFree(out)
	if err != nil {
		return "", err
	}
	return digest, nil
}

// Pull downloads image ref into the OCI image layout directory dir
// (created if needed; skopeo and umoci read it as their own) and gives the
// digest it names in index.json, under the org.opencontainers.image.ref.name
// opts.LayoutName or else ref's tag. From a multi-platform index it takes
// opts.Platform's image, or with opts.AllPlatforms the whole index.
//
// Blobs already in dir and verified are not fetched again; every blob is
// written to a temporary file and renamed only once its digest checks out,
// so an interrupted Pull (a cancelled ctx, an error, Progress returning
// false) leaves no partial file and a second Pull finishes the job.
func (c *Client) Pull(ctx context.Context, ref, dir string, opts *ImageOptions) (string, error) {
	return c.imageDigest(ctx, "Pull", ref, dir, opts,
		func(cl *C.ocireg_client, r, d *C.char, o *C.ocireg_image_options, k *C.ocireg_cancel, out **C.char) C.ocireg_status {
			return C.ocireg_client_image_pull(cl, r, d, o, k, out)
		})
}

// Push uploads the image of the OCI layout directory dir (the one named
// opts.LayoutName, or the layout's only image) to ref, which may be a tag
// or a digest reference, and gives the digest of what was tagged: the
// same as in the layout. Blobs the registry already has are skipped, those
// in a repository of opts.MountFrom are mounted, and manifests go
// children first so that the registry accepts an index.
func (c *Client) Push(ctx context.Context, dir, ref string, opts *ImageOptions) (string, error) {
	return c.imageDigest(ctx, "Push", dir, ref, opts,
		func(cl *C.ocireg_client, d, r *C.char, o *C.ocireg_image_options, k *C.ocireg_cancel, out **C.char) C.ocireg_status {
			return C.ocireg_client_image_push(cl, d, r, o, k, out)
		})
}

// Copy copies image src to dst and gives the digest of the manifest
// written. Both are named as skopeo names them: "docker://HOST/REPO:TAG"
// (or a bare reference: a registry), "oci:DIR[:REF]",
// "oci-archive:FILE[:REF]", "docker-archive:FILE[:REPO:TAG|:@N]" or
// "dir:DIR". Blobs stream from source to destination, verified on the way;
// those a registry already has are skipped, and within one registry they
// are mounted from the source repository instead of copied. Digests stay
// identical (a docker-archive, which has no manifest, gets the one skopeo
// generates): with opts.AllPlatforms a multi-platform index is copied
// whole, with its digest; without, only opts.Platform's image is. A
// destination file or directory appears only when complete.
func (c *Client) Copy(ctx context.Context, src, dst string, opts *ImageOptions) (string, error) {
	return c.imageDigest(ctx, "Copy", src, dst, opts,
		func(cl *C.ocireg_client, s, d *C.char, o *C.ocireg_image_options, k *C.ocireg_cancel, out **C.char) C.ocireg_status {
			return C.ocireg_client_image_copy(cl, s, d, o, k, out)
		})
}

// Save writes image ref (opts.Platform's image, for an index) to file as
// a docker-archive tarball, which `docker load` and `podman load` accept,
// and gives the image manifest's digest. The file appears only once
// complete.
func (c *Client) Save(ctx context.Context, ref, file string, opts *ImageOptions) (string, error) {
	return c.imageDigest(ctx, "Save", ref, file, opts,
		func(cl *C.ocireg_client, r, f *C.char, o *C.ocireg_image_options, k *C.ocireg_cancel, out **C.char) C.ocireg_status {
			return C.ocireg_client_image_save(cl, r, f, o, k, out)
		})
}

// Inspect gives the facts of image ref as `skopeo inspect` does: from a
// multi-platform index, those of opts.Platform's image (Digest stays the
// index's). ref may name any transport as SourceManifest's name does; Name
// is then the repository of its IntendedDockerReference ("" without one).
// With withTags, RepoTags lists the tags of a docker:// repository. Only
// opts.Platform matters here.
func (c *Client) Inspect(ctx context.Context, ref string, opts *ImageOptions, withTags bool) (*ImageInfo, error) {
	r := cstr(ref)
	defer cfree(r)
	tags := C.int(0)
	if withTags {
		tags = 1
	}
	var out *C.char
	err := c.image(ctx, "Inspect", opts, func(cl *C.ocireg_client, o *C.ocireg_image_options, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_source_inspect(cl, r, o, tags, k, &out)
	})
	data := goStringFree(out)
	if err != nil {
		return nil, err
	}
	info := new(ImageInfo)
	if err := json.Unmarshal([]byte(data), info); err != nil {
		return nil, &Error{Status: StatusProtocol, StatusName: StatusProtocol.String(), Op: "Inspect",
			Message: "decoding the image facts: " + err.Error()}
	}
	return info, nil
}
