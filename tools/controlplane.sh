#!/usr/bin/env bash
# Builds the control-plane binaries (kube-apiserver, kubectl, etcd, helm) from the modules pinned
# in tools/go.mod and tools/helm/go.mod, and prints the folder that holds them.
#
# The binaries are cached per user, keyed by a hash of the pins and of this script, so a fresh
# clone on a machine that built them once reuses them. Only the Go module proxy is used.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tools/image/require-go.sh
source "$here/image/require-go.sh"
require_go # one line and exit 1 when Go is missing or too old, before anything else
k8s_version=v1.37.2
helm_version=v4.3.1

pins_hash=$(cat "$here/go.mod" "$here/go.sum" "$here/helm/go.mod" "$here/helm/go.sum" "$here/controlplane.sh" |
  sha256sum | cut -c1-16)
cache_root=${IMANAGE_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/imanage-operator/controlplane}
bin="$cache_root/$pins_hash/bin"

if [[ -x "$bin/kube-apiserver" && -x "$bin/kubectl" && -x "$bin/etcd" && -x "$bin/helm" ]]; then
  echo "$bin"
  exit 0
fi

mkdir -p "$cache_root"
# Two test runs started at once must not build twice into the same folder.
exec 9>"$cache_root/.lock"
flock 9
if [[ -x "$bin/helm" ]]; then echo "$bin"; exit 0; fi

staging=$(mktemp -d "$cache_root/.build.XXXXXX")
trap 'rm -rf "$staging"' EXIT
started=$SECONDS

# Without these stamps the server reports v0.0.0-master, which helm and clients mis-read.
major=${k8s_version#v}; major=${major%%.*}
minor=${k8s_version#v*.}; minor=${minor%%.*}
stamp() {
  local pkg=$1
  printf -- '-X %s.gitVersion=%s -X %s.gitMajor=%s -X %s.gitMinor=%s -X %s.gitTreeState=clean -X %s.buildDate=1970-01-01T00:00:00Z ' \
    "$pkg" "$k8s_version" "$pkg" "$major" "$pkg" "$minor" "$pkg" "$pkg"
}
ldflags="-s -w $(stamp k8s.io/component-base/version)$(stamp k8s.io/client-go/pkg/version)"

echo "building the control plane ($k8s_version, etcd v3.7.3, helm $helm_version) into $bin; a cold build takes about 6 minutes" >&2
(cd "$here" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$staging/" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl)
(cd "$here" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$staging/etcd" go.etcd.io/etcd/server/v3)
(cd "$here/helm" && CGO_ENABLED=0 go build -trimpath \
  -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$helm_version" -o "$staging/helm" helm.sh/helm/v4/cmd/helm)

mkdir -p "$(dirname "$bin")"
rm -rf "$bin"
mv "$staging" "$bin"
trap - EXIT
echo "built in $((SECONDS - started)) s" >&2
echo "$bin"
