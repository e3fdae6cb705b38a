package ocireg

// #include <stdlib.h>
// #include <ocireg.h>
import "C"

import (
	"context"
	"runtime"
	"sync"
	"time"
	"unsafe"
)

// Version is the version of the libocireg library in use, such as "0.1.0".
func Version() string { return C.GoString(C.ocireg_version()) }

// Credential is how to log in to one registry: a user name and password,
// or an OAuth2 refresh token (Docker's "identitytoken").
type Credential struct {
	Username      string // the user name, with Password
	Password      string // the password (or a token the registry takes as one)
	IdentityToken string // used instead of Username/Password when set
}

// NoTimeout, as an Options timeout, lifts that timeout altogether: a
// call then waits as long as the registry takes, bounded only by its
// context. Any negative duration means the same.
const NoTimeout time.Duration = -1

// Options configure a Client. The zero value gives the defaults: HTTPS
// only, the system CAs, credentials from the usual auth files, 30 s
// connect timeout, 60 s read timeout, 300 s request timeout, 4 retries.
// A value outside the range its field names makes NewClient fail with
// ErrInvalidArgument. Timeouts are at most 30 days; 0 keeps a timeout's
// default and NoTimeout (any negative duration) lifts it (the C API's 0).
type Options struct {
	// InsecureRegistries allows plain HTTP, and HTTPS without certificate
	// checks, for these registries ("host" or "host:port").
	InsecureRegistries []string
	// Credentials maps a registry ("host[:port]", "docker.io" for Docker
	// Hub) to its credential. They win over any auth file.
	Credentials map[string]Credential
	// AuthFile is a docker config.json or containers auth.json to use
	// instead of the default search; NewClient fails with
	// ErrInvalidArgument, naming the path, when it is not a readable
	// regular file.
	AuthFile string
	// TokenCache is a token cache file: bearer tokens are kept there too,
	// so that the next process skips the token server while a token is
	// good. The file holds each token with its scope and refresh time,
	// keyed by a one-way hash of the credential (never a password); it is
	// created mode 0600 in a directory made 0700 and replaced atomically
	// under a lock; a corrupt file is ignored. "" keeps tokens in memory,
	// per Client.
	TokenCache string
	// CAFiles are PEM files of extra CA certificates to trust.
	CAFiles []string
	// ClientCertFile and ClientKeyFile (PEM) are presented for mutual TLS.
	ClientCertFile, ClientKeyFile string
	// CertDir is a certs.d-style directory used for every registry, like
	// skopeo's --cert-dir: its *.crt CAs are trusted too, its *.cert +
	// *.key pair is the client certificate. It replaces the per-registry
	// search of CertsDRoots and SystemCertsD. NewClient fails with
	// ErrInvalidArgument when it is not a directory, and with ErrTLS,
	// naming the file, for a .cert without its .key (or the reverse) or a
	// bad file.
	CertDir string
	// CertsDRoots are roots of per-registry certs.d directories
	// (containers-certs.d(5)): a registry HOST[:PORT] uses ROOT/HOST[:PORT]
	// from the first root that has one.
	CertsDRoots []string
	// SystemCertsD adds the roots podman, skopeo and docker read after
	// CertsDRoots: ~/.config/containers/certs.d, /etc/containers/certs.d,
	// /etc/docker/certs.d. Off by default.
	SystemCertsD bool
	// ForceOAuth2 gets tokens with the OAuth2 password grant (a POST with
	// the credential in the form body) instead of a GET with basic
	// credentials, as containers/image's ForceAttemptOAuth2; a token
	// server answering 404 or 405 gets the GET.
	ForceOAuth2 bool
	// OfflineToken asks token servers for a refresh token. A refresh token
	// a server returns, asked for or not, is kept in memory only and used
	// instead of the password for later scopes.
	OfflineToken bool
	// OAuth2ClientID is the client_id sent to token servers ("": the
	// default, "ocireg").
	OAuth2ClientID string
	// Proxy is a proxy URL for every request (instead of HTTPS_PROXY and
	// NO_PROXY from the environment): http:// or https:// (a bare
	// host:port is taken as http://). Any other scheme (ftp://, socks5://)
	// makes NewClient fail with ErrInvalidArgument instead of going direct.
	Proxy string
	// UserAgent replaces the User-Agent header.
	UserAgent string
	// Headers are sent with every registry request.
	Headers map[string]string

	// ConnectTimeout bounds making a connection (0: the default, 30 s;
	// NoTimeout: none; at most 30 days).
	ConnectTimeout time.Duration
	// ReadTimeout bounds how long a response may send nothing (0: the
	// default, 60 s; NoTimeout: none; at most 30 days).
	ReadTimeout time.Duration
	// RequestTimeout bounds a request without a streamed body (0: the
	// default, 300 s; NoTimeout: none; at most 30 days).
	RequestTimeout time.Duration
	// CredentialHelperTimeout bounds a docker credential helper's run; one
	// still running then is killed and the lookup fails with ErrTimeout
	// (0: the default, 30 s; NoTimeout: none; at most 30 days).
	CredentialHelperTimeout time.Duration
	// MaxRetries is how many times a failed request is retried (429 and
	// connection errors; 500 and 502-504 for GET, HEAD, manifest PUT and
	// token requests, not for upload requests the registry may have acted
	// on), the ping included; 0 keeps the default, negative means none; at
	// most 100.
	MaxRetries int
	// MaxRetryAfter is the longest Retry-After waited out; longer ones
	// fail at once (0: the default, 60 s; at most 30 days).
	MaxRetryAfter time.Duration
	// MaxResumes is how many times a blob download resumes after its
	// connection drops; 0 keeps the default, negative means none; at
	// most 1000.
	MaxResumes int
	// PageSize is the page size of tag and catalog listings (0: the
	// registry's choice; at most 1,000,000).
	PageSize int
	// MaxListEntries bounds the entries one listing (tags, catalog,
	// referrers) collects over all its pages; more fails it with
	// ErrSizeExceeded (0: the default, 1,000,000; at most 100,000,000).
	MaxListEntries int
	// MaxListBytes bounds the response bytes one listing reads over all
	// its pages; more fails it with ErrSizeExceeded (0: the default,
	// 64 MiB; at most 4 GiB).
	MaxListBytes int64
	// UploadChunkSize is the chunk size of chunked uploads in bytes (0:
	// the default, 8 MiB; more than 64 MiB is taken as 64 MiB).
	UploadChunkSize int
	// Concurrency is how many blobs whole-image operations move at once
	// (0: the default, 6; at most 256).
	Concurrency int

	// RegistriesConf is a registries.conf (containers-registries.conf(5))
	// to follow, with the drop-ins of registries.conf.d, as skopeo's
	// --registries-conf: pulls try the mirrors of the reference's entry,
	// then its (rewritten) location; blocked registries fail with
	// ErrDenied before any request; insecure endpoints may use plain HTTP.
	// NewClient fails with ErrInvalidArgument naming the file (and the
	// line of a TOML error) on a bad one. Empty: none, unless
	// UseSystemRegistriesConf.
	RegistriesConf string
	// UseSystemRegistriesConf follows the registries.conf containers/image
	// would read ($CONTAINERS_REGISTRIES_CONF, else
	// ~/.config/containers/registries.conf when it exists, else
	// /etc/containers/registries.conf, and the drop-ins). RegistriesConf
	// wins when both are set.
	UseSystemRegistriesConf bool
	// RangedDownload says whether Pull fetches one large blob over several
	// connections at once, as byte ranges written and hashed in order:
	// RangedAuto (the default, also ""), RangedOff or RangedAlways.
	RangedDownload RangedDownload
}

