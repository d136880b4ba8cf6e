# Sourced (bash) after PKG_CONFIG_PATH points at a libkavach: adds to CGO_CPPFLAGS a key made of
# pkg-config's answer for kavach and of the kavach.h it names. Go's build cache keys a cgo package
# on its files and on CGO_* flags, not on what `#cgo pkg-config` returns nor on a header outside
# the package: without this, a build against another libkavach (the build tree, an unpacked
# tarball, a newer header) can reuse a cached package that links the old one.
# shellcheck shell=bash
kavach_cgo_key="$({ pkg-config --cflags --libs kavach && cat "$(pkg-config --variable=includedir kavach)/kavach.h"; } | sha256sum | cut -c1-16)"
export CGO_CPPFLAGS="${CGO_CPPFLAGS:+$CGO_CPPFLAGS }-DKAVACH_BUILD_KEY=$kavach_cgo_key"
unset kavach_cgo_key
