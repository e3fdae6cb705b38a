module github.com/ocireg/ocireg/bindings/go

go 1.22
