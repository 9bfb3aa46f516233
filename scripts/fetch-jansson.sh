#!/bin/sh
# Fetch Jansson 2.14 source into $1 (default: build/third_party/jansson-2.14).
#
# Source: Debian's source package, through a project-local apt configuration
# so the system's apt setup is never touched. The deb-src URI and suite are
# read from the system's own configured sources (apt-get indextargets); no
# mirror host is written here. JANSSON_SRC=/path skips the download and uses
# an unpacked source tree (or the orig tarball) the caller already has.
#
# The orig tarball's sha256 is verified before anything is unpacked.
set -eu

DEST=${1:-build/third_party/jansson-2.14}
VERSION=2.14
SHA256=c739578bf6b764aa0752db9a2fdadcfe921c78f1228c7ec0bb47fa804c55d17b
TARBALL=jansson_$VERSION.orig.tar.gz

if [ -f "$DEST/src/jansson.h" ]; then
    exit 0
fi

verify() {
    got=$(sha256sum "$1" | cut -d' ' -f1)
    if [ "$got" != "$SHA256" ]; then
        echo "fetch-jansson: sha256 mismatch for $1" >&2
        echo "  expected $SHA256" >&2
        echo "  got      $got" >&2
        exit 1
    fi
}

unpack() {
    verify "$1"
    rm -rf "$DEST.tmp"
    mkdir -p "$DEST.tmp"
    tar -xzf "$1" -C "$DEST.tmp" --strip-components=1
    rm -rf "$DEST"
    mv "$DEST.tmp" "$DEST"
    echo "fetch-jansson: Jansson $VERSION unpacked in $DEST (sha256 ok)"
}

if [ -n "${JANSSON_SRC:-}" ]; then
    if [ -f "$JANSSON_SRC" ]; then
        unpack "$JANSSON_SRC"
    elif [ -f "$JANSSON_SRC/src/jansson.h" ]; then
        mkdir -p "$(dirname "$DEST")"
        rm -rf "$DEST"
        cp -R "$JANSSON_SRC" "$DEST"
        echo "fetch-jansson: using JANSSON_SRC=$JANSSON_SRC (unverified tree)"
    else
        echo "fetch-jansson: JANSSON_SRC=$JANSSON_SRC is neither $TARBALL nor a source tree" >&2
        exit 1
    fi
    exit 0
fi

APT=$(dirname "$DEST")/apt
mkdir -p "$APT/sources.list.d" "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/download"
APT_DIR=$(cd "$APT" && pwd)

# The base suite of the first Debian repository the system is configured with.
line=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' 2>/dev/null |
    awk '$3 == "main" && $2 !~ /-(security|updates|backports)$/ { print; exit }')
if [ -z "$line" ]; then
    echo "fetch-jansson: no Debian 'main' repository found in the system's apt sources;" >&2
    echo "  set JANSSON_SRC=/path/to/$TARBALL instead" >&2
    exit 1
fi
uri=$(echo "$line" | cut -d' ' -f1)
suite=$(echo "$line" | cut -d' ' -f2)
echo "deb-src $uri $suite main" > "$APT_DIR/sources.list.d/jansson-src.list"

set -- -o Dir::Etc::SourceList=/dev/null \
    -o Dir::Etc::SourceParts="$APT_DIR/sources.list.d" \
    -o Dir::State::Lists="$APT_DIR/lists" \
    -o Dir::Cache="$APT_DIR/cache" \
    -o Debug::NoLocking=1 -o APT::Sandbox::User=root
apt-get "$@" -qq update
(cd "$APT_DIR/download" && apt-get "$@" -qq --download-only source jansson)
unpack "$APT_DIR/download/$TARBALL"
