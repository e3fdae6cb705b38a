package ocireg

// #include <ocireg.h>
import "C"

import (
	"context"
	"io"
	"runtime"
	"sync"
	"unsafe"
)

// Upload is a blob upload session used as an io.Writer: Write buffers the
// bytes and sends them to the registry in chunks, Commit creates the blob,
// Suspend leaves the session on the registry to be picked up later with
// ResumeUpload, and Close abandons a session that was neither committed
// nor suspended. It also implements io.ReaderFrom, so io.Copy moves large
// chunks.
//
// The upload keeps the context it was started with: cancelling it stops a
// Write or Commit in progress. An Upload is used by one goroutine at a
// time, except that Close may be called from another goroutine to stop a
// blocked call. Close it when done (a finalizer frees a forgotten one);
// Close after Commit or Suspend is a no-op, so `defer up.Close()` is safe.
type Upload struct {
	mu     sync.Mutex
	ptr    *C.ocireg_upload
	k      *canceller
	ctx    context.Context
	err    error // sticky write error
	closed chan struct{}
	once   sync.Once
}

// StartUpload opens an upload session in repository.
func (c *Client) StartUpload(ctx context.Context, repository string) (*Upload, error) {
	r := cstr(repository)
	defer cfree(r)
	k := newCanceller(ctx, true)
	var p *C.ocireg_upload
	err := c.open(ctx, "StartUpload", k, func(cl *C.ocireg_client) C.ocireg_status {
		return C.ocireg_client_upload_start(cl, r, k.ptr(), &p)
	})
	if err != nil {
		k.free()
		return nil, err
	}
	return newUpload(ctx, p, k), nil
}

// ResumeUpload picks up a session of repository suspended with
// Upload.Suspend, from its location; the registry is asked how many bytes
// it holds (see Offset). Write the rest, then Commit with the expected
// digest.
func (c *Client) ResumeUpload(ctx context.Context, repository, location string) (*Upload, error) {
	r, l := cstr(repository), cstr(location)
	defer cfree(r)
	defer cfree(l)
	k := newCanceller(ctx, true)
	var p *C.ocireg_upload
	err := c.open(ctx, "ResumeUpload", k, func(cl *C.ocireg_client) C.ocireg_status {
		return C.ocireg_client_upload_resume(cl, r, l, k.ptr(), &p)
	})
	if err != nil {
		k.free()
		return nil, err
	}
	return newUpload(ctx, p, k), nil
}

func newUpload(ctx context.Context, p *C.ocireg_upload, k *canceller) *Upload {
	u := &Upload{ptr: p, k: k, ctx: ctx, closed: make(chan struct{})}
	runtime.SetFinalizer(u, (*Upload).free)
	return u
}

// Write appends p to the blob; full chunks are sent as they fill.
func (u *Upload) Write(p []byte) (int, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if err := u.write(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (u *Upload) write(p []byte) error {
	if err := u.usable(); err != nil {
		return err
	}
	if len(p) == 0 {
		return nil
	}
	err := u.call("Upload.Write", func() C.ocireg_status {
		return C.ocireg_upload_write(u.ptr, (*C.uint8_t)(unsafe.Pointer(&p[0])), C.size_t(len(p)))
	})
	if err != nil {
		u.err = err
	}
	return err
}

// ReadFrom writes everything r supplies (for io.Copy).
func (u *Upload) ReadFrom(r io.Reader) (int64, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if err := u.usable(); err != nil {
		return 0, err
	}
	buf := make([]byte, copyBufferSize)
	var total int64
	for {
		n, rerr := io.ReadFull(r, buf)
		if n > 0 {
			if err := u.write(buf[:n]); err != nil {
				return total, err
			}
			total += int64(n)
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			return total, nil
		}
		if rerr != nil {
			return total, rerr
		}
	}
}

// Offset is how many bytes the registry holds (bytes still buffered not
// included).
func (u *Upload) Offset() int64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	return int64(C.ocireg_upload_offset(u.ptr))
}

// Location is the session's URL.
func (u *Upload) Location() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.ptr == nil {
		return ""
	}
	return C.GoString(C.ocireg_upload_location(u.ptr))
}

// Commit sends what is buffered and creates the blob, which must hash to
// digest; with digest "" the digest of the bytes written through this
// Upload is used (a resumed upload needs the digest). It gives the blob's
// digest. The upload is spent afterwards, whatever the outcome.
func (u *Upload) Commit(digest string) (string, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if err := u.usable(); err != nil {
		return "", err
	}
	d := cstrOpt(digest)
	defer cfree(d)
	var out *C.char
	err := u.call("Upload.Commit", func() C.ocireg_status {
		return C.ocireg_upload_commit(u.ptr, d, &out)
	})
	got := goStringFree(out)
	u.free()
	if err != nil {
		return "", err
	}
	return got, nil
}

// Suspend sends what is buffered and leaves the session on the registry;
// its location and offset are what ResumeUpload needs. The upload is
// spent afterwards.
func (u *Upload) Suspend() (location string, offset int64, err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if err := u.usable(); err != nil {
		return "", 0, err
	}
	var loc *C.char
	var off C.uint64_t
	err = u.call("Upload.Suspend", func() C.ocireg_status {
		return C.ocireg_upload_suspend(u.ptr, &loc, &off)
	})
	location = goStringFree(loc)
	if err != nil {
		// The session was not handed over: free abandons it.
		u.free()
		return "", 0, err
	}
	// The session is the caller's now; freeing the spent handle keeps it.
	u.free()
	return location, int64(off), nil
}

// Close abandons the session on the registry (best effort) unless it was
// committed or suspended, and frees the upload; a call blocked in another
// goroutine returns ErrClosed. Close is idempotent and returns nil.
func (u *Upload) Close() error {
	if !u.mu.TryLock() {
		u.once.Do(func() { close(u.closed) })
		u.k.cancel()
		u.mu.Lock()
	}
	defer u.mu.Unlock()
	u.once.Do(func() { close(u.closed) })
	u.free()
	return nil
}

func (u *Upload) usable() error {
	if u.ptr == nil {
		return ErrClosed
	}
	return u.err
}

func (u *Upload) call(op string, f func() C.ocireg_status) error {
	err := call(op, u.ctx, f)
	if err != nil {
		select {
		case <-u.closed:
			return ErrClosed
		default:
		}
	}
	return err
}

func (u *Upload) free() {
	if u.ptr != nil {
		C.ocireg_upload_free(u.ptr)
		u.ptr = nil
		u.k.free()
		runtime.SetFinalizer(u, nil)
	}
}
