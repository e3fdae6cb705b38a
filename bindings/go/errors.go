package ocireg

// #include <ocireg.h>
import "C"

import (
	"context"
	"errors"
	"time"
)

// Status is the result code of a libocireg call: StatusOK or the kind of
// failure. The values are those of the C enum ocireg_status and never
// change meaning.
//
// A Status is also an error, so the Err* sentinels below are Status values
// and errors.Is(err, ErrNotFound) works on any error this package returns.
type Status uint32

// The status codes, one per C OCIREG_* value.
const (
	StatusOK               Status = C.OCIREG_OK                    // success
	StatusNullArgument     Status = C.OCIREG_ERR_NULL_ARGUMENT     // a required argument was missing
	StatusInvalidUTF8      Status = C.OCIREG_ERR_INVALID_UTF8      // a string was not UTF-8
	StatusInvalidArgument  Status = C.OCIREG_ERR_INVALID_ARGUMENT  // an argument was malformed or out of range
	StatusInvalidReference Status = C.OCIREG_ERR_INVALID_REFERENCE // an image reference could not be parsed
	StatusInvalidDigest    Status = C.OCIREG_ERR_INVALID_DIGEST    // a digest could not be parsed
	StatusNotFound         Status = C.OCIREG_ERR_NOT_FOUND         // the manifest, blob, repository or upload does not exist
	StatusUnauthorized     Status = C.OCIREG_ERR_UNAUTHORIZED      // authentication is missing or was refused
	StatusDenied           Status = C.OCIREG_ERR_DENIED            // the credentials lack the permission
	StatusTooManyRequests  Status = C.OCIREG_ERR_TOO_MANY_REQUESTS // rate-limited beyond the retries
	StatusUnsupported      Status = C.OCIREG_ERR_UNSUPPORTED       // something ocireg does not support
	StatusDigestMismatch   Status = C.OCIREG_ERR_DIGEST_MISMATCH   // content did not hash to its digest
	StatusSizeExceeded     Status = C.OCIREG_ERR_SIZE_EXCEEDED     // content exceeded a limit or its declared size
	StatusProtocol         Status = C.OCIREG_ERR_PROTOCOL          // the registry broke the protocol
	StatusNetwork          Status = C.OCIREG_ERR_NETWORK           // a connection could not be made or was lost
	StatusTLS              Status = C.OCIREG_ERR_TLS               // TLS failed
	StatusTimeout          Status = C.OCIREG_ERR_TIMEOUT           // a configured timeout ran out
	StatusIO               Status = C.OCIREG_ERR_IO                // a local file could not be read or written
	StatusAborted          Status = C.OCIREG_ERR_ABORTED           // a callback (an io.Reader or io.Writer) failed
	StatusCancelled        Status = C.OCIREG_ERR_CANCELLED         // the context was cancelled
	StatusInternal         Status = C.OCIREG_ERR_INTERNAL          // a bug in ocireg
	StatusServer           Status = C.OCIREG_ERR_SERVER            // a server error beyond the retries
	StatusRejected         Status = C.OCIREG_ERR_REJECTED          // the registry refused the request as malformed
	StatusPanic            Status = C.OCIREG_ERR_PANIC             // ocireg panicked (please report it)
)

// Sentinel errors, one per status: errors.Is(err, ErrNotFound) reports
// whether err (or an error it wraps) is an *Error with StatusNotFound.
var (
	ErrNullArgument     error = StatusNullArgument
	ErrInvalidUTF8      error = StatusInvalidUTF8
	ErrInvalidArgument  error = StatusInvalidArgument
	ErrInvalidReference error = StatusInvalidReference
	ErrInvalidDigest    error = StatusInvalidDigest
	ErrNotFound         error = StatusNotFound
	ErrUnauthorized     error = StatusUnauthorized
	ErrDenied           error = StatusDenied
	ErrTooManyRequests  error = StatusTooManyRequests
	ErrUnsupported      error = StatusUnsupported
	ErrDigestMismatch   error = StatusDigestMismatch
	ErrSizeExceeded     error = StatusSizeExceeded
	ErrProtocol         error = StatusProtocol
	ErrNetwork          error = StatusNetwork
	ErrTLS              error = StatusTLS
	ErrTimeout          error = StatusTimeout
	ErrIO               error = StatusIO
	ErrAborted          error = StatusAborted
	ErrCancelled        error = StatusCancelled
	ErrInternal         error = StatusInternal
	ErrServer           error = StatusServer
	ErrRejected         error = StatusRejected
	ErrPanic            error = StatusPanic
)

// ErrClosed is returned by calls on a Client, BlobReader or Upload after
// its Close.
var ErrClosed = errors.New("ocireg: use of a closed handle")

// String gives the status's stable name, such as "NOT_FOUND".
func (s Status) String() string {
	return C.GoString(C.ocireg_status_str(C.uint32_t(s)))
}

// Error makes a Status usable as a sentinel error.
func (s Status) Error() string {
	return "ocireg: " + s.String()
}

