// Command mirror copies every tag of a repository from one registry to
// another, multi-platform indexes whole, with the same digests.
//
//	go run ./mirror [-j N] [-t T] [-q] [-insecure HOST] [-ca FILE] [-cred HOST=USER:PASS] SRC-REPO DST-REPO
//
// Each tag is one ocireg Client.Copy with AllPlatforms: blobs stream from
// the source to the destination without touching the disk, N at a time;
// a blob the destination already has is skipped, and within one registry
// blobs are mounted across repositories instead of copied. T tags are
// copied at once. Progress, from the Copy's Progress function, goes to
// stderr; each copied tag and its digest to stdout.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	ocireg "github.com/ocireg/ocireg/bindings/go"
	"github.com/ocireg/ocireg/examples/go/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mirror:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var flags cli.Flags
	fs := flag.NewFlagSet("mirror", flag.ContinueOnError)
	fs.SetOutput(stderr)
	jobs := fs.Int("j", 4, "how many blobs to copy at once (per tag)")
	tagJobs := fs.Int("t", 2, "how many tags to copy at once")
	retries := fs.Int("retries", 1, "how many times to retry a tag whose copy failed")
	quiet := fs.Bool("q", false, "no progress display")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: mirror [flags] SRC-HOST[:PORT]/REPOSITORY DST-HOST[:PORT]/REPOSITORY")
		fs.PrintDefaults()
	}
	flags.Register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 || *jobs < 1 || *tagJobs < 1 || *retries < 0 {
		fs.Usage()
		return flag.ErrHelp
	}
	opts, err := flags.Options()
	if err != nil {
		return err
	}
	opts.Concurrency = *jobs
	client, err := ocireg.NewClient(opts)
	if err != nil {
		return err
	}
	defer client.Close()

	m := &mirror{c: client, src: fs.Arg(0), dst: fs.Arg(1), tagJobs: *tagJobs, retries: *retries, log: stderr}
	var stopProgress func()
	if !*quiet {
		stopProgress = m.prog.start(stderr)
	}
	err = m.run(ctx, stdout)
	if stopProgress != nil {
		stopProgress()
	}
	return err
}

// mirror copies one repository, tag by tag.
type mirror struct {
	c        *ocireg.Client
	src, dst string
	tagJobs  int
	retries  int
	log      io.Writer // retries are reported here
	prog     progress
}

// run copies every tag, m.tagJobs at a time; the first failure stops the
// copies in progress and is returned.
func (m *mirror) run(ctx context.Context, stdout io.Writer) error {
	tags, err := m.c.Tags(ctx, m.src)
	if err != nil {
		return err
	}
	m.prog.tagsTotal.Store(int64(len(tags)))
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sem := make(chan struct{}, m.tagJobs)
	var wg sync.WaitGroup
	var outMu sync.Mutex
	for _, tag := range tags {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			digest, err := m.copyTag(ctx, tag)
			if err != nil {
				cancel(fmt.Errorf("%s:%s: %w", m.src, tag, err)) // the first one wins
				return
			}
			outMu.Lock()
			fmt.Fprintf(stdout, "%s:%s %s\n", m.dst, tag, digest)
			outMu.Unlock()
		}()
	}
	wg.Wait()
	return context.Cause(ctx) // nil, the first failure, or the caller's cancellation
}

// copyTag copies one tag with its every platform, retrying a failure
// (a copy again moves only what is missing).
//
// Retries matter with concurrent tags: registries whose storage rewrites
// a repository's link to a blob non-atomically (the distribution
// registry's filesystem driver truncates, then writes) may report a blob
// as unknown while another copy is linking the same blob.
func (m *mirror) copyTag(ctx context.Context, tag string) (string, error) {
	m.prog.begin(tag)
	defer m.prog.end(tag)
	for attempt := 0; ; attempt++ {
		digest, err := m.c.Copy(ctx, m.src+":"+tag, m.dst+":"+tag, &ocireg.ImageOptions{
			AllPlatforms: true,
			Progress: func(p ocireg.ImageProgress) bool {
				m.prog.update(tag, p)
				return true
			},
		})
		if err == nil || attempt >= m.retries || ctx.Err() != nil ||
			errors.Is(err, ocireg.ErrUnauthorized) || errors.Is(err, ocireg.ErrDenied) {
			return digest, err
		}
		m.prog.logf(m.log, "retrying %s:%s: %v", m.src, tag, err)
		select {
		case <-time.After(time.Duration(100<<attempt) * time.Millisecond):
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

// progress is the state the display shows: the tags, the distinct blobs
// seen, and the bytes of every tag's copy (blobs the destination already
// had, or mounted, count as done at once).
type progress struct {
	tagsTotal, tagsDone atomic.Int64

	out sync.Mutex // held while writing to the terminal
	tty bool       // the display redraws one line (set by start)

	mu          sync.Mutex
	active      []string            // tags being copied
	blobs       map[string]struct{} // distinct blobs reported
	done, total map[string]int64    // bytes, per tag
}

// logf prints a message line on w, clearing the status line first on a
// terminal.
func (p *progress) logf(w io.Writer, format string, args ...any) {
	p.out.Lock()
	defer p.out.Unlock()
	if p.tty {
		fmt.Fprint(w, "\r\033[K")
	}
	fmt.Fprintf(w, format+"\n", args...)
}

func (p *progress) begin(tag string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.active = append(p.active, tag)
}

func (p *progress) end(tag string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.active = slices.DeleteFunc(p.active, func(t string) bool { return t == tag })
	p.tagsDone.Add(1)
}

func (p *progress) update(tag string, r ocireg.ImageProgress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.blobs == nil {
		p.blobs = map[string]struct{}{}
		p.done = map[string]int64{}
		p.total = map[string]int64{}
	}
	p.blobs[r.Digest] = struct{}{}
	p.done[tag] = r.Done
	p.total[tag] = r.Total
}

// line is the status line.
func (p *progress) line(elapsed time.Duration) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var done, total int64
	for t, d := range p.done {
		done += d
		total += p.total[t]
	}
	mib := func(n int64) float64 { return float64(n) / (1 << 20) }
	rate := mib(done) / max(elapsed.Seconds(), 0.001)
	return fmt.Sprintf("tag %d/%d %-12s blobs %d  %.1f/%.1f MiB  %.1f MiB/s",
		p.tagsDone.Load(), p.tagsTotal.Load(), strings.Join(p.active, ","), len(p.blobs),
		mib(done), mib(total), rate)
}

// start redraws one status line on w until the returned function is
// called, which prints the final line.
func (p *progress) start(w io.Writer) func() {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	p.out.Lock()
	p.tty = tty
	p.out.Unlock()
	began := time.Now()
	period := 200 * time.Millisecond
	if !tty {
		period = 2 * time.Second
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				p.out.Lock()
				if tty {
					fmt.Fprintf(w, "\r\033[K%s", p.line(time.Since(began)))
				} else {
					fmt.Fprintln(w, p.line(time.Since(began)))
				}
				p.out.Unlock()
			case <-stop:
				p.out.Lock()
				defer p.out.Unlock()
				if tty {
					fmt.Fprintf(w, "\r\033[K")
				}
				el := time.Since(began)
				fmt.Fprintf(w, "%s in %s\n", p.line(el), el.Round(time.Millisecond))
				return
			}
		}
	}()
	return func() { close(stop); <-done }
}
