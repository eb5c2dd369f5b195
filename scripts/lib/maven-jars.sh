# Sourced by the jar fetch scripts (fetch-s3a-jars.sh, fetch-table-jars.sh): download pinned jars from
# Maven Central into <dest_root>/<Spark line>/, each checked against its SHA-1 (the .sha1 Maven Central
# publishes); a file that is present and matches is not downloaded again.
#
#   fetch_maven_jars <script name> <dest root> [line ...]
# reads the caller's JARS array of "line|group:artifact:version|sha1" entries; lines default to 3.5 and 4.0.

maven_repo=${MAVEN_REPO_URL:-https://repo1.maven.org/maven2}

_sha1_of() { sha1sum "$1" | cut -d' ' -f1; }

_fetch_maven_jar() {
  local name=$1 coords=$2 sha1=$3 dir=$4
  local group artifact version
  IFS=: read -r group artifact version <<<"$coords"
  local file="$artifact-$version.jar"
  local target="$dir/$file"
  if [ -f "$target" ] && [ "$(_sha1_of "$target")" = "$sha1" ]; then
    echo "  ok       $file" >&2
    return
  fi
  local url="$maven_repo/${group//.//}/$artifact/$version/$file"
  echo "  fetching $file from $url" >&2
  # .part first, so an interrupted download never looks like an installed jar.
  curl --fail --location --silent --show-error --retry 3 --output "$target.part" "$url"
  local got
  got=$(_sha1_of "$target.part")
  if [ "$got" != "$sha1" ]; then
    rm -f "$target.part"
    echo "$name: $file has SHA-1 $got, expected $sha1; not installed" >&2
    exit 1
  fi
  mv "$target.part" "$target"
}

fetch_maven_jars() {
  local name=$1 dest_root=$2
  shift 2
  local lines=("$@")
  [ ${#lines[@]} -gt 0 ] || lines=(3.5 4.0)
  local line
  for line in "${lines[@]}"; do
    case "$line" in
      3.5|4.0) ;;
      *) echo "$name: Spark line must be 3.5 or 4.0, got '$line'" >&2; exit 2 ;;
    esac
  done
  local dir entry jar_line coords sha1
  for line in "${lines[@]}"; do
    dir="$dest_root/$line"
    mkdir -p "$dir"
    echo "$name: Spark $line -> ${dir#"$root"/}" >&2
    for entry in "${JARS[@]}"; do
      IFS='|' read -r jar_line coords sha1 <<<"$entry"
      if [ "$jar_line" = "$line" ]; then _fetch_maven_jar "$name" "$coords" "$sha1" "$dir"; fi
    done
  done
}
