#!/usr/bin/env bash
# Data-path benchmark for training jobs, on one MinIO server on 127.0.0.1:
#
#  1. preload: `cloudfuse preload` of a set of small files and of one big
#     file into the file cache, against the AWS SDK for Go downloading the
#     same objects into local files on the same disk, as many at once;
#  2. epochs: the same set and big file read twice through the block
#     cache with its disk tier, remounting in between (nothing left in
#     memory or the kernel's page cache): the first epoch reads the store,
#     the second the disk. Store requests come from cloudfuse health.
#
#   bench/data.sh            (or: make bench-data)
#
# Settings (environment):
#   BENCH_SET_FILES=2000 BENCH_SET_KB=1024   the set of small files
#   BENCH_BIG_MB=4096                        the big file
#   BENCH_JOBS=16                            files at once (SDK, preload,
#                                            epoch readers)
#   BENCH_ROUNDS=3                           preload and SDK runs each, in
#                                            alternating order; medians
#   BENCH_WORKDIR, BENCH_CLOUDFUSE_BIN       as for bench/run.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib/common.sh
. "$ROOT/bench/lib/common.sh"
# shellcheck source=bench/lib/install.sh
. "$ROOT/bench/lib/install.sh"
# shellcheck source=bench/lib/mounts.sh
. "$ROOT/bench/lib/mounts.sh"

SET_FILES=${BENCH_SET_FILES:-2000}
SET_KB=${BENCH_SET_KB:-1024}
BIG_MB=${BENCH_BIG_MB:-4096}
JOBS=${BENCH_JOBS:-16}
ROUNDS=${BENCH_ROUNDS:-3}
UNMOUNT_TIMEOUT=300
STEP_TIMEOUT=3600
GO=${GO:-go}
BUCKET=benchdata
for v in SET_FILES SET_KB BIG_MB JOBS ROUNDS; do
	case ${!v} in '' | *[!0-9]* | 0) die "BENCH_$v must be a positive whole number, not '${!v}'" ;; esac
done
ensure_packages fusermount3=fuse3 mountpoint=util-linux timeout=coreutils python3=python3 xargs=findutils

WORK=${BENCH_WORKDIR:-$(mktemp -d "${TMPDIR:-/tmp}/cloudfuse-bench-data.XXXXXXXX")}
mkdir -p "$WORK/bin" "$WORK/logs"
build_benchtool
build_cloudfuse

bench_cleanup() { rm -rf "${WORK:?}/sdk"; }
start_servers

log "seeding set/ ($SET_FILES x $SET_KB KiB) and big/ (1 x $BIG_MB MiB)"
bounded "$STEP_TIMEOUT" "$BT" seed-set -bucket "$BUCKET" -prefix set/ -n "$SET_FILES" -size-kb "$SET_KB" >&2
bounded "$STEP_TIMEOUT" "$BT" seed-set -bucket "$BUCKET" -prefix big/ -n 1 -size-kb $((BIG_MB << 10)) >&2
warm_memory "${BENCH_WARM_MB:-}"

# The variants mount_tool knows as cloudfuse-preload and cloudfuse-tier.
cf_config_preload() {
	cf_yaml_common
	cat <<YAML
components: [libfuse, file_cache, attr_cache, s3storage]
file_cache:
  path: $DAEMON_CACHE
  timeout-sec: 3600
YAML
}
cf_config_tier() {
	cf_yaml_common
	cat <<YAML
components: [libfuse, block_cache, attr_cache, s3storage]
block_cache:
  block-size-mb: 16
  mem-size-mb: 1024
  path: $DAEMON_CACHE
  disk-size-mb: $((BIG_MB + SET_FILES * SET_KB / 1024 + 1024))
  disk-timeout-sec: 0
YAML
}

# health_py EXPR: evaluate a Python expression over the mount's health
# snapshot (s).
health_py() {
	"$CLOUDFUSE_BIN" health "$MNT" --format=json |
		python3 -c "import json,sys; s=json.load(sys.stdin); print($1)"
}

rows=()
row() { rows+=("$(printf '| %s | %s | %s | %s |' "$@")"); }
mibs() { python3 -c "print('%.0f' % ($1 / 1048576 / $2))"; }

