#!/usr/bin/env bash
# Makes the images docker-compose.yml runs, with no image registry: a Debian base with a jlink'ed Java runtime,
# the ext4sim image on it, and Prometheus from Debian's package. Reaches only the Debian mirror.
#
# usage: docker/build-images.sh [--force]     (./ext4sim images runs it after building the jars)
# --force makes the base and Prometheus images again even when their tags exist.
# environment: JAVA_HOME (a JDK 25 to jlink from), EXT4SIM_DEBIAN_MIRROR (default: the mirror apt uses),
# EXT4SIM_DEBIAN_SUITE (default bookworm), EXT4SIM_BASE_IMAGE, EXT4SIM_IMAGE, EXT4SIM_PROMETHEUS_IMAGE (tags).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SUITE=${EXT4SIM_DEBIAN_SUITE:-bookworm}
BASE_TAG=${EXT4SIM_BASE_IMAGE:-ext4sim-base:$SUITE-jre25}
APP_TAG=${EXT4SIM_IMAGE:-ext4sim:latest}
PROM_TAG=${EXT4SIM_PROMETHEUS_IMAGE:-ext4sim-prometheus:$SUITE}
# jdeps on the service jars and the broker finds the first line; the second is what reflection, DNS, TLS and
# jcmd need, which jdeps cannot see.
MODULES=java.base,java.compiler,java.desktop,java.instrument,java.naming,java.net.http,java.prefs,java.scripting,java.security.jgss,java.security.sasl,java.sql,jdk.jfr,jdk.management,jdk.unsupported
MODULES=$MODULES,jdk.crypto.ec,jdk.naming.dns,jdk.security.auth,jdk.management.agent,jdk.zipfs,jdk.charsets,jdk.jcmd

FORCE=0
for a in "$@"; do
  case "$a" in
    --force|-f) FORCE=1 ;;
    *) echo "build-images: unknown argument $a; usage: docker/build-images.sh [--force]" >&2; exit 2 ;;
  esac
done

step() { printf '==> %s\n' "$*"; }
die() { printf 'build-images: %s\n' "$*" >&2; exit 1; }
elapsed() { echo "$(( $(date +%s) - $1 )) s"; }

command -v docker >/dev/null || die "no docker command; install Docker (on Debian: apt-get install -y --no-install-recommends docker.io docker-compose)"
docker info >/dev/null 2>&1 || die "no Docker engine answers; start one (without systemd: dockerd > /tmp/dockerd.log 2>&1 &), then run this again"
for m in gateway vfs-service ext4-service jbd2-service writeback-service blockdev-service; do
  [ -f "$ROOT/$m/target/$m-exec.jar" ] || die "$m/target/$m-exec.jar is missing; run ./ext4sim images (it builds the jars) or ./mvnw -DskipTests package"
done
[ -f "$ROOT/launcher/target/launcher.jar" ] && [ -d "$ROOT/launcher/target/lib" ] \
  || die "launcher/target/launcher.jar or lib/ is missing; run ./mvnw -DskipTests package"

exists() { docker image inspect "$1" >/dev/null 2>&1; }

