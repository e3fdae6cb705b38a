package ocireg

// #include <stdint.h>
// #include <stddef.h>
import "C"

import (
	"fmt"
	"io"
	"runtime/cgo"
	"unsafe"
)

// transfer is the Go side of a callback-driven call: the io.Writer or
// io.Reader, the progress function, and what went wrong in them.
type transfer struct {
	w        io.Writer
	r        io.Reader
	eof      bool
	progress func(done, total int64)
	// imageProgress is ImageOptions.Progress; false from it aborts.
	imageProgress func(ImageProgress) bool
	err           error // from w or r
	panicked      any   // a panic in a callback, re-raised after the call
}

func transferOf(userdata unsafe.Pointer) *transfer {
	return (*(*cgo.Handle)(userdata)).Value().(*transfer)
}

// recoverInto stops a panic at the C boundary (it must not unwind through
// Rust frames); the caller re-raises it once the C call has returned.
func (t *transfer) recoverInto(rc *C.int) {
	if p := recover(); p != nil {
		t.panicked = p
		*rc = 1
	}
}

// ociregGoWrite is the ocireg_write_cb for downloads into an io.Writer.
//
//export ociregGoWrite
func ociregGoWrite(userdata unsafe.Pointer, data *C.uint8_t, n C.size_t) (rc C.int) {
	t := transferOf(userdata)
	defer t.recoverInto(&rc)
	p := unsafe.Slice((*byte)(unsafe.Pointer(data)), int(n))
	if _, err := t.w.Write(p); err != nil {
		t.err = err
		return 1
	}
	return 0
}

// ociregGoRead is the ocireg_read_cb for uploads from an io.Reader.
//
//export ociregGoRead
func ociregGoRead(userdata unsafe.Pointer, buf *C.uint8_t, capacity C.size_t, lenOut *C.size_t) (rc C.int) {
	t := transferOf(userdata)
	defer t.recoverInto(&rc)
	*lenOut = 0
	if t.eof || capacity == 0 {
		return 0
	}
	p := unsafe.Slice((*byte)(unsafe.Pointer(buf)), int(capacity))
	for {
		n, err := t.r.Read(p)
		if n > 0 {
			*lenOut = C.size_t(n)
			if err == io.EOF {
				t.eof = true
			} else if err != nil {
				t.err = err // reported on the next call
				t.eof = true
			}
			return 0
		}
		if err == io.EOF {
			t.eof = true
			return 0
		}
		if err != nil {
			t.err = err
			return 1
		}
	}
}

// ociregGoProgress is the ocireg_progress_cb.
//
//export ociregGoProgress
func ociregGoProgress(userdata unsafe.Pointer, done, total C.uint64_t) (rc C.int) {
	t := transferOf(userdata)
	defer t.recoverInto(&rc)
	if t.progress != nil {
		t.progress(int64(done), int64(total))
	}
	return 0
}

// ociregGoImageProgress is the ocireg_image_progress_cb; its userdata is
// the cgo.Handle itself (not a pointer to it), because the image options
// keep it beyond the call that sets it.
//
//export ociregGoImageProgress
func ociregGoImageProgress(h C.uintptr_t, digest *C.char, blobDone, blobTotal, done, total, blobs, skipped, mounted, sent C.uint64_t) (rc C.int) {
	t := cgo.Handle(h).Value().(*transfer)
	defer t.recoverInto(&rc)
	if t.imageProgress == nil {
		return 0
	}
	ok := t.imageProgress(ImageProgress{
		Digest:       C.GoString(digest),
		BlobDone:     int64(blobDone),
		BlobTotal:    int64(blobTotal),
		Done:         int64(done),
		Total:        int64(total),
		Blobs:        int64(blobs),
		BlobsSkipped: int64(skipped),
		BlobsMounted: int64(mounted),
		BlobsSent:    int64(sent),
	})
	if !ok {
		return 1
	}
	return 0
}

// finish turns the outcome of a callback-driven call into the final
// error: a panic in a callback is re-raised, and an aborted call wraps the
// reader's or writer's error.
func (t *transfer) finish(err error) error {
	if t.panicked != nil {
		panic(fmt.Sprintf("ocireg: panic in a callback: %v", t.panicked))
	}
	if e, ok := err.(*Error); ok && e.Status == StatusAborted && t.err != nil && e.cause == nil {
		e.cause = t.err
	}
	if err == nil && t.err != nil {
		// The reader failed after its last bytes were accepted.
		return &Error{Status: StatusAborted, StatusName: StatusAborted.String(), Message: "the reader failed", cause: t.err}
	}
	return err
}
