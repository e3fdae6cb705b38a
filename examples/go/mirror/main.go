// Command mirror copies every tag of a repository from one registry to
// another: manifests, the child manifests of indexes, configs and layers.
//
//	go run ./mirror [-j N] [-insecure HOST] [-ca FILE] [-cred HOST=USER:PASS] SRC-REPO DST-REPO
//
// Blobs move N at a time. A blob the destination already has is skipped;
// when source and destination are on the same registry, blobs are mounted
// across repositories instead of copied; otherwise each streams from the
// source to the destination without touching the disk, verified at both
// ends. Progress goes to stderr.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
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
	jobs := fs.Int("j", 4, "how many blobs to copy at once")
	quiet := fs.Bool("q", false, "no progress display")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: mirror [flags] SRC-HOST[:PORT]/REPOSITORY DST-HOST[:PORT]/REPOSITORY")
		fs.PrintDefaults()
	}
	flags.Register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 || *jobs < 1 {
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

	m := newMirror(client, fs.Arg(0), fs.Arg(1), *jobs)
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

// mirror copies one repository; every blob and manifest is copied once
// even when several tags or images share it.
type mirror struct {
	c         *ocireg.Client
	src, dst  string
	srcPath   string
	sameReg   bool
	sem       chan struct{}
	blobs     onceMap
	manifests onceMap
	prog      progress
}

func newMirror(c *ocireg.Client, src, dst string, jobs int) *mirror {
	srcReg, srcPath := cli.SplitRepository(src)
	dstReg, _ := cli.SplitRepository(dst)
	return &mirror{
		c: c, src: src, dst: dst, srcPath: srcPath,
		sameReg: srcReg == dstReg,
		sem:     make(chan struct{}, jobs),
	}
}

func (m *mirror) run(ctx context.Context, stdout io.Writer) error {
	tags, err := m.c.Tags(ctx, m.src)
	if err != nil {
		return err
	}
	m.prog.tagsTotal.Store(int64(len(tags)))
	for _, tag := range tags {
		m.prog.setTag(tag)
		man, err := m.c.GetManifest(ctx, m.src+":"+tag)
		if err != nil {
			return fmt.Errorf("%s:%s: %w", m.src, tag, err)
		}
		if err := m.copyManifest(ctx, ":"+tag, man); err != nil {
			return fmt.Errorf("%s:%s: %w", m.src, tag, err)
		}
		m.prog.tagsDone.Add(1)
		fmt.Fprintf(stdout, "%s:%s %s\n", m.dst, tag, man.Digest)
	}
	return nil
}

// copyManifest copies what man refers to, then man itself under ref
// (":tag" or "@digest").
func (m *mirror) copyManifest(ctx context.Context, ref string, man *ocireg.Content) error {
	var doc struct {
		Manifests []struct {
			Digest string `json:"digest"`
		} `json:"manifests"`
		Config *blobDesc  `json:"config"`
		Layers []blobDesc `json:"layers"`
	}
	if err := json.Unmarshal(man.Data, &doc); err != nil {
		return fmt.Errorf("manifest %s: %w", man.Digest, err)
	}
	var blobs []blobDesc
	if doc.Config != nil {
		blobs = append(blobs, *doc.Config)
	}
	for _, l := range doc.Layers {
		if len(l.URLs) == 0 { // foreign layers stay where they are
			blobs = append(blobs, l)
		}
	}
	err := parallel(len(doc.Manifests)+len(blobs), func(i int) error {
		if i < len(doc.Manifests) {
			d := doc.Manifests[i].Digest
			return m.manifests.do(d, func() error {
				child, err := m.c.GetManifest(ctx, m.src+"@"+d)
				if err != nil {
					return err
				}
				return m.copyManifest(ctx, "@"+d, child)
			})
		}
		b := blobs[i-len(doc.Manifests)]
		return m.blobs.do(b.Digest, func() error {
			m.prog.blobsTotal.Add(1)
			return m.copyBlob(ctx, b)
		})
	})
	if err != nil {
		return err
	}
	got, err := m.c.PutManifest(ctx, m.dst+ref, man.Data, man.MediaType)
	if err != nil {
		return err
	}
	if got != man.Digest {
		return fmt.Errorf("the destination stored %s as %s", man.Digest, got)
	}
	return nil
}

type blobDesc struct {
	Digest string   `json:"digest"`
	Size   int64    `json:"size"`
	URLs   []string `json:"urls"`
}

// copyBlob copies one blob, at most len(m.sem) at a time.
func (m *mirror) copyBlob(ctx context.Context, b blobDesc) error {
	select {
	case m.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-m.sem }()
	defer m.prog.blobsDone.Add(1)

	if _, err := m.c.HeadBlob(ctx, m.dst, b.Digest); err == nil {
		m.prog.skipped.Add(1)
		return nil
	} else if !errors.Is(err, ocireg.ErrNotFound) {
		return err
	}
	if m.sameReg {
		mounted, err := m.c.MountBlob(ctx, m.dst, b.Digest, m.srcPath)
		if err != nil {
			return err
		}
		if mounted {
			m.prog.mounted.Add(1)
			return nil
		}
	}
	m.prog.bytesTotal.Add(b.Size)
	r, err := m.c.OpenBlob(ctx, m.src, b.Digest)
	if err != nil {
		return err
	}
	defer r.Close()
	up, err := m.c.StartUpload(ctx, m.dst)
	if err != nil {
		return err
	}
	defer up.Close()
	if _, err := io.Copy(up, &counter{r: r, n: &m.prog.bytesDone}); err != nil {
		return fmt.Errorf("blob %s: %w", b.Digest, err)
	}
	if _, err := up.Commit(b.Digest); err != nil {
		return fmt.Errorf("blob %s: %w", b.Digest, err)
	}
	m.prog.copied.Add(1)
	return nil
}

// parallel runs f(0..n-1) in goroutines and gives the first error.
func parallel(n int, f func(i int) error) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f(i)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// onceMap runs a function once per key; later callers wait for it and
// share its error.
type onceMap struct {
	mu sync.Mutex
	m  map[string]*onceEntry
}

type onceEntry struct {
	done chan struct{}
	err  error
}

func (o *onceMap) do(key string, f func() error) error {
	o.mu.Lock()
	if o.m == nil {
		o.m = map[string]*onceEntry{}
	}
	e, ok := o.m[key]
	if !ok {
		e = &onceEntry{done: make(chan struct{})}
		o.m[key] = e
	}
	o.mu.Unlock()
	if ok {
		<-e.done
		return e.err
	}
	e.err = f()
	close(e.done)
	return e.err
}

// counter counts the bytes read through it.
type counter struct {
	r io.Reader
	n *atomic.Int64
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// progress is the state the display shows.
type progress struct {
	tagsTotal, tagsDone      atomic.Int64
	blobsTotal, blobsDone    atomic.Int64
	skipped, mounted, copied atomic.Int64
	bytesTotal, bytesDone    atomic.Int64
	tag                      atomic.Value
}

func (p *progress) setTag(t string) { p.tag.Store(t) }

// start redraws one status line on w until the returned function is
// called, which prints the final line.
func (p *progress) start(w io.Writer) func() {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	began := time.Now()
	line := func() string {
		tag, _ := p.tag.Load().(string)
		secs := time.Since(began).Seconds()
		rate := float64(p.bytesDone.Load()) / (1 << 20) / max(secs, 0.001)
		return fmt.Sprintf("tag %d/%d %-12s blobs %d/%d (%d copied, %d mounted, %d present)  %.1f/%.1f MiB  %.1f MiB/s",
			p.tagsDone.Load(), p.tagsTotal.Load(), tag, p.blobsDone.Load(), p.blobsTotal.Load(),
			p.copied.Load(), p.mounted.Load(), p.skipped.Load(),
			float64(p.bytesDone.Load())/(1<<20), float64(p.bytesTotal.Load())/(1<<20), rate)
	}
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
				if tty {
					fmt.Fprintf(w, "\r\033[K%s", line())
				} else {
					fmt.Fprintln(w, line())
				}
			case <-stop:
				if tty {
					fmt.Fprintf(w, "\r\033[K")
				}
				fmt.Fprintf(w, "%s in %s\n", line(), time.Since(began).Round(time.Millisecond))
				return
			}
		}
	}()
	return func() { close(stop); <-done }
}