// Error is the error every failing call returns: the status and the detail
// libocireg recorded for the call.
//
// Use errors.Is with the Err* sentinels to test the kind, and errors.As
// to read the detail:
//
//	var e *ocireg.Error
//	if errors.As(err, &e) && e.RetryAfter > 0 { ... }
//
// An Error caused by a cancelled context also wraps ctx.Err(), so
// errors.Is(err, context.Canceled) and errors.Is(err,
// context.DeadlineExceeded) work; one caused by a failing io.Reader or
// io.Writer (StatusAborted) wraps that error.
type Error struct {
	Status       Status        // the kind of failure
	StatusName   string        // Status.String(), such as "NOT_FOUND"
	Op           string        // the operation, such as "GetManifest"
	HTTPStatus   int           // the registry's HTTP status, or 0
	RegistryCode string        // the registry's OCI error code, such as "MANIFEST_UNKNOWN", or ""
	Message      string        // libocireg's description
	RetryAfter   time.Duration // the Retry-After the registry asked for, or 0
	// RegistryErrors is every entry of the registry's OCI error body
	// (errors[]), in order; nil when it sent none. At most 64 are kept.
	RegistryErrors []RegistryError
	// RateLimit is the rate limit the failing response reported (Docker
	// Hub's ratelimit-limit, ratelimit-remaining, docker-ratelimit-source;
	// typically on a 429, StatusTooManyRequests); nil when it reported
	// none. Values it did not report are -1 (Source "").
	RateLimit *RateLimit

	cause error
}

// RegistryError is one entry of a registry's OCI error body.
type RegistryError struct {
	Code    string // such as "MANIFEST_UNKNOWN"
	Message string // the registry's message
	// Detail is the entry's "detail" as compact JSON text, such as
	// {"Tag":"latest"}; "" when absent. Over 4096 bytes it is cut there
	// (and is then not valid JSON).
	Detail string
}

// Error formats the error as "ocireg: OP: MESSAGE".
func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = e.StatusName
	}
	if e.cause != nil && e.Status == StatusAborted {
		msg += ": " + e.cause.Error()
	}
	if e.Op == "" {
		return "ocireg: " + msg
	}
	return "ocireg: " + e.Op + ": " + msg
}

// Is reports whether target is this error's Status (one of the Err*
// sentinels).
func (e *Error) Is(target error) bool {
	s, ok := target.(Status)
	return ok && s == e.Status
}

// Unwrap gives the cause: ctx.Err() for a cancelled call, the reader's or
// writer's error for an aborted one, else nil.
func (e *Error) Unwrap() error { return e.cause }

// newError builds an Error for status st from this thread's last error.
// Call it on the OS thread that made the failing call, before any other
// libocireg call.
func newError(op string, st C.ocireg_status) *Error {
	s := Status(st)
	e := &Error{Status: s, StatusName: s.String(), Op: op}
	if Status(C.ocireg_last_error_status()) != s {
		// No detail recorded for this failure (should not happen).
		e.Message = e.StatusName
		return e
	}
	e.Message = C.GoString(C.ocireg_last_error_message()) // never NULL; "" for none
	if c := C.ocireg_last_error_registry_code(); c != nil {
		e.RegistryCode = C.GoString(c)
	}
	e.HTTPStatus = int(C.ocireg_last_error_http_status())
	e.RetryAfter = time.Duration(C.ocireg_last_error_retry_after_ms()) * time.Millisecond
	for i := C.size_t(0); i < C.ocireg_last_error_registry_count(); i++ {
		e.RegistryErrors = append(e.RegistryErrors, RegistryError{
			Code:    C.GoString(C.ocireg_last_error_registry_entry_code(i)),
			Message: C.GoString(C.ocireg_last_error_registry_entry_message(i)),
			Detail:  C.GoString(C.ocireg_last_error_registry_entry_detail(i)),
		})
	}
	e.RateLimit = lastErrorRateLimit()
	return e
}

// lastErrorRateLimit is the rate limit of this thread's last error, or nil
// when it carries none.
func lastErrorRateLimit() *RateLimit {
	rl := RateLimit{
		Limit:                  int64(C.ocireg_last_error_rate_limit_limit()),
		LimitWindowSeconds:     int64(C.ocireg_last_error_rate_limit_limit_window_s()),
		Remaining:              int64(C.ocireg_last_error_rate_limit_remaining()),
		RemainingWindowSeconds: int64(C.ocireg_last_error_rate_limit_remaining_window_s()),
	}
	if s := C.ocireg_last_error_rate_limit_source(); s != nil {
		rl.Source = C.GoString(s)
	}
	if rl.Limit < 0 && rl.Remaining < 0 && rl.Source == "" {
		return nil
	}
	return &rl
}

// cancelledError is the error for a call not made because ctx was done.
func cancelledError(op string, ctx context.Context) *Error {
	return &Error{
		Status:     StatusCancelled,
		StatusName: StatusCancelled.String(),
		Op:         op,
		Message:    "the operation was cancelled: " + ctx.Err().Error(),
		cause:      ctx.Err(),
	}
}

// withCause attaches the context's error to a CANCELLED error.
func withContext(err *Error, ctx context.Context) *Error {
	if err != nil && err.Status == StatusCancelled && ctx != nil && ctx.Err() != nil && err.cause == nil {
		err.cause = ctx.Err()
	}
	return err
}
