#!/usr/bin/env bash
# Builds everything a release publishes into dist/ (npm run release), from a clean checkout:
#
#   dist/imanage-operator-VERSION.oci.tar           the image for linux/amd64 and linux/arm64: an
#                                                   OCI layout whose only entry is one image index
#   dist/imanage-operator-VERSION-linux-ARCH.spdx.json   each platform image's SBOM
#   dist/imanage-operator-CHART_VERSION.tgz         the Helm chart (helm package)
#   dist/kubectl-imanage-linux-{x64,arm64}/kubectl-imanage   the command line, one single
#                                                   executable per platform (no Node needed)
#   dist/kubectl-imanage-linux-{x64,arm64}.spdx.json     their SBOMs
#   dist/SHA256SUMS                                 the checksum of every file above
#
# docs/release.md says how to verify and install them. Nothing is pushed anywhere. The image and
# the executables are cached per input hash (like tools/image/build.sh); a warm run takes seconds.
# Environment: as tools/image/build.sh (SOURCE_DATE_EPOCH, IMAGE_REVISION, IMAGE_SOURCE), and
# DIST (default: dist/ of the checkout).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=tools/image/require-go.sh
source "$root/tools/image/require-go.sh"
require_go
dist=${DIST:-$root/dist}
node="$root/node_modules/node/bin/node"
[[ -x $node ]] || { echo "$node is missing: run npm ci first" >&2; exit 1; }
version=$("$node" -p 'require(process.argv[1]).version' "$root/package.json")
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct)}
export SOURCE_DATE_EPOCH=$epoch
cache_root=${IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/imanage-operator/image}
# shellcheck source=tools/image/stage.sh
source "$root/tools/image/stage.sh" # node_binary ARCH: Node for amd64 or arm64, from npm

rm -rf "$dist"
mkdir -p "$dist"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The image index, and each platform's SBOM.
digest=$(bash "$root/tools/image/build.sh" --platforms linux/amd64,linux/arm64 --out "$work/image" | tail -1)
tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner -cf "$dist/imanage-operator-$version.oci.tar" -C "$work/image/oci" .
for arch in amd64 arm64; do cp "$work/image/sbom-$arch.spdx.json" "$dist/imanage-operator-$version-linux-$arch.spdx.json"; done
cp "$work/image/imagetool" "$work/imagetool"

# The chart, packaged by the helm the control plane build provides.
helm="$(bash "$root/tools/controlplane.sh")/helm"
"$helm" package "$root/charts/imanage-operator" --destination "$dist" >&2

# The command line: one bundle, one blob, injected into each platform's Node.
bash "$here/cli.sh" "$work/cli"
for platform in linux-x64 linux-arm64; do
  mkdir -p "$dist/kubectl-imanage-$platform"
  cp "$work/cli/$platform/kubectl-imanage" "$dist/kubectl-imanage-$platform/kubectl-imanage"
  arch=$([[ $platform == linux-x64 ]] && echo amd64 || echo arm64)
  "$node" "$root/tools/image/sbom.ts" --name kubectl-imanage --version "$version" --arch "$arch" --epoch "$epoch" \
    --node "$(node_binary "$arch")" --node-version "$(node_version "$arch")" --lock "$root/package-lock.json" --out "$dist/kubectl-imanage-$platform.spdx.json"
done

(cd "$dist" && find . -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort | xargs sha256sum >SHA256SUMS)
echo "image index $digest" >&2
echo "release $version in $dist:" >&2
(cd "$dist" && cat SHA256SUMS) >&2
echo "$dist"
