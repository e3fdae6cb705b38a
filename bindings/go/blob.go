package ocireg

// #include <ocireg.h>
// extern int ociregGoWrite(void *, uint8_t *, size_t);
// extern int ociregGoRead(void *, uint8_t *, size_t, size_t *);
// extern int ociregGoProgress(void *, uint64_t, uint64_t);
// static int ocireg_go_write(void *u, const uint8_t *d, size_t n) { return ociregGoWrite(u, (uint8_t *)d, n); }
// static int ocireg_go_read(void *u, uint8_t *b, size_t c, size_t *n) { return ociregGoRead(u, b, c, n); }
// static int ocireg_go_progress(void *u, uint64_t d, uint64_t t) { return ociregGoProgress(u, d, t); }
// static ocireg_write_cb ocireg_go_write_cb(void) { return ocireg_go_write; }
// static ocireg_read_cb ocireg_go_read_cb(void) { return ocireg_go_read; }
// static ocireg_progress_cb ocireg_go_progress_cb(int on) { return on ? ocireg_go_progress : NULL; }
import "C"

import (
	"context"
	"io"
	"runtime"
	"runtime/cgo"
	"sync"
	"unsafe"
)

// ProgressFunc receives the progress of a transfer: bytes done so far, of
// total (0 when unknown). It is called on the goroutine making the call.
type ProgressFunc func(done, total int64)

// copyBufferSize is the size of the chunks moved across the C boundary by
// WriteTo and ReadFrom (large chunks keep the per-call cost negligible).
const copyBufferSize = 1 << 20

// GetBlob downloads blob digest of repository into w, verified: a nil
// error means every byte was written and the digest checked out.
// progress (may be nil) is told how far the download got. An error from
// w stops the download; the returned error wraps it (and is ErrAborted).
func (c *Client) GetBlob(ctx context.Context, repository, digest string, w io.Writer, progress ProgressFunc) error {
	r, d := cstr(repository), cstr(digest)
	defer cfree(r)
	defer cfree(d)
	t := &transfer{w: w, progress: progress}
	h := cgo.NewHandle(t)
	defer h.Delete()
	ud := unsafe.Pointer(&h)
	on := C.int(0)
	if progress != nil {
		on = 1
	}
	err := c.do(ctx, "GetBlob", func(cl *C.ocireg_client, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_blob_get(cl, r, d, C.ocireg_go_write_cb(), ud, C.ocireg_go_progress_cb(on), ud, k)
	})
	return t.finish(err)
}

// GetBlobRange downloads length bytes (0: to the end) from offset of blob
// digest into w. A partial read cannot be verified against the digest.
func (c *Client) GetBlobRange(ctx context.Context, repository, digest string, offset, length int64, w io.Writer) error {
	if offset < 0 || length < 0 {
		return &Error{Status: StatusInvalidArgument, StatusName: StatusInvalidArgument.String(), Op: "GetBlobRange", Message: "negative offset or length"}
	}
	r, d := cstr(repository), cstr(digest)
	defer cfree(r)
	defer cfree(d)
	t := &transfer{w: w}
	h := cgo.NewHandle(t)
	defer h.Delete()
	ud := unsafe.Pointer(&h)
	err := c.do(ctx, "GetBlobRange", func(cl *C.ocireg_client, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_blob_get_range(cl, r, d, C.uint64_t(offset), C.uint64_t(length), C.ocireg_go_write_cb(), ud, k)
	})
	return t.finish(err)
}

// PushBlob uploads everything r supplies into repository as one blob, in
// chunks, and gives its digest (which the registry verified). progress
// (may be nil) is told the bytes sent so far. An error from r stops the
// upload; the returned error wraps it.
func (c *Client) PushBlob(ctx context.Context, repository string, r io.Reader, progress ProgressFunc) (string, error) {
	repo := cstr(repository)
	defer cfree(repo)
	t := &transfer{r: r, progress: progress}
	h := cgo.NewHandle(t)
	defer h.Delete()
	ud := unsafe.Pointer(&h)
	on := C.int(0)
	if progress != nil {
		on = 1
	}
	var dig *C.char
	err := c.do(ctx, "PushBlob", func(cl *C.ocireg_client, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_blob_push_from(cl, repo, C.ocireg_go_read_cb(), ud, C.ocireg_go_progress_cb(on), ud, k, &dig)
	})
	digest := goStringFree(dig)
	if err = t.finish(err); err != nil {
		return "", err
	}
	return digest, nil
}

// PushBlobBytes uploads data as one blob into repository in a single
// request and gives its digest. Prefer PushBlob for large blobs.
func (c *Client) PushBlobBytes(ctx context.Context, repository string, data []byte) (string, error) {
	repo := cstr(repository)
	defer cfree(repo)
	var dig *C.char
	err := c.do(ctx, "PushBlobBytes", func(cl *C.ocireg_client, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_blob_push(cl, repo, bytesPtr(data), C.size_t(len(data)), k, &dig)
	})
	if err != nil {
		return "", err
	}
	return goStringFree(dig), nil
}

// MountBlob asks the registry to link blob digest from repository path
// from (on the same registry, such as "library/alpine") into repository,
// without moving its bytes. It reports whether the registry did; when it
// did not (it may not have the blob, or refuse cross-repository mounts),
// push the blob instead.
func (c *Client) MountBlob(ctx context.Context, repository, digest, from string) (bool, error) {
	r, d, f := cstr(repository), cstr(digest), cstr(from)
	defer cfree(r)
	defer cfree(d)
	defer cfree(f)
	var mounted C.int
	err := c.do(ctx, "MountBlob", func(cl *C.ocireg_client, k *C.ocireg_cancel) C.ocireg_status {
		return C.ocireg_client_blob_mount(cl, r, d, f, k, &mounted, nil)
	})
	return err == nil && mounted != 0, err
}

