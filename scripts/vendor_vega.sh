#!/usr/bin/env bash
# Re-fetches the Vega libraries the HTML report inlines (third_party/vega/) from the npm registry,
# at the pinned versions below, and checks each tarball against its published sha512 integrity.
# Only the UMD minified builds and the licences are kept; deeptirp embeds them in its binary, so
# neither npm nor the network is needed to build or to open a report.
#
#   scripts/vendor_vega.sh      (needs npm and the registry; run from anywhere)
set -euo pipefail

packages=(vega@6.4.0 vega-lite@6.5.0 vega-embed@7.3.0)
dest="$(cd "$(dirname "$0")/.." && pwd)/third_party/vega"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
for spec in "${packages[@]}"; do
  name="${spec%@*}"
  version="${spec#*@}"
  tarball="$(npm pack --silent "$spec")"
  expected="$(npm view "$spec" dist.integrity)"
  actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
  if [[ "$expected" != "$actual" ]]; then
    echo "vendor_vega: $tarball: integrity $actual, registry says $expected" >&2
    exit 1
  fi
  mkdir -p "$name"
  tar xzf "$tarball" -C "$name"
  install -m 644 "$name/package/build/$name.min.js" "$dest/$name.min.js"
  install -m 644 "$name/package/LICENSE" "$dest/LICENSE.$name"
  echo "vendor_vega: $name $version -> $dest/$name.min.js"
done
