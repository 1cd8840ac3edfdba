#!/usr/bin/env bash
# The two FUSE frontends side by side on one MinIO on 127.0.0.1: the
# release binary (go-fuse) and the cgofuse build Windows uses (libfuse3
# here), with the same file-cache config:
#
#  - a durable sequential write of one big file (dd, conv=fsync), then a
#    sequential read of it after a remount (nothing cached);
#  - a copy of a tree of small files into the mount (cp -r), then a read of
#    them back after a remount.
#
#   bench/frontends.sh          (or: make bench-frontends)
#
# Settings (environment): BENCH_BIG_MB=1024, BENCH_SMALL_FILES=1000,
# BENCH_SMALL_KB=16, BENCH_ROUNDS=3 (medians), BENCH_WORKDIR.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib/common.sh
. "$ROOT/bench/lib/common.sh"
# shellcheck source=bench/lib/install.sh
. "$ROOT/bench/lib/install.sh"
# shellcheck source=bench/lib/mounts.sh
. "$ROOT/bench/lib/mounts.sh"

BIG_MB=${BENCH_BIG_MB:-1024}
SMALL_FILES=${BENCH_SMALL_FILES:-1000}
SMALL_KB=${BENCH_SMALL_KB:-16}
ROUNDS=${BENCH_ROUNDS:-3}
UNMOUNT_TIMEOUT=300
STEP_TIMEOUT=1800
GO=${GO:-go}
BUCKET=frontends
for v in BIG_MB SMALL_FILES SMALL_KB ROUNDS; do
	case ${!v} in '' | *[!0-9]* | 0) die "BENCH_$v must be a positive whole number, not '${!v}'" ;; esac
done
ensure_packages fusermount3=fuse3 mountpoint=util-linux timeout=coreutils python3=python3

WORK=${BENCH_WORKDIR:-$(mktemp -d "${TMPDIR:-/tmp}/cloudfuse-bench-frontends.XXXXXXXX")}
mkdir -p "$WORK/bin" "$WORK/logs"
(cd "$ROOT" && "$GO" build -o "$WORK/bin/go-fuse" ./cmd/cloudfuse) || die "building cloudfuse failed"
(cd "$ROOT" && CGO_ENABLED=1 "$GO" build -tags cgofuse,fuse3 -o "$WORK/bin/cgofuse" ./cmd/cloudfuse) ||
	die "building the cgofuse frontend failed (it needs libfuse3-dev)"
build_benchtool

bench_cleanup() { rm -rf "${WORK:?}/tree"; }
start_servers
"$BT" seed-set -bucket "$BUCKET" -prefix seed/ -n 1 -size-kb 1 >/dev/null

mkdir -p "$WORK/tree"
for ((i = 0; i < SMALL_FILES; i++)); do
	head -c $((SMALL_KB << 10)) /dev/urandom >"$WORK/tree/f$i"
done
warm_memory "${BENCH_WARM_MB:-}"


# One round through the binary $1: prints write MiB/s, read MiB/s,
# files/s copied in, files/s read back.
round() {
	local t0 t1 w r ci cr
	CLOUDFUSE_BIN=$WORK/bin/$1
	mount_tool cloudfuse-file || die "$1: mount failed"
	t0=$(now_ns)
	bounded "$STEP_TIMEOUT" dd if=/dev/zero of="$MNT/big" bs=1M count="$BIG_MB" conv=fsync status=none
	t1=$(now_ns)
	w=$(rate "$BIG_MB" "$t0" "$t1")
	t0=$(now_ns)
	bounded "$STEP_TIMEOUT" cp -r "$WORK/tree" "$MNT/tree"
	t1=$(now_ns)
	ci=$(rate "$SMALL_FILES" "$t0" "$t1")
	unmount_tool
	drop_caches
	mount_tool cloudfuse-file || die "$1: mount failed"
	t0=$(now_ns)
	bounded "$STEP_TIMEOUT" dd if="$MNT/big" of=/dev/null bs=1M status=none
	t1=$(now_ns)
	r=$(rate "$BIG_MB" "$t0" "$t1")
	t0=$(now_ns)
	bounded "$STEP_TIMEOUT" cat "$MNT"/tree/* >/dev/null
	t1=$(now_ns)
	cr=$(rate "$SMALL_FILES" "$t0" "$t1")
	rm -rf "${MNT:?}/tree" "$MNT/big"
	unmount_tool
	echo "$w $r $ci $cr"
}

declare -A W R CI CR
for ((n = 0; n < ROUNDS; n++)); do
	for fe in go-fuse cgofuse; do
		log "round $((n + 1)): $fe"
		read -r w r ci cr < <(round "$fe")
		W[$fe]+="$w " R[$fe]+="$r " CI[$fe]+="$ci " CR[$fe]+="$cr "
	done
done

echo
echo "Frontends on MinIO (127.0.0.1), file cache, medians of $ROUNDS rounds"
echo
echo "| frontend | durable seq write $BIG_MB MiB | seq read $BIG_MB MiB | cp -r $SMALL_FILES x $SMALL_KB KiB in | read them back |"
echo "|---|---|---|---|---|"
for fe in go-fuse cgofuse; do
	# shellcheck disable=SC2086
	printf '| %s | %s MiB/s (%s) | %s MiB/s (%s) | %s files/s (%s) | %s files/s (%s) |\n' "$fe" \
		"$(median ${W[$fe]})" "${W[$fe]% }" "$(median ${R[$fe]})" "${R[$fe]% }" \
		"$(median ${CI[$fe]})" "${CI[$fe]% }" "$(median ${CR[$fe]})" "${CR[$fe]% }"
done
