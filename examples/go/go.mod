module github.com/ocireg/ocireg/examples/go

go 1.22

require github.com/ocireg/ocireg/bindings/go v0.0.0

replace github.com/ocireg/ocireg/bindings/go => ../../bindings/go
