// Package cli holds the registry flags the Go examples share.
package cli

import (
	"flag"
	"fmt"
	"os"
	"strings"

	ocireg "github.com/ocireg/ocireg/bindings/go"
)

// list is a repeatable, comma-separated flag.
type list []string

func (l *list) String() string { return strings.Join(*l, ",") }

func (l *list) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// Flags are the client flags: insecure registries, CA files, credentials.
type Flags struct {
	insecure list
	caFiles  list
	creds    list
}

// Register adds -insecure, -ca and -cred to fs.
func (f *Flags) Register(fs *flag.FlagSet) {
	fs.Var(&f.insecure, "insecure", "`host[:port]` to reach over plain HTTP or unverified HTTPS (repeatable, comma-separated)")
	fs.Var(&f.caFiles, "ca", "PEM `file` of extra CA certificates to trust (repeatable)")
	fs.Var(&f.creds, "cred", "`host[:port]=user:password` credentials for a registry (repeatable; the password may also come from $OCIREG_PASSWORD when given as 'user:'); "+
		"without them, the docker/podman auth files are used")
}

// Options turns the flags into client options.
func (f *Flags) Options() (ocireg.Options, error) {
	o := ocireg.Options{InsecureRegistries: f.insecure, CAFiles: f.caFiles}
	for _, c := range f.creds {
		host, userpass, ok := strings.Cut(c, "=")
		user, pass, ok2 := strings.Cut(userpass, ":")
		if !ok || !ok2 || host == "" || user == "" {
			return o, fmt.Errorf("-cred %q: want host[:port]=user:password", c)
		}
		if pass == "" {
			pass = os.Getenv("OCIREG_PASSWORD")
		}
		if o.Credentials == nil {
			o.Credentials = map[string]ocireg.Credential{}
		}
		o.Credentials[host] = ocireg.Credential{Username: user, Password: pass}
	}
	return o, nil
}

// SplitRepository splits "host[:port]/path" into the registry and the
// repository path. A name without a registry part is on docker.io.
func SplitRepository(repo string) (registry, path string) {
	first, rest, ok := strings.Cut(repo, "/")
	if !ok || !(strings.ContainsAny(first, ".:") || first == "localhost") {
		path = repo
		if !strings.Contains(path, "/") {
			path = "library/" + path
		}
		return "docker.io", path
	}
	return first, rest
}