# 1. Preload against the SDK, ROUNDS times each in alternating order; the
# median of each.
sdk_rate() {
	local bytes secs
	rm -rf "$WORK/sdk"
	drop_caches
	wait_idle
	read -r bytes secs < <(bounded "$STEP_TIMEOUT" "$BT" download -bucket "$BUCKET" -prefix "$1/" -dir "$WORK/sdk" -jobs "$JOBS")
	rm -rf "$WORK/sdk"
	RATE=$(mibs "$bytes" "$secs")
}
preload_rate() {
	local pbytes psecs
	drop_caches
	wait_idle
	mount_tool cloudfuse-preload || die "mount failed"
	bounded "$STEP_TIMEOUT" "$CLOUDFUSE_BIN" preload "$MNT" "$1" --workers="$JOBS" >"$WORK/logs/preload-$1.txt" ||
		die "preload failed: $(tail -1 "$WORK/logs/preload-$1.txt")"
	read -r pbytes psecs PRELOAD_GETS < <(health_py "s['preload']['bytes_done'], (__import__('datetime').datetime.fromisoformat(s['preload']['ended']) - __import__('datetime').datetime.fromisoformat(s['preload']['started'])).total_seconds(), s['store'].get('get', {}).get('count', 0)")
	unmount_tool
	RATE=$(mibs "$pbytes" "$psecs")
}
for prefix in set big; do
	sdks=() cfs=()
	for ((r = 0; r < ROUNDS; r++)); do
		if ((r % 2 == 0)); then
			sdk_rate "$prefix" && sdks+=("$RATE")
			preload_rate "$prefix" && cfs+=("$RATE")
		else
			preload_rate "$prefix" && cfs+=("$RATE")
			sdk_rate "$prefix" && sdks+=("$RATE")
		fi
	done
	sdk=$(median "${sdks[@]}")
	cf=$(median "${cfs[@]}")
	log "preload $prefix: SDK ${sdks[*]} MiB/s, cloudfuse ${cfs[*]} MiB/s"
	row "preload $prefix/ ($([ $prefix = set ] && echo "$SET_FILES x $SET_KB KiB" || echo "1 x $BIG_MB MiB"))" \
		"$sdk MiB/s (${sdks[*]})" "$cf MiB/s (${cfs[*]}), $PRELOAD_GETS GETs" "$(python3 -c "print('%.2f' % ($cf / $sdk))")"
done

# 2. Two epochs over the disk tier.
epoch() {
	local before after t0 t1
	before=$(health_py "s['store'].get('get', {}).get('count', 0), s['store'].get('get', {}).get('bytes', 0)")
	t0=$(now_ns)
	find "$MNT/set" -type f -print0 | xargs -0 -P "$JOBS" -n 64 cat >/dev/null
	cat "$MNT/big/f00000" >/dev/null
	t1=$(now_ns)
	after=$(health_py "s['store'].get('get', {}).get('count', 0), s['store'].get('get', {}).get('bytes', 0)")
	local total=$((SET_FILES * SET_KB * 1024 + BIG_MB * 1048576))
	read -r g0 b0 <<<"${before//,/}"
	read -r g1 b1 <<<"${after//,/}"
	EPOCH="$(mibs "$total" "$(python3 -c "print(($t1 - $t0) / 1e9)")") MiB/s|$((g1 - g0)) GETs, $(((b1 - b0) >> 20)) MiB from the store"
}
drop_caches
wait_idle
mount_tool cloudfuse-tier || die "mount failed"
epoch
first=$EPOCH
# Remount with the disk tier kept: nothing in the daemon's memory.
detach "$MNT"
stop_daemon "$DAEMON_PID" "$UNMOUNT_TIMEOUT"
drop_caches
wait_idle
start_cloudfuse cloudfuse-tier
LIVE_PIDS+=("$DAEMON_PID")
for _ in $(seq 300); do mountpoint -q "$MNT" && break; sleep 0.1; done
tier=$(health_py "'%d blocks, %d MiB' % (s['disk_tier']['blocks'], s['disk_tier']['bytes'] >> 20)")
epoch
second=$EPOCH
hits=$(health_py "s['disk_tier']['hits'], s['disk_tier']['misses'], s['disk_tier']['corrupt']")
unmount_tool
row "epoch 1: block cache, store" "" "${first%%|*}" "${first#*|}"
row "epoch 2: block cache, disk tier ($tier)" "" "${second%%|*}" "${second#*|}; hits, misses, corrupt: $hits"

{
	printf '# %d x %d KiB set, %d MiB big file, %d at a time; preload: median of %d rounds (all rounds in brackets)\n' \
		"$SET_FILES" "$SET_KB" "$BIG_MB" "$JOBS" "$ROUNDS"
	echo '| workload | SDK | cloudfuse | ratio / store use |'
	echo '|---|---|---|---|'
	printf '%s\n' "${rows[@]}"
} | tee "$WORK/table.md"
log "results in $WORK (table.md, logs/)"
