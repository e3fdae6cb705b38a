// Command ocireg-ggcr-registry serves go-containerregistry's in-memory
// registry (pkg/registry) with the OCI 1.1 referrers API switched on, for
// ocireg's tests: a registry that answers GET /v2/<name>/referrers/<digest>
// and sends OCI-Subject, beside distribution 2.8.2 (which has neither).
//
// Usage: ocireg-ggcr-registry serve 127.0.0.1:PORT
//
// It writes one access-log line per request to stdout, in the combined log
// format distribution writes, so the Rust test support reads both alike:
//
//	127.0.0.1 - - [02/Dec/2026:04:50:00 +0000] "GET /v2/ HTTP/1.1" 200 2 "" "curl/7.88.1"
package main

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

// recorder keeps the status and size of a response for the access log.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

func main() {
	if len(os.Args) != 3 || os.Args[1] != "serve" {
		fmt.Fprintln(os.Stderr, "usage: ocireg-ggcr-registry serve 127.0.0.1:PORT")
		os.Exit(2)
	}
	handler := registry.New(
		registry.WithReferrersSupport(true),
		registry.Logger(log.New(io.Discard, "", 0)),
	)
	var mu sync.Mutex
	logged := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		rec := &recorder{ResponseWriter: w}
		handler.ServeHTTP(rec, req)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		mu.Lock()
		defer mu.Unlock()
		fmt.Printf("127.0.0.1 - - [%s] \"%s %s %s\" %d %d %q %q\n",
			time.Now().UTC().Format("02/Jan/2006:15:04:05 -0700"),
			req.Method, req.RequestURI, req.Proto, rec.status, rec.bytes,
			req.Referer(), req.UserAgent())
	})
	server := &http.Server{Addr: os.Args[2], Handler: logged, ReadHeaderTimeout: 30 * time.Second}
	if err := server.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, "listen tcp "+os.Args[2]+": "+err.Error())
		os.Exit(1)
	}
}
