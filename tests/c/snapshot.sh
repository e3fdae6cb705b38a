#!/bin/sh
# snapshot.sh LIBDIR DEST: copies LIBDIR/libocireg.so to DEST under its
# SONAME (libocireg.so.0.1) for the test runs (LD_LIBRARY_PATH=DEST). Other
# `make lib` runs in the same tree replace build/lib/libocireg.so.*, and a
# process that has the old file mapped can die with SIGBUS; a private copy,
# replaced by rename, is immune. Retries while the source is being rewritten.
set -eu
src=$1/libocireg.so
soname=$(readelf -d "$src" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ -n "$soname" ] || { echo "snapshot: $src has no SONAME" >&2; exit 1; }
dest=$2
mkdir -p "$dest"
tries=0
while :; do
    cp -L "$src" "$dest/.new.$$"
    sleep 0.2
    if cmp -s "$src" "$dest/.new.$$"; then break; fi
    tries=$((tries + 1))
    [ "$tries" -lt 20 ] || { echo "snapshot: $src keeps changing" >&2; exit 1; }
done
mv -f "$dest/.new.$$" "$dest/$soname"
