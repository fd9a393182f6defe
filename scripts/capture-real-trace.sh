#!/usr/bin/env bash
# The seed program on this machine's kernel, traced by ftrace: an ext4 on a loop device, the ext4, jbd2, writeback
# and block events, the program's three variants (no fsync, O_SYNC, fsync), then the wait for the flusher and the
# journal commit that follows it. The trace goes to OUT (default real-trace.txt), ready for ./ext4sim trace diff.
# The program pauses --gap milliseconds (default 500) before each call after open, as a client of ext4sim's REST API
# paces its calls, so that what depends on time between calls happens alike on both sides: file_update_time's
# timestamp update on write, and which of the flusher's 5 s rounds finds each file expired; --gap 0 runs it at full
# speed.
#
# usage: sudo scripts/capture-real-trace.sh [OUT] [--timeout SECONDS] [--gap MILLISECONDS]
set -euo pipefail

out=real-trace.txt
timeout=90
gap=500
while [ $# -gt 0 ]; do
  case "$1" in
    --timeout) timeout=$2; shift 2 ;;
    --gap) gap=$2; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) out=$1; shift ;;
  esac
done
out=$(realpath -m "$out")

die() { echo "capture-real-trace: $*" >&2; exit "${2:-1}"; }
[ "$(id -u)" = 0 ] || die "tracefs and loop devices need root: run it with sudo" 2
for tool in mkfs.ext4 losetup mount umount; do
  command -v "$tool" >/dev/null || die "$tool is missing: install e2fsprogs, mount and util-linux" 2
done

tracing=/sys/kernel/tracing
if [ ! -e "$tracing/trace" ]; then
  mount -t tracefs nodev "$tracing" 2>/dev/null || true
fi
if [ ! -e "$tracing/trace" ] && [ -e /sys/kernel/debug/tracing/trace ]; then
  tracing=/sys/kernel/debug/tracing
fi
[ -e "$tracing/trace" ] || die "no tracefs at /sys/kernel/tracing (mount -t tracefs nodev /sys/kernel/tracing failed): the kernel needs CONFIG_FTRACE, or the container needs --privileged" 2

work=$(mktemp -d /tmp/ext4sim-capture.XXXXXX)
loop=""
cleanup() {
  echo 0 > "$tracing/tracing_on" 2>/dev/null || true
  for sys in ext4 jbd2 writeback block; do
    echo 0 > "$tracing/events/$sys/enable" 2>/dev/null || true
    echo 0 > "$tracing/events/$sys/filter" 2>/dev/null || true
  done
  mountpoint -q "$work/mnt" 2>/dev/null && umount "$work/mnt"
  [ -n "$loop" ] && losetup -d "$loop" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# the seed program, named demo as in the seeds: open(O_CREAT|O_RDWR [|O_SYNC]), write 12 bytes, [fsync], close
cat > "$work/demo.c" <<'C'
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv) {
    int mode = argc > 2 ? atoi(argv[2]) : 0; /* 0: write only, 1: O_SYNC, 2: write then fsync */
    useconds_t gap = argc > 3 ? (useconds_t) atoi(argv[3]) * 1000 : 0; /* before each call after open */
    int fd = open(argv[1], O_CREAT | O_RDWR | (mode == 1 ? O_SYNC : 0), 0644);
    if (fd < 0)
        return 1;
    usleep(gap);
    if (write(fd, "hello world\n", 12) != 12)
        return 1;
    if (mode == 2) {
        usleep(gap);
        if (fsync(fd) != 0)
            return 1;
    }
    usleep(gap);
    return close(fd) != 0;
}
C
if command -v cc >/dev/null; then
  cc -O2 -o "$work/demo" "$work/demo.c" || die "cc could not build the seed program"
  run() { "$work/demo" "$1" "$2" "$gap"; }