// MountOrStartUpload is MountBlob that keeps the upload session the
// registry opens when it does not mount: it gives a nil Upload when the
// blob was mounted, else an Upload to write the blob into (bound to ctx
// like StartUpload's).
func (c *Client) MountOrStartUpload(ctx context.Context, repository, digest, from string) (*Upload, error) {
	r, d, f := cstr(repository), cstr(digest), cstr(from)
	defer cfree(r)
	defer cfree(d)
	defer cfree(f)
	k := newCanceller(ctx, true)
	var mounted C.int
	var up *C.ocireg_upload
	err := c.open(ctx, "MountOrStartUpload", k, func(cl *C.ocireg_client) C.ocireg_status {
		return C.ocireg_client_blob_mount(cl, r, d, f, k.ptr(), &mounted, &up)
	})
	if err != nil || up == nil {
		k.free()
		return nil, err
	}
	return newUpload(ctx, up, k), nil
}

// open runs a call that opens a handle which keeps the cancel signal k:
// like do, but k outlives the call (the caller frees it on failure).
func (c *Client) open(ctx context.Context, op string, k *canceller, f func(cl *C.ocireg_client) C.ocireg_status) error {
	if ctx.Err() != nil {
		return cancelledError(op, ctx)
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ptr == nil {
		return ErrClosed
	}
	return call(op, ctx, func() C.ocireg_status { return f(c.ptr) })
}

// BlobReader streams a blob download: an io.ReadCloser whose final Read
// returns io.EOF only after the digest checked out (a mismatch is an
// ErrDigestMismatch error from Read instead). Cancelling the context it
// was opened with stops a Read in progress. It also implements
// io.WriterTo, so io.Copy moves large chunks.
//
// A BlobReader is used by one goroutine at a time, except that Close may
// be called from another goroutine to stop a blocked Read. Close it when
// done (a finalizer frees a forgotten one).
type BlobReader struct {
	mu     sync.Mutex
	ptr    *C.ocireg_blob_reader
	k      *canceller
	ctx    context.Context
	size   int64
	err    error // sticky: the first error, or io.EOF
	closed chan struct{}
	once   sync.Once
}

// OpenBlob opens blob digest of repository for reading. The reader keeps
// ctx: cancelling it stops the download, even inside a Read.
func (c *Client) OpenBlob(ctx context.Context, repository, digest string) (*BlobReader, error) {
	r, d := cstr(repository), cstr(digest)
	defer cfree(r)
	defer cfree(d)
	k := newCanceller(ctx, true)
	var p *C.ocireg_blob_reader
	err := c.open(ctx, "OpenBlob", k, func(cl *C.ocireg_client) C.ocireg_status {
		return C.ocireg_client_blob_open(cl, r, d, k.ptr(), &p)
	})
	if err != nil {
		k.free()
		return nil, err
	}
	br := &BlobReader{ptr: p, k: k, ctx: ctx, size: int64(C.ocireg_blob_reader_size(p)), closed: make(chan struct{})}
	runtime.SetFinalizer(br, (*BlobReader).free)
	return br, nil
}

// Size is the blob's size as the registry gave it, or -1 when unknown.
func (b *BlobReader) Size() int64 {
	if b.size == 0 {
		return -1
	}
	return b.size
}

// Read reads up to len(p) bytes of the blob.
func (b *BlobReader) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.read(p)
}

func (b *BlobReader) read(p []byte) (int, error) {
	if b.ptr == nil {
		return 0, ErrClosed
	}
	if b.err != nil {
		return 0, b.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	var n C.size_t
	err := call("BlobReader.Read", b.ctx, func() C.ocireg_status {
		return C.ocireg_blob_reader_read(b.ptr, (*C.uint8_t)(unsafe.Pointer(&p[0])), C.size_t(len(p)), &n)
	})
	if err != nil {
		select {
		case <-b.closed:
			err = ErrClosed
		default:
		}
		b.err = err
		return int(n), err
	}
	if n == 0 {
		b.err = io.EOF
		return 0, io.EOF
	}
	return int(n), nil
}

// WriteTo copies the rest of the blob into w (for io.Copy); it returns
// nil at the verified end.
func (b *BlobReader) WriteTo(w io.Writer) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	buf := make([]byte, copyBufferSize)
	var total int64
	for {
		n, err := b.read(buf)
		if n > 0 {
			m, werr := w.Write(buf[:n])
			total += int64(m)
			if werr != nil {
				return total, werr
			}
			if m < n {
				return total, io.ErrShortWrite
			}
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// Close stops the download and frees the reader; a Read blocked in
// another goroutine returns ErrClosed. Close is idempotent and returns nil.
func (b *BlobReader) Close() error {
	if !b.mu.TryLock() {
		// A Read is in progress: stop it, then wait for it.
		b.signalClose()
		b.k.cancel()
		b.mu.Lock()
	}
	defer b.mu.Unlock()
	b.signalClose()
	b.free()
	runtime.SetFinalizer(b, nil)
	return nil
}

func (b *BlobReader) signalClose() {
	b.once.Do(func() { close(b.closed) })
}

func (b *BlobReader) free() {
	if b.ptr != nil {
		C.ocireg_blob_reader_free(b.ptr)
		b.ptr = nil
		b.k.free()
	}
}
