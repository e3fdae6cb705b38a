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
// library, and the error then satisfies both errors.Is(err,
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
// The package links libocireg with cgo. Inside the ocireg repository run
// `make lib` first: by default the package uses include/ and build/lib/
// of the repository, with an rpath so that no LD_LIBRARY_PATH is needed.
// For an installed library (`make install PREFIX=...`), build with
// `-tags ocireg_pkgconfig` so that the flags come from pkg-config's
// ocireg.pc (set PKG_CONFIG_PATH to PREFIX/lib/pkgconfig if needed).
//
// Whole-image operations (pull, push and copy of an image with all its
// blobs) are not in the C API yet; this package will wrap them when they
// are. Meanwhile, compose them from the blob and manifest methods as the
// mirror example of the repository (examples/go/mirror) does.
package ocireg
