//go:build ocireg_static

package ocireg

// The static library (-tags ocireg_static): libocireg.a and the system
// libraries it needs, from `pkg-config --static ocireg-static`
// (ocireg-static.pc, which `make install` and `make lib` write beside
// ocireg.pc). The program then needs no libocireg.so at run time.

// #cgo pkg-config: --static ocireg-static
import "C"