// RangedDownload is a mode of Options.RangedDownload.
type RangedDownload string

const (
	// RangedAuto splits a blob of 64 MiB or more only when its first
	// connection turns out slower than 64 MiB/s (a per-connection
	// bandwidth cap, a long round trip); a fast link keeps one connection.
	RangedAuto RangedDownload = "auto"
	// RangedOff fetches every blob over one connection.
	RangedOff RangedDownload = "off"
	// RangedAlways splits every blob larger than one part (1 to 8 MiB).
	RangedAlways RangedDownload = "always"
)

// Client is a registry client: one connection pool and one token cache.
// It is safe for concurrent use by many goroutines; share one Client.
// Close it when done (a finalizer frees a forgotten one).
type Client struct {
	mu  sync.RWMutex // held shared by every call, exclusively by Close
	ptr *C.ocireg_client
}

// NewClient creates a client with opts.
func NewClient(opts Options) (*Client, error) {
	o := C.ocireg_options_new()
	if o == nil {
		return nil, &Error{Status: StatusPanic, StatusName: StatusPanic.String(), Op: "NewClient", Message: "ocireg_options_new failed"}
	}
	defer C.ocireg_options_free(o)
	if err := applyOptions(o, &opts); err != nil {
		return nil, err
	}
	var ptr *C.ocireg_client
	if err := call("NewClient", nil, func() C.ocireg_status {
		return C.ocireg_client_new(o, &ptr)
	}); err != nil {
		return nil, err
	}
	c := &Client{ptr: ptr}
	runtime.SetFinalizer(c, (*Client).free)
	return c, nil
}

