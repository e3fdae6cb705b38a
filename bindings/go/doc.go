// Package ocireg is a container-registry client (OCI Distribution Spec
// v1.1 and Docker Registry HTTP API V2) for Go, over libocireg, the
// ocireg C library written in Rust.
//
// # Quick start
//
//	client, err := ocireg.NewClient(ocireg.Options{
//		InsecureRegistries: []string{"localhost:5000"}, // plain HTTP allowed
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer client.Close()
//
//	ctx := context.Background()
//	tags, err := client.Tags(ctx, "localhost:5000/library/alpine")
//	if errors.Is(err, ocireg.ErrNotFound) {
//		log.Fatal("no such repository")
//	}
//	m, err := client.GetManifest(ctx, "localhost:5000/library/alpine:"+tags[0])
//	fmt.Println(m.MediaType, m.Digest, len(m.Data))
//
//	blob, err := client.OpenBlob(ctx, "localhost:5000/library/alpine", "sha256:...")
//	defer blob.Close()
//	io.Copy(os.Stdout, blob) // verified: the last Read fails on a digest mismatch
//
// # Whole images
//
// Pull, Push, Copy, Save and Inspect move and describe whole images: a
// manifest (or a multi-platform index and its children), its config and
// its layers, with independent blobs moving concurrently
// (Options.Concurrency at a time):
//
//	// Into an OCI image layout directory that skopeo and umoci read:
//	digest, err := client.Pull(ctx, "localhost:5000/library/alpine:3.20", "alpine-oci", nil)
//
//	// Registry to registry, every platform, same digests:
//	digest, err = client.Copy(ctx, "docker.io/library/alpine:3.20", "localhost:5000/library/alpine:3.20",
//		&ocireg.ImageOptions{
//			AllPlatforms: true,
//			Progress: func(p ocireg.ImageProgress) bool {
//				fmt.Printf("\r%d/%d bytes", p.Done, p.Total)
//				return true // false stops the copy with ErrAborted
//			},
//		})
//
//	// Back from the layout, and the image's facts the way skopeo inspect gives them:
//	digest, err = client.Push(ctx, "alpine-oci", "localhost:5000/copy/alpine:3.20", nil)
//	info, err := client.Inspect(ctx, "localhost:5000/copy/alpine:3.20", nil, true)
//	fmt.Println(info.Architecture, info.Os, info.Labels, info.RepoTags)
//
// ImageOptions choose the platform taken from an index (or AllPlatforms),
// the image's name in a layout, repositories to mount blobs from, and a
// Progress function. A cancelled context, a Progress that returns false
// and any failure stop every transfer of the operation and remove its
// temporary files; blobs already verified in a layout stay, so a second
// Pull finishes the job.
//
// # References
//
// Methods take references as strings: a repository is
// "host[:port]/path", a manifest reference adds ":tag" or "@sha256:...",
// and a registry is "host[:port]" ("docker.io" for Docker Hub, where
// "library/" is implied for official images).
//
// # Contexts
//
// Every method that talks to a registry takes a context.Context.
// Cancelling it (or its deadline passing) stops the call inside the
// library (for a whole-image operation, every one of its transfers), and
// the error then satisfies both errors.Is(err,
// ocireg.ErrCancelled) and errors.Is(err, context.Canceled) (or
// context.DeadlineExceeded). A BlobReader and an Upload keep the context
// they were opened with, so cancelling it also stops a Read or Write in
// progress.
//
// # Errors
//
// Failures are *Error values carrying the status, the registry's HTTP
// status and OCI error code, the message and any Retry-After. Test their
// kind with errors.Is against the sentinels (ErrNotFound,
// ErrUnauthorized, ErrDenied, ErrTooManyRequests, ErrDigestMismatch, ...)
// and read the detail with errors.As.
//
// # Concurrency
//
// A Client is safe for concurrent use by any number of goroutines and
// should be shared: it holds one connection pool and one token cache.
// BlobReader and Upload are used by one goroutine at a time.
//
// # Linking
//
// The package links libocireg with cgo, taking its flags from pkg-config.
// By default it links the shared library through ocireg.pc: install it
// with `make install PREFIX=...` from the ocireg repository (set
// PKG_CONFIG_PATH to PREFIX/lib/pkgconfig unless PREFIX is a system
// prefix, and let the program find libocireg.so.0.MINOR at run time
// through ldconfig, LD_LIBRARY_PATH or CGO_LDFLAGS=-Wl,-rpath,PREFIX/lib).
// Inside the repository, `make lib` writes build/lib/pkgconfig/ocireg.pc,
// whose flags carry an rpath, so PKG_CONFIG_PATH=build/lib/pkgconfig is
// all it takes.
//
// With the build tag ocireg_static (`go build -tags ocireg_static`) the
// package links libocireg.a through `pkg-config --static ocireg-static`,
// and the program needs no libocireg.so at run time.
package ocireg
