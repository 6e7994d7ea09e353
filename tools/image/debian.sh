# The image's Debian packages: resolved from the archive's signed indexes by apt, recorded in
# debian.lock, fetched and extracted. Sourced by build.sh (which sets here, root and cache_root).
#
# apt runs with a configuration of its own (debian.sources, lists and .debs under the cache), so
# the machine's apt setup and architectures do not matter and nothing is installed. apt verifies
# the Release files against Debian's archive keys, the Packages indexes against the Release files
# and each .deb against its index; stage_debian checks the SHA256 once more before extracting.

apt_dir() { echo "$cache_root/apt"; }

apt_private() { # apt-get|apt-cache ARGS…
  local dir
  dir=$(apt_dir)
  "$1" -q -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$dir/sources" \
    -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null \
    -o Dir::State::Lists="$dir/lists" -o Dir::State::Status="$dir/status" -o Dir::Cache="$dir/cache" \
    -o APT::Architecture=amd64 -o APT::Architectures::=amd64 -o APT::Architectures::=arm64 \
    -o APT::Sandbox::User=root -o Debug::NoLocking=1 "${@:2}"
}

# Fetches the signed indexes (about 23 MB the first time, only what changed afterwards).
apt_update() {
  local dir
  dir=$(apt_dir)
  mkdir -p "$dir/sources" "$dir/lists/partial" "$dir/cache/archives/partial"
  cp "$here/debian.sources" "$dir/sources/debian.sources"
  : >>"$dir/status"
  echo "reading Debian's package indexes (apt-get update)" >&2
  apt_private apt-get update >/dev/null || { echo "apt-get update failed: see the lines above" >&2; return 1; }
  touch "$dir/updated"
}

# The index record of NAME for ARCH (or "all", as ca-certificates), VERSION if given or else the
# archive's candidate: "VERSION SHA256".
index_record() {
  local name=$1 arch=$2 version=$3 record candidate
  for candidate in "$arch" all; do
    record=$(apt_private apt-cache show --no-all-versions "$name:$candidate${version:+=$version}" 2>/dev/null |
      awk '/^Version: /{v=$2} /^SHA256: /{s=$2} END{if (v && s) print v, s}')
    if [[ -n $record ]]; then echo "$record"; return; fi
  done
}

locked() { # NAME ARCH: "VERSION SHA256" from debian.lock, or nothing
  [[ ! -f $here/debian.lock ]] || awk -v n="$1" -v a="$2" '$1 == n && $2 == a {print $3, $4}' "$here/debian.lock"
}

# resolve_debian ARCH…: prints "NAME ARCH VERSION SHA256" for every package and architecture. A
# locked version the archive still serves is taken with the locked SHA256 (which must match the
# index); one it no longer serves is replaced by the release's current version, in one line.
resolve_debian() {
  local dir arch name version sha record
  dir=$(apt_dir)
  [[ -f $dir/updated ]] || apt_update
  for arch in "$@"; do
    while read -r name _; do
      read -r version sha < <(locked "$name" "$arch"; echo)
      record=${version:+$(index_record "$name" "$arch" "$version")}
      if [[ -n $version && -z $record && -n $(find "$dir/updated" -mmin +60) ]]; then
        apt_update # an old list may not know what the lock names yet
        record=$(index_record "$name" "$arch" "$version")
      fi
      if [[ -n $record && $record != "$version $sha" ]]; then
        echo "debian.lock: $name $version ($arch) has SHA256 $sha but the signed index says ${record#* }; refusing it" >&2
        return 1
      fi
      if [[ -z $record ]]; then
        record=$(index_record "$name" "$arch" "")
        [[ -n $record ]] || { echo "$name ($arch) is not in the archive (tools/image/debian.sources)" >&2; return 1; }
        echo "debian.lock: ${version:+$name $version ($arch) is no longer in the archive; }using $name ${record% *} ($arch); npm run image -- --update-lock records it" >&2
      fi
      echo "$name $arch $record"
    done < <(package_lines)
  done
}

package_lines() { grep -v '^#' "$here/debian-packages.txt" | grep -v '^[[:space:]]*$'; }

# write_lock RESOLVED: debian.lock holds what the build resolved, and the other architectures' lines.
write_lock() {
  local others
  others=$([[ ! -f $here/debian.lock ]] || grep -v '^#' "$here/debian.lock" | awk 'NR == FNR {a[$2]; next} !($2 in a)' "$1" -)
  {
    echo "# Written by \`npm run image -- --update-lock\` (tools/image/build.sh): the Debian packages of the image,"
    echo "# as resolved from the archive's signed indexes. name architecture version sha256-of-the-.deb"
    { [[ -z $others ]] || echo "$others"; cat "$1"; } | sort -s -k2,2 | column -t
  } >"$here/debian.lock.new"
  mv "$here/debian.lock.new" "$here/debian.lock"
  echo "wrote $here/debian.lock" >&2
}

