// Command pgzip_oracle gzips standard input to standard output the way
// skopeo 1.9.3 (Debian bookworm) compresses an uncompressed layer:
// github.com/klauspost/pgzip at its default level and block size, over
// github.com/klauspost/compress/flate, at the versions Debian bookworm
// ships. The ocireg tests compare src/compress against its output byte for
// byte.
package main

import (
	"bufio"
	"io"
	"os"

	"github.com/klauspost/pgzip"
)

func main() {
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	zw := pgzip.NewWriter(out)
	if _, err := io.Copy(zw, os.Stdin); err != nil {
		fail(err)
	}
	if err := zw.Close(); err != nil {
		fail(err)
	}
	if err := out.Flush(); err != nil {
		fail(err)
	}
}

func fail(err error) {
	os.Stderr.WriteString("pgzip_oracle: " + err.Error() + "\n")
	os.Exit(1)
}
