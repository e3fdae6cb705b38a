//go:build ocireg_pkgconfig

package ocireg

// Installed build (-tags ocireg_pkgconfig): flags from pkg-config's
// ocireg.pc, as installed by `make install PREFIX=...`. Point
// PKG_CONFIG_PATH at PREFIX/lib/pkgconfig when PREFIX is not a system
// prefix, and make the library findable at run time (ldconfig,
// LD_LIBRARY_PATH, or CGO_LDFLAGS=-Wl,-rpath,PREFIX/lib).

// #cgo pkg-config: ocireg
import "C"
