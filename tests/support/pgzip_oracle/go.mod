module ocireg.test/pgzip_oracle

go 1.26

require github.com/klauspost/pgzip v1.2.5

require github.com/klauspost/compress v1.15.12 // indirect
