#!/usr/bin/env bash
# Packs a built posture binary as posture-<version>-<target>.tar.gz with README and LICENSE,
# plus its .sha256, into OUT_DIR. Used by .github/workflows/release.yml; runs locally too:
#   scripts/package-release.sh target/release/posture x86_64-unknown-linux-gnu dist
set -euo pipefail
binary=$1 target=$2 out=$3
version=$("$binary" --version | awk '{print $2}')
name="posture-${version}-${target}"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name" "$out"
cp "$binary" "$stage/$name/posture"
cp README.md LICENSE "$stage/$name/"
"$binary" man > "$stage/$name/posture.1"
tar -C "$stage" -czf "$out/$name.tar.gz" "$name"
(cd "$out" && { sha256sum "$name.tar.gz" 2>/dev/null || shasum -a 256 "$name.tar.gz"; } > "$name.tar.gz.sha256")
echo "$out/$name.tar.gz"
