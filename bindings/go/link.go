//go:build !ocireg_static

package ocireg

// The shared library, with the flags from pkg-config's ocireg.pc:
//
//   - installed: `make install PREFIX=...` puts ocireg.pc in PREFIX/lib/pkgconfig
//     (point PKG_CONFIG_PATH there unless PREFIX is a system prefix, and make
//     libocireg.so.0.MINOR findable at run time: ldconfig, LD_LIBRARY_PATH or
//     CGO_LDFLAGS=-Wl,-rpath,PREFIX/lib);
//   - in the source tree: `make lib` writes build/lib/pkgconfig/ocireg.pc, whose
//     flags carry an rpath to build/lib, so PKG_CONFIG_PATH is all it takes.
//
// Build with -tags ocireg_static to link libocireg.a instead (link_static.go).

// #cgo pkg-config: ocireg
import "C"