elif command -v python3 >/dev/null; then
  # no compiler: the same calls from python3, whose task is renamed demo before it touches the filesystem
  run() { python3 -c '
import os, sys, time
open("/proc/self/comm", "w").write("demo")
mode, gap = int(sys.argv[2]), int(sys.argv[3]) / 1000
fd = os.open(sys.argv[1], os.O_CREAT | os.O_RDWR | (os.O_SYNC if mode == 1 else 0), 0o644)
time.sleep(gap)
assert os.write(fd, b"hello world\n") == 12
if mode == 2:
    time.sleep(gap)
    os.fsync(fd)
time.sleep(gap)
os.close(fd)' "$1" "$2" "$gap"; }
else
  die "neither cc nor python3 is installed to run the seed program: apt-get install gcc" 2
fi

echo "capture-real-trace: an ext4 on a loop device ($(uname -r))"
truncate -s 256M "$work/disk.img"
mkfs.ext4 -q -F -b 4096 "$work/disk.img"
loop=$(losetup --find --show "$work/disk.img") || die "no loop device: modprobe loop, or run on a machine that has them"
mkdir "$work/mnt"
mount -t ext4 "$loop" "$work/mnt"
major=$((0x$(stat -c %t "$loop")))
minor=$((0x$(stat -c %T "$loop")))
devt=$(( (major << 20) | minor ))   # the kernel's dev_t, as the events' dev field holds it
sync

echo 0 > "$tracing/tracing_on"
echo nop > "$tracing/current_tracer"
echo 16384 > "$tracing/buffer_size_kb"
echo > "$tracing/trace"
for sys in ext4 jbd2 block; do
  echo "dev == $devt" > "$tracing/events/$sys/filter" 2>/dev/null || true
  echo 1 > "$tracing/events/$sys/enable"
done
echo 1 > "$tracing/events/writeback/enable"
echo 1 > "$tracing/tracing_on"

echo "capture-real-trace: the seed program three times on $loop ($major,$minor): no fsync, O_SYNC, fsync ($gap ms between calls)"
run "$work/mnt/hello" 0
run "$work/mnt/hello-osync" 1
run "$work/mnt/hello-fsync" 2

# the file written without fsync reaches the disk when the flusher's kupdate pass finds it expired (30 s by
# default), and its block allocation commits in the journal after that; the flusher's next round, which writes the
# metadata that commit exposed (the block device inode), ends the capture
ino=$(stat -c %i "$work/mnt/hello")
start=$(date +%s)
while :; do
  now=$(date +%s)
  last=$(awk -v w="ext4_writepages: dev $major,$minor ino $ino " -v c="jbd2_end_commit: dev $major,$minor " \
      -v b="writeback_written: bdi $major:$minor:" \
      'index($0, w) && $1 ~ /^kworker/ { seen = 1 }
       seen && index($0, c) { committed = 1 }
       committed && index($0, b) { k = $1 }
       k != "" && $1 == k && / writeback_pages_written: / { print NR; exit }' \
      "$tracing/trace")
  [ -n "$last" ] && break
  [ $((now - start)) -lt "$timeout" ] || die "the flusher did not write inode $ino back within $timeout s (vm.dirty_expire_centisecs is $(cat /proc/sys/vm/dirty_expire_centisecs)); try --timeout"
  echo "capture-real-trace: waiting for the flusher and the commit, $((now - start)) s of at most $timeout"
  sleep 5
done
echo 0 > "$tracing/tracing_on"

# keep this device's events: those that name it; the program's and jbd2's that name no device (block_plug and
# block_unplug) when the task's last block event was this device's, since the program's own pages come from another
# disk; a kworker's between ext4_writepages and its result; and a kworker's that name no device (global_dirty_state,
# writeback_pages_written) while its last bdi was this one. Events of other devices (writeback has no dev to filter
# on) go, and so does what came after that round, which the polling's pace would otherwise decide.
awk -v M="$major" -v m="$minor" -v last="$last" '
  /^#/ { print; next }
  NR > last { exit }
  {
    mine = index($0, "dev " M "," m " ") || index($0, "bdi " M ":" m ":") || index($0, "bdi " M ":" m "[") \
        || index($0, ": " M "," m " ")
    if (index($0, "ext4_writepages: dev " M "," m " ")) inside[$1] = 1
    if (index($0, "bdi ")) ourbdi[$1] = mine
    plug = index($0, " block_plug: ") || index($0, " block_unplug: ")
    if (index($0, " block_") && !plug) ourblk[$1] = mine
    if (mine) { print; if (index($0, "ext4_writepages_result: ")) inside[$1] = 0; next }
    if (index($0, "bdi ") || index($0, "dev ")) next
    if (plug && !ourblk[$1]) next
    if ($1 ~ /^demo-/ || $1 ~ /^jbd2\/loop/ || inside[$1] || ($1 ~ /^kworker\// && ourbdi[$1])) print
  }' "$tracing/trace" > "$out"
echo "capture-real-trace: $(grep -vc '^#' "$out") events in $out; compare: ./ext4sim trace diff $out"