mirror() {
  if [ -n "${EXT4SIM_DEBIAN_MIRROR:-}" ]; then echo "$EXT4SIM_DEBIAN_MIRROR"; return; fi
  local m=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    m=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
    m=$(awk '$1 == "deb" && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list)
  fi
  echo "${m:-http://deb.debian.org/debian}"
}

WORK=""
cleanup() { if [ -n "$WORK" ]; then rm -rf "$WORK"; fi; }
trap cleanup EXIT

# A root filesystem from Debian packages, imported as an image. The package caches and lists are left out: they
# are half the size and apt-get update brings them back.
debian_image() {
  local tag=$1 include=$2 changes=("${@:3}") dir args=()
  command -v debootstrap >/dev/null || die "no debootstrap; install it (apt-get install -y --no-install-recommends debootstrap) or set EXT4SIM_BASE_IMAGE to an image that has java 25 on PATH"
  [ "$(id -u)" = 0 ] || die "debootstrap needs root; run this as root (or with sudo)"
  [ -n "$WORK" ] || WORK=$(mktemp -d "${TMPDIR:-/tmp}/ext4sim-images.XXXXXX")
  dir="$WORK/${tag//[:\/]/_}"
  [ -n "$include" ] && args+=("--include=$include")
  step "debootstrap $SUITE${include:+ with $include} from $(mirror) (about a minute)"
  debootstrap --variant=minbase "${args[@]}" "$SUITE" "$dir" "$(mirror)" > "$WORK/debootstrap.log" 2>&1 \
    || { tail -n 20 "$WORK/debootstrap.log" >&2; die "debootstrap failed (log above); check that $(mirror) is reachable, or set EXT4SIM_DEBIAN_MIRROR"; }
  if [ "$tag" = "$BASE_TAG" ]; then
    step "jlink a Java runtime from $JAVA_HOME"
    "$JAVA_HOME/bin/jlink" --add-modules "$MODULES" --strip-debug --no-man-pages --no-header-files \
      --compress=zip-6 --output "$dir/opt/java/openjdk" \
      || die "jlink failed; JAVA_HOME must be a JDK 25 ($JAVA_HOME)"
    "$dir/opt/java/openjdk/bin/java" -version >/dev/null 2>&1 || die "the linked runtime does not start"
  fi
  if [ "$include" = prometheus ]; then
    local owner
    owner=$(awk -F: '$1 == "prometheus" {print $3 ":" $4}' "$dir/etc/passwd")
    [ -n "$owner" ] || die "the prometheus package made no prometheus user in $dir"
    mkdir -p "$dir/prometheus" && chown "$owner" "$dir/prometheus"
  fi
  rm -rf "$dir/usr/share/doc" "$dir/usr/share/man" "$dir/usr/share/info"
  step "import $tag"
  tar -C "$dir" --exclude='./var/cache/apt/archives/*.deb' --exclude='./var/lib/apt/lists/*_Packages' \
      --exclude='./var/lib/apt/lists/*_InRelease' --exclude='./var/cache/apt/*.bin' -c . \
    | docker import "${changes[@]}" - "$tag" >/dev/null || die "docker import of $tag failed"
  rm -rf "$dir"
}

need_java() {
  [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/jlink" ] \
    || die "JAVA_HOME must name a JDK 25 with jlink (./ext4sim images finds one); it is '${JAVA_HOME:-unset}'"
}

t=$(date +%s)
if exists "$BASE_TAG" && [ $FORCE = 0 ]; then
  step "$BASE_TAG exists (--force makes it again)"
else
  need_java
  debian_image "$BASE_TAG" "" -c 'ENV PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENV JAVA_HOME=/opt/java/openjdk' -c 'CMD ["java","-version"]'
  step "$BASE_TAG made in $(elapsed "$t")"
fi

t=$(date +%s)
if exists "$PROM_TAG" && [ $FORCE = 0 ]; then
  step "$PROM_TAG exists (--force makes it again)"
else
  # The entrypoint and paths of the official prom/prometheus image, so that either one runs under the same compose
  # command.
  debian_image "$PROM_TAG" prometheus -c 'ENTRYPOINT ["/usr/bin/prometheus"]' \
    -c 'CMD ["--config.file=/etc/prometheus/prometheus.yml","--storage.tsdb.path=/prometheus"]' \
    -c 'EXPOSE 9090' -c 'USER prometheus' -c 'WORKDIR /prometheus'
  step "$PROM_TAG made in $(elapsed "$t")"
fi

# Always built: the layer cache makes it quick when no jar changed, and a stale image would hide a rebuild.
t=$(date +%s)
step "docker build $APP_TAG on $BASE_TAG"
docker build -q -f "$ROOT/docker/Dockerfile" --build-arg "BASE=$BASE_TAG" -t "$APP_TAG" "$ROOT" >/dev/null \
  || die "docker build of $APP_TAG failed; run: docker build -f docker/Dockerfile --build-arg BASE=$BASE_TAG -t $APP_TAG . to see why"
step "$APP_TAG built in $(elapsed "$t")"
# the previous build, left untagged by this one
docker image prune -f --filter label=org.opencontainers.image.title=ext4sim >/dev/null || true

docker image ls --format '{{.Repository}}:{{.Tag}}  {{.Size}}' | grep -E "^(${BASE_TAG}|${APP_TAG}|${PROM_TAG})  " || true
echo "done; start the stack with: docker-compose up -d   (or: docker compose up --wait)"