func applyOptions(o *C.ocireg_options, opts *Options) error {
	str := func(name string, f func(*C.char) C.ocireg_status, v string) error {
		cs := C.CString(v)
		defer C.free(unsafe.Pointer(cs))
		return call("NewClient: "+name, nil, func() C.ocireg_status { return f(cs) })
	}
	num := func(name string, f func() C.ocireg_status) error {
		return call("NewClient: "+name, nil, f)
	}
	for name, v := range map[string]int64{"PageSize": int64(opts.PageSize), "UploadChunkSize": int64(opts.UploadChunkSize),
		"Concurrency": int64(opts.Concurrency), "MaxListEntries": int64(opts.MaxListEntries), "MaxListBytes": opts.MaxListBytes} {
		if v < 0 {
			return &Error{Status: StatusInvalidArgument, StatusName: StatusInvalidArgument.String(),
				Op: "NewClient", Message: "Options." + name + " is negative"}
		}
	}
	for _, h := range opts.InsecureRegistries {
		if err := str("InsecureRegistries", func(s *C.char) C.ocireg_status {
			return C.ocireg_options_add_insecure_registry(o, s)
		}, h); err != nil {
			return err
		}
	}
	for reg, cred := range opts.Credentials {
		creg := C.CString(reg)
		var err error
		if cred.IdentityToken != "" {
			err = str("Credentials", func(t *C.char) C.ocireg_status {
				return C.ocireg_options_set_identity_token(o, creg, t)
			}, cred.IdentityToken)
		} else {
			cu, cp := C.CString(cred.Username), C.CString(cred.Password)
			err = call("NewClient: Credentials", nil, func() C.ocireg_status {
				return C.ocireg_options_set_credentials(o, creg, cu, cp)
			})
			C.free(unsafe.Pointer(cu))
			C.free(unsafe.Pointer(cp))
		}
		C.free(unsafe.Pointer(creg))
		if err != nil {
			return err
		}
	}
	if opts.UseSystemRegistriesConf {
		if err := num("UseSystemRegistriesConf", func() C.ocireg_status {
			return C.ocireg_options_use_system_registries_conf(o, 1)
		}); err != nil {
			return err
		}
	}
	if opts.RegistriesConf != "" {
		if err := str("RegistriesConf", func(s *C.char) C.ocireg_status {
			return C.ocireg_options_set_registries_conf(o, s)
		}, opts.RegistriesConf); err != nil {
			return err
		}
	}
	if opts.AuthFile != "" {
		if err := str("AuthFile", func(s *C.char) C.ocireg_status { return C.ocireg_options_set_auth_file(o, s) }, opts.AuthFile); err != nil {
			return err
		}
	}
	if opts.TokenCache != "" {
		if err := str("TokenCache", func(s *C.char) C.ocireg_status { return C.ocireg_options_set_token_cache(o, s) }, opts.TokenCache); err != nil {
			return err
		}
	}
	for _, f := range opts.CAFiles {
		if err := str("CAFiles", func(s *C.char) C.ocireg_status { return C.ocireg_options_add_ca_file(o, s) }, f); err != nil {
			return err
		}
	}
	if opts.ClientCertFile != "" || opts.ClientKeyFile != "" {
		cc, ck := C.CString(opts.ClientCertFile), C.CString(opts.ClientKeyFile)
		err := call("NewClient: ClientCertFile", nil, func() C.ocireg_status {
			return C.ocireg_options_set_client_cert(o, cc, ck)
		})
		C.free(unsafe.Pointer(cc))
		C.free(unsafe.Pointer(ck))
		if err != nil {
			return err
		}
	}
	if err := applyCertsOAuth2(o, opts, str); err != nil {
		return err
	}
	if opts.Proxy != "" {
		if err := str("Proxy", func(s *C.char) C.ocireg_status { return C.ocireg_options_set_proxy(o, s) }, opts.Proxy); err != nil {
			return err
		}
	}
	if opts.RangedDownload != "" {
		if err := str("RangedDownload", func(s *C.char) C.ocireg_status {
			return C.ocireg_options_set_ranged_download(o, s)
		}, string(opts.RangedDownload)); err != nil {
			return err
		}
	}
	if opts.UserAgent != "" {
		if err := str("UserAgent", func(s *C.char) C.ocireg_status { return C.ocireg_options_set_user_agent(o, s) }, opts.UserAgent); err != nil {
			return err
		}
	}
	for name, value := range opts.Headers {
		cn, cv := C.CString(name), C.CString(value)
		err := call("NewClient: Headers", nil, func() C.ocireg_status {
			return C.ocireg_options_add_header(o, cn, cv)
		})
		C.free(unsafe.Pointer(cn))
		C.free(unsafe.Pointer(cv))
		if err != nil {
			return err
		}
	}
	ms := func(d time.Duration) C.uint64_t {
		if d <= 0 {
			return 0
		}
		return C.uint64_t((d + time.Millisecond - 1) / time.Millisecond)
	}
	count := func(n int) C.uint32_t {
		switch {
		case n < 0:
			return 0
		case n > 1<<32-1:
			return 1<<32 - 1
		}
		return C.uint32_t(n)
	}
	var err error
	set := func(cond bool, name string, f func() C.ocireg_status) {
		if err == nil && cond {
			err = num(name, f)
		}
	}
	// ms gives 0 ("no limit" in C) for NoTimeout and any negative duration.
	set(opts.ConnectTimeout != 0, "ConnectTimeout", func() C.ocireg_status {
		return C.ocireg_options_set_connect_timeout_ms(o, ms(opts.ConnectTimeout))
	})
	set(opts.ReadTimeout != 0, "ReadTimeout", func() C.ocireg_status {
		return C.ocireg_options_set_read_timeout_ms(o, ms(opts.ReadTimeout))
	})
	set(opts.RequestTimeout != 0, "RequestTimeout", func() C.ocireg_status {
		return C.ocireg_options_set_request_timeout_ms(o, ms(opts.RequestTimeout))
	})
	set(opts.CredentialHelperTimeout != 0, "CredentialHelperTimeout", func() C.ocireg_status {
		return C.ocireg_options_set_credential_helper_timeout_ms(o, ms(opts.CredentialHelperTimeout))
	})
	set(opts.MaxRetries != 0, "MaxRetries", func() C.ocireg_status {
		return C.ocireg_options_set_max_retries(o, count(opts.MaxRetries))
	})
	set(opts.MaxRetryAfter != 0, "MaxRetryAfter", func() C.ocireg_status {
		return C.ocireg_options_set_max_retry_after_ms(o, ms(opts.MaxRetryAfter))
	})
	set(opts.MaxResumes != 0, "MaxResumes", func() C.ocireg_status {
		return C.ocireg_options_set_max_resumes(o, count(opts.MaxResumes))
	})
	set(opts.PageSize > 0, "PageSize", func() C.ocireg_status {
		return C.ocireg_options_set_page_size(o, count(opts.PageSize))
	})
	set(opts.MaxListEntries > 0, "MaxListEntries", func() C.ocireg_status {
		return C.ocireg_options_set_max_list_entries(o, C.uint64_t(opts.MaxListEntries))
	})
	set(opts.MaxListBytes > 0, "MaxListBytes", func() C.ocireg_status {
		return C.ocireg_options_set_max_list_bytes(o, C.uint64_t(opts.MaxListBytes))
	})
	set(opts.UploadChunkSize > 0, "UploadChunkSize", func() C.ocireg_status {
		return C.ocireg_options_set_upload_chunk_size(o, C.size_t(opts.UploadChunkSize))
	})
	set(opts.Concurrency > 0, "Concurrency", func() C.ocireg_status {
		return C.ocireg_options_set_concurrency(o, count(opts.Concurrency))
	})
	return err
}

