//go:build !ocireg_pkgconfig

package ocireg

// In-repository build: the header from ../../include and the library that
// `make lib` leaves in ../../build/lib, found at run time through an rpath.
// Build with -tags ocireg_pkgconfig to use an installed library instead.

// #cgo CFLAGS: -I${SRCDIR}/../../include
// #cgo LDFLAGS: -L${SRCDIR}/../../build/lib -locireg -Wl,-rpath,${SRCDIR}/../../build/lib
import "C"
