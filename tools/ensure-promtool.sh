#!/usr/bin/env bash
# Prints the path of a promtool, installing Debian's `prometheus` package (which ships it) when
# none is on the PATH. The chart's alert rules are checked with the real promtool
# (test/chart-monitoring.test.ts); a fresh CI machine has apt and runs as root, so this needs
# nothing else. PROMTOOL overrides the lookup.
set -euo pipefail

if [[ -n "${PROMTOOL:-}" && -x "$PROMTOOL" ]]; then echo "$PROMTOOL"; exit 0; fi
if found=$(command -v promtool); then echo "$found"; exit 0; fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "promtool is missing: install Debian's 'prometheus' package as root" >&2; exit 1; }
  sudo=(sudo -n)
fi
# Two test runs at once must not run apt at once.
exec 9>"${TMPDIR:-/tmp}/ensure-promtool.lock"
flock 9
if ! command -v promtool >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq >&2
  # --no-install-recommends: only the binaries, not the web UI's assets or the node exporter.
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends prometheus >&2
fi
command -v promtool
