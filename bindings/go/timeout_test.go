package ocireg_test

import (
	"context"
	"errors"
	"testing"
	"time"

	ocireg "github.com/ocireg/ocireg/bindings/go"
)

// NoTimeout lifts the timeouts: against a registry that never answers, a
// call with a short read timeout fails with ErrTimeout, and one with
// NoTimeout waits until its context ends.
func TestNoTimeout(t *testing.T) {
	stall := env(t, "OCIREG_TEST_STALL")
	short, err := ocireg.NewClient(ocireg.Options{InsecureRegistries: []string{stall},
		MaxRetries: -1, ReadTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer short.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := short.Ping(ctx, stall); !errors.Is(err, ocireg.ErrTimeout) {
		t.Fatalf("Ping with a 300 ms read timeout: %v", err)
	}

	none, err := ocireg.NewClient(ocireg.Options{InsecureRegistries: []string{stall}, MaxRetries: -1,
		ConnectTimeout: ocireg.NoTimeout, ReadTimeout: ocireg.NoTimeout,
		RequestTimeout: ocireg.NoTimeout, CredentialHelperTimeout: -time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer none.Close()
	ctx, cancel2 := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel2()
	start := time.Now()
	err = none.Ping(ctx, stall)
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ocireg.ErrTimeout) {
		t.Fatalf("Ping with NoTimeout: %v", err)
	}
	if el := time.Since(start); el < 1400*time.Millisecond {
		t.Fatalf("Ping with NoTimeout gave up after %v", el)
	}
}