# fetch_deb NAME ARCH VERSION SHA256 DEBS: the verified .deb's path (apt's own file name, whose
# architecture is ARCH or "all").
fetch_deb() {
  local name=$1 arch=$2 version=$3 sha=$4 debs=$5 deb
  deb=$(cached_deb "$@")
  if [[ -z $deb ]]; then
    apt_download "$name" "$arch" "$version" "$debs" || { apt_update && apt_download "$name" "$arch" "$version" "$debs"; }
    deb=$(cached_deb "$@")
  fi
  if [[ -z $deb ]] || ! echo "$sha  $deb" | sha256sum --check --quiet --status; then
    echo "${deb:-$name $version ($arch)} does not match the SHA256 of the signed index ($sha); delete it to fetch it again" >&2
    return 1
  fi
  echo "$deb"
}

apt_download() { # NAME ARCH VERSION DEBS
  (cd "$4" && { apt_private apt-get download "$1:$2=$3" || apt_private apt-get download "$1:all=$3"; } >/dev/null 2>&1)
}

cached_deb() {
  local name=$1 arch=$2 version=$3 debs=$5 deb
  for deb in "$debs/${name}_${version//:/%3a}_"{"$arch",all}.deb; do
    if [[ -f $deb ]]; then echo "$deb"; return; fi
  done
}

# stage_debian DEST DEBS RESOLVED ARCH: Debian's C runtime, CA certificates and release files,
# plus the accounts and the folders a read-only container needs.
stage_debian() {
  local dest=$1 debs=$2 resolved=$3 arch=$4 name keep version sha deb unpacked path
  mkdir -p "$dest" "$debs"
  while read -r name keep; do
    read -r version sha < <(awk -v n="$name" -v a="$arch" '$1 == n && $2 == a {print $3, $4}' "$resolved")
    deb=$(fetch_deb "$name" "$arch" "$version" "$sha" "$debs")
    unpacked=$(mktemp -d "$dest.$name.XXXXXX")
    dpkg-deb -x "$deb" "$unpacked"
    for path in $(kept_paths "$arch" "$keep") "$(copyright_of "$unpacked" "$name")"; do
      mkdir -p "$dest/$(dirname "$path")"
      cp -aT "$unpacked/$path" "$dest/$path" # -T: merge into a folder another package began
    done
    rm -rf "$unpacked"
    # Scanners (Trivy, Grype) find distroless packages here; it is data, there is no dpkg.
    mkdir -p "$dest/var/lib/dpkg/status.d"
    dpkg-deb -f "$deb" >"$dest/var/lib/dpkg/status.d/$name"
  done < <(package_lines)
  ca_bundle "$dest"
  accounts "$dest"
  mkdir -p "$dest/tmp" && chmod 1777 "$dest/tmp" # an emptyDir or tmpfs is mounted here; the compile cache lives in it
}

# debian-packages.txt names paths with {triplet} (the multiarch folder) and {loader} (the path
# the dynamic loader is found at, as Node's ELF header names it).
kept_paths() {
  local arch=$1 keep=$2 triplet loader
  case $arch in
    amd64) triplet=x86_64-linux-gnu loader=lib64 ;;
    arm64) triplet=aarch64-linux-gnu loader=lib/ld-linux-aarch64.so.1 ;;
    *) echo "unsupported architecture $arch: want amd64 or arm64" >&2; return 1 ;;
  esac
  keep=${keep//\{triplet\}/$triplet}
  echo "${keep//\{loader\}/$loader}"
}

# The package's copyright file, or the link to the package that holds it (libgcc-s1 → gcc-12-base).
copyright_of() {
  local unpacked=$1 name=$2
  if [[ -L $unpacked/usr/share/doc/$name ]]; then echo "usr/share/doc/$name"; else echo "usr/share/doc/$name/copyright"; fi
}

# What update-ca-certificates would write with every Mozilla root enabled (Debian's default).
ca_bundle() {
  local dest=$1
  mkdir -p "$dest/etc/ssl/certs"
  find "$dest/usr/share/ca-certificates" -name '*.crt' -print0 | LC_ALL=C sort -z |
    xargs -0 cat >"$dest/etc/ssl/certs/ca-certificates.crt"
}

accounts() {
  local dest=$1
  cat >"$dest/etc/passwd" <<'ACCOUNTS'
root:x:0:0:root:/root:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
ACCOUNTS
  printf 'root:x:0:\nnonroot:x:65532:\n' >"$dest/etc/group"
  printf 'hosts: files dns\n' >"$dest/etc/nsswitch.conf"
  mkdir -p "$dest/home/nonroot"
}
