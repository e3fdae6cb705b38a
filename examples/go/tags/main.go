// Command tags prints the tags of a repository, one per line.
//
//	go run ./tags [-insecure HOST] [-ca FILE] [-cred HOST=USER:PASS] HOST[:PORT]/REPOSITORY
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	ocireg "github.com/ocireg/ocireg/bindings/go"
	"github.com/ocireg/ocireg/examples/go/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var flags cli.Flags
	fs := flag.NewFlagSet("tags", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: tags [flags] HOST[:PORT]/REPOSITORY")
		fs.PrintDefaults()
	}
	flags.Register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	opts, err := flags.Options()
	if err != nil {
		fmt.Fprintln(stderr, "tags:", err)
		return 2
	}
	client, err := ocireg.NewClient(opts)
	if err != nil {
		fmt.Fprintln(stderr, "tags:", err)
		return 1
	}
	defer client.Close()

	repo := fs.Arg(0)
	tags, err := client.Tags(ctx, repo)
	switch {
	case errors.Is(err, ocireg.ErrNotFound):
		fmt.Fprintf(stderr, "tags: %s: no such repository\n", repo)
		return 1
	case errors.Is(err, ocireg.ErrUnauthorized):
		fmt.Fprintf(stderr, "tags: %s: not authorized (give -cred)\n", repo)
		return 1
	case err != nil:
		fmt.Fprintln(stderr, "tags:", err)
		return 1
	}
	for _, t := range tags {
		fmt.Fprintln(stdout, t)
	}
	return 0
}