// Close frees the client. It waits for calls in progress on it (cancel
// their contexts to hurry them); calls after Close fail with ErrClosed.
// BlobReaders and Uploads opened from the client stay usable. Close is
// idempotent and always returns nil.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.free()
	runtime.SetFinalizer(c, nil)
	return nil
}

func (c *Client) free() {
	if c.ptr != nil {
		C.ocireg_client_free(c.ptr)
		c.ptr = nil
	}
}

// call runs f, a libocireg call, on a locked OS thread and, if it fails,
// reads the thread's error detail before unlocking. A CANCELLED failure
// wraps ctx.Err() (ctx may be nil).
func call(op string, ctx context.Context, f func() C.ocireg_status) error {
	runtime.LockOSThread()
	st := f()
	var err *Error
	if st != C.OCIREG_OK {
		err = newError(op, st)
	}
	runtime.UnlockOSThread()
	if err == nil {
		return nil
	}
	return withContext(err, ctx)
}

// do runs a network call on the client with a cancel signal tied to ctx.
func (c *Client) do(ctx context.Context, op string, f func(cl *C.ocireg_client, cancel *C.ocireg_cancel) C.ocireg_status) error {
	if ctx.Err() != nil {
		return cancelledError(op, ctx)
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ptr == nil {
		return ErrClosed
	}
	k := newCanceller(ctx, false)
	defer k.free()
	return call(op, ctx, func() C.ocireg_status { return f(c.ptr, k.ptr()) })
}

// canceller is an ocireg_cancel that fires when a context is done.
type canceller struct {
	mu   sync.Mutex // guards c against cancel racing free
	c    *C.ocireg_cancel
	stop func() bool
	done chan struct{}
}

// newCanceller makes the cancel signal for a call under ctx: nil (no
// signal) when ctx can never be cancelled, unless always is set.
func newCanceller(ctx context.Context, always bool) *canceller {
	if ctx.Done() == nil && !always {
		return nil
	}
	c := C.ocireg_cancel_new()
	if c == nil {
		return nil
	}
	k := &canceller{c: c}
	if ctx.Done() != nil {
		k.done = make(chan struct{})
		k.stop = context.AfterFunc(ctx, func() {
			C.ocireg_cancel_cancel(c)
			close(k.done)
		})
	}
	return k
}

func (k *canceller) ptr() *C.ocireg_cancel {
	if k == nil {
		return nil
	}
	return k.c
}

// cancel fires the signal now (safe from any goroutine until free).
func (k *canceller) cancel() {
	if k == nil {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.c != nil {
		C.ocireg_cancel_cancel(k.c)
	}
}

// free stops watching the context, waits for a watcher already running,
// and frees the signal. No call may use it afterwards.
func (k *canceller) free() {
	if k == nil {
		return
	}
	if k.stop != nil && !k.stop() {
		<-k.done
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	C.ocireg_cancel_free(k.c)
	k.c = nil
}

// cstr is a C copy of s; free it with C.free.
func cstr(s string) *C.char { return C.CString(s) }

// cstrOpt is like cstr but gives NULL for "".
func cstrOpt(s string) *C.char {
	if s == "" {
		return nil
	}
	return C.CString(s)
}

func cfree(p *C.char) {
	if p != nil {
		C.free(unsafe.Pointer(p))
	}
}

// goStringFree converts and frees a string libocireg allocated.
func goStringFree(p *C.char) string {
	if p == nil {
		return ""
	}
	s := C.GoString(p)
	C.ocireg_string_free(p)
	return s
}
