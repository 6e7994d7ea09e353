# require_go: stops the calling script with one line when Go is missing or older than the
# go.mod files ask for (the control plane, imagetool and the release are built with it).
# Sourced by tools/controlplane.sh, tools/image/build.sh and tools/release/build.sh.
require_go() {
  local want=1.26 have
  if ! have=$(go env GOVERSION 2>/dev/null); then
    echo "Go $want or newer is required (it builds the control plane and the image) and 'go' is not on PATH: install it from https://go.dev/dl/" >&2
    exit 1
  fi
  have=${have#go}
  if [[ $(printf '%s\n%s\n' "$want" "$have" | sort -V | head -1) != "$want" ]]; then
    echo "Go $want or newer is required (it builds the control plane and the image); found Go $have: upgrade it from https://go.dev/dl/" >&2
    exit 1
  fi
}
