#!/usr/bin/env bash
# Benchmark: cloudfuse against rclone mount, s3fs and the raw S3 SDK, all on
# one MinIO server on 127.0.0.1 with its data on tmpfs. Prints one table:
# tool, workload, MiB/s or ops/s, peak RSS of the daemon, and the ratio of
# each mount to the SDK doing the same work. docs/performance.md explains
# the workloads.
#
#   bench/run.sh            (or: make bench)
#
# Settings (environment):
#   BENCH_SIZE_MB=4096      size of the big file read and written (MiB)
#   BENCH_TOOLS="cloudfuse-file cloudfuse-block rclone s3fs"
#                           tools to mount; cloudfuse-NAME uses the config
#                           that cf_config_NAME in bench/lib/mounts.sh prints
#                           (file, block)
#   BENCH_WORKLOADS=all     or a subset of: seq-read-1 seq-read-4 rand-read-4k
#                           rand-read-256k seq-write create-small read-small
#                           ls-f ls-l stat delete-small find-tree
#                           cp-tree-out cp-tree-in (read-small
#                           and delete-small use the files create-small
#                           made); the SDK baseline runs only what the
#                           chosen workloads are compared with
#   BENCH_DIR_FILES=10000   objects in the listed/statted directory (1000000
#                           for the million-entry listing)
#   BENCH_TREE_FILES=20000 BENCH_TREE_DIRS=200
#                           objects of the tree find walks and cp -r copies,
#                           and its directories (seeded only for find-tree,
#                           cp-tree-out and cp-tree-in)
#   BENCH_FILES=2000 BENCH_FILE_KB=16 BENCH_FILE_JOBS=1
#                           small files created, read back and deleted, and
#                           how many at once
#   BENCH_STAT_JOBS=8       concurrent stats in the stat storm
#   BENCH_RAND_SECS=20 BENCH_RAND_JOBS=4
#                           duration and readers of each random-read run
#   BENCH_SDK=1             0 skips the raw-SDK baseline
#   BENCH_ROUNDS=1          run the SDK and every tool this many times, the
#                           tools in a rotated order each round; the table
#                           shows each workload's median and range
#   BENCH_NET_MBIT          limit the loopback interface to this rate (Mbit/s)
#                           while measuring, to see each tool against a
#                           network rather than against the CPU; needs root
#                           and tc, and slows everything on loopback until
#                           the run ends
#   BENCH_NET_DELAY_MS      put the store this many milliseconds away, each
#                           way (a round trip of twice it), for every tool
#                           and the SDK: a delay proxy (benchtool
#                           delay-proxy) stands between them and MinIO; with
#                           BENCH_NET_MBIT too, the link is both slow and far
#   BENCH_AWS_LISTING=1     cloudfuse lists as on Amazon S3, without MinIO's
#                           listing metadata (s3storage.list-metadata: false)
#   BENCH_WARM_MB           memory touched once before measuring (default:
#                           three quarters of what is available)
#   BENCH_STEP_TIMEOUT=1800 bound on any one timed step (seconds)
#   BENCH_UNMOUNT_TIMEOUT=300
#                           how long a daemon may take to exit after unmount
#   BENCH_WORKDIR           where mounts, caches, logs and results go
#                           (default: a new directory under $TMPDIR or /tmp)
#   BENCH_CLOUDFUSE_BIN     use this binary instead of building bin/cloudfuse
#   BENCH_RCLONE_ARGS, BENCH_S3FS_ARGS
#                           extra flags for rclone mount / s3fs
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib/common.sh
. "$ROOT/bench/lib/common.sh"
# shellcheck source=bench/lib/install.sh
. "$ROOT/bench/lib/install.sh"
# shellcheck source=bench/lib/mounts.sh
. "$ROOT/bench/lib/mounts.sh"
# shellcheck source=bench/lib/workloads.sh
. "$ROOT/bench/lib/workloads.sh"

SIZE_MB=${BENCH_SIZE_MB:-4096}
TOOLS=${BENCH_TOOLS:-cloudfuse-file cloudfuse-block rclone s3fs}
WORKLOADS=${BENCH_WORKLOADS:-all}
DIR_FILES=${BENCH_DIR_FILES:-10000}
TREE_FILES=${BENCH_TREE_FILES:-20000}
TREE_DIRS=${BENCH_TREE_DIRS:-200}
FILES=${BENCH_FILES:-2000}
FILE_KB=${BENCH_FILE_KB:-16}
FILE_JOBS=${BENCH_FILE_JOBS:-1}
STAT_JOBS=${BENCH_STAT_JOBS:-8}
RAND_SECS=${BENCH_RAND_SECS:-20}
RAND_JOBS=${BENCH_RAND_JOBS:-4}
STEP_TIMEOUT=${BENCH_STEP_TIMEOUT:-1800}
UNMOUNT_TIMEOUT=${BENCH_UNMOUNT_TIMEOUT:-300}
ROUNDS=${BENCH_ROUNDS:-1}
GO=${GO:-go}

BUCKET=bench
BIG_KEY=big.bin
DIR_NAME=dir
TREE_NAME=tree

NET_MBIT=${BENCH_NET_MBIT:-}
if [ -n "$NET_MBIT" ]; then
	case $NET_MBIT in
	*[!0-9]* | 0*) die "BENCH_NET_MBIT must be a positive whole number, not '$NET_MBIT'" ;;
	esac
fi

NET_DELAY_MS=${BENCH_NET_DELAY_MS:-}
case $NET_DELAY_MS in
'' | 0) NET_DELAY_MS= ;;
*[!0-9]*) die "BENCH_NET_DELAY_MS must be a whole number of milliseconds, not '$NET_DELAY_MS'" ;;
esac

for v in SIZE_MB DIR_FILES TREE_FILES TREE_DIRS FILES FILE_KB FILE_JOBS STAT_JOBS RAND_SECS RAND_JOBS STEP_TIMEOUT UNMOUNT_TIMEOUT ROUNDS; do
	case ${!v} in
	'' | *[!0-9]* | 0) die "BENCH_$v must be a positive whole number, not '${!v}'" ;;
	esac
done
[ "$SIZE_MB" -ge 4 ] || die "BENCH_SIZE_MB must be at least 4"
[ "$WORKLOADS" != all ] || WORKLOADS=$WORKLOADS_ALL
for wl in $WORKLOADS; do
	declare -F "wl_${wl//-/_}" >/dev/null || die "unknown workload $wl (known: $WORKLOADS_ALL)"
done
for tool in $TOOLS; do
	start_fn "$tool" >/dev/null || die "unknown tool $tool (known: rclone s3fs cloudfuse-VARIANT with cf_config_VARIANT in bench/lib/mounts.sh)"
done

# Tools and helpers.
need=(fio=fio fusermount3=fuse3 mountpoint=util-linux timeout=coreutils python3=python3 curl=curl)
case " $TOOLS " in *" rclone "*) need+=(rclone=rclone) ;; esac
case " $TOOLS " in *" s3fs "*) need+=(s3fs=s3fs) ;; esac
[ -z "$NET_MBIT" ] || need+=(tc=iproute2)
ensure_packages "${need[@]}"
command -v "$GO" >/dev/null 2>&1 || die "go is needed to build the harness"

WORK=${BENCH_WORKDIR:-$(mktemp -d "${TMPDIR:-/tmp}/cloudfuse-bench.XXXXXXXX")}
mkdir -p "$WORK/bin" "$WORK/logs"
RESULTS=$WORK/results.tsv
: >"$RESULTS"
build_benchtool
case " $TOOLS " in *" cloudfuse-"*) build_cloudfuse ;; esac

# Servers, and the exit path that always unmounts and stops them (and
# takes away the rate limit and the delay proxy this run may add).
SHAPED=
bench_cleanup() {
	[ -z "$SHAPED" ] || tc qdisc del dev lo root || log "warning: could not remove the loopback rate limit (tc qdisc del dev lo root)"
	[ -z "${PROXY_PID:-}" ] || kill "$PROXY_PID" 2>/dev/null || true
}
start_servers

fixture_flags=(-bucket "$BUCKET" -big-key "$BIG_KEY" -size-mb "$SIZE_MB" -dir "$DIR_NAME/" -dir-files "$DIR_FILES")
# The tree costs a while to seed: only when a workload uses it.
TREE_FILE_BYTES=1024 # the fixtures' default object size
case " $WORKLOADS " in
*" find-tree "* | *" cp-tree-out "* | *" cp-tree-in "*)
	fixture_flags+=(-tree "$TREE_NAME/" -tree-dirs "$TREE_DIRS" -tree-files "$TREE_FILES")
	;;
*) TREE_FILES=0 ;;
esac
# cp-tree-in copies a local tree shaped as the seeded one.
LOCAL_TREE=$WORK/local-tree
case " $WORKLOADS " in
*" cp-tree-in "*)
	rm -rf "$LOCAL_TREE"
	python3 - "$LOCAL_TREE" "$TREE_DIRS" "$TREE_FILES" "$TREE_FILE_BYTES" <<'PY' || die "could not make the local tree for cp-tree-in"
import os, sys
root, dirs, files, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
for i in range(files):
    d = os.path.join(root, "d%03d" % (i % dirs))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%05d" % i), "wb") as f:
        f.write(bytes([i % 251]) * size)
PY
	;;
esac
log "seeding fixtures: $BIG_KEY ($SIZE_MB MiB), $DIR_NAME/ ($DIR_FILES objects), $TREE_NAME/ ($TREE_FILES objects)"
bounded "$STEP_TIMEOUT" "$BT" seed "${fixture_flags[@]}" >&2

# The first touch of memory is slow on these machines: pay it once, here.
warm_memory "${BENCH_WARM_MB:-}"
bounded "$STEP_TIMEOUT" "$BT" sdk "${fixture_flags[@]}" -only get-ranged,get-stream -prefix warmup/ >/dev/null ||
	log "warning: the warm-up read failed"

# A token bucket on loopback stands in for a network link: every tool and
# the SDK then move their bytes through the same limited pipe.
if [ -n "$NET_MBIT" ]; then
	[ "$(id -u)" = 0 ] || die "BENCH_NET_MBIT needs root (tc on the loopback interface)"
	if tc qdisc show dev lo | grep -qv '^qdisc noqueue'; then
		die "loopback already has a queueing discipline; not replacing it: $(tc qdisc show dev lo)"
	fi
	tc qdisc add dev lo root tbf rate "${NET_MBIT}mbit" burst 4mb latency 100ms || die "tc could not limit loopback"
	SHAPED=1
	log "loopback limited to $NET_MBIT Mbit/s"
fi

# A delay proxy puts the store farther away: every tool and the SDK talk
# to it instead of MinIO (this kernel has no netem to delay loopback).
if [ -n "$NET_DELAY_MS" ]; then
	mkdir -p "$WORK/logs"
	"$BT" delay-proxy -target "${CLOUDFUSE_TEST_S3_ENDPOINT#http://}" -delay-ms "$NET_DELAY_MS" >"$WORK/proxy.addr" 2>"$WORK/logs/proxy.log" &
	PROXY_PID=$!
	for ((i = 0; i < 100; i++)); do
		[ -s "$WORK/proxy.addr" ] && break
		sleep 0.05
	done
	[ -s "$WORK/proxy.addr" ] || die "the delay proxy did not start; see $WORK/logs/proxy.log"
	export CLOUDFUSE_TEST_S3_ENDPOINT="http://$(head -1 "$WORK/proxy.addr")"
	log "store $NET_DELAY_MS ms away each way, through $CLOUDFUSE_TEST_S3_ENDPOINT"
fi

# Each round runs the SDK, then every tool; round r starts with the r-th
# tool, so no tool is always first (or last) after the SDK.
read -r -a tool_list <<<"$TOOLS"
for ((round = 0; round < ROUNDS; round++)); do
	[ "$ROUNDS" = 1 ] || log "round $((round + 1)) of $ROUNDS"
	if [ "${BENCH_SDK:-1}" != 0 ]; then
		log "raw-SDK baseline"
		drop_caches
		wait_idle
		bounded "$STEP_TIMEOUT" "$BT" sdk "${fixture_flags[@]}" -rand-time "${RAND_SECS}s" -rand-jobs "$RAND_JOBS" \
			-files "$FILES" -file-kb "$FILE_KB" -file-jobs "$FILE_JOBS" -stat-jobs "$STAT_JOBS" -for "$WORKLOADS" >>"$RESULTS" ||
			log "the SDK baseline failed; ratios will be missing"
	fi
	for ((i = 0; i < ${#tool_list[@]}; i++)); do
		tool=${tool_list[(i + round) % ${#tool_list[@]}]}
		log "$tool"
		"$BT" rm-prefix -bucket "$BUCKET" -prefix "w-$tool/" >&2 || true
		for wl in $WORKLOADS; do
			run_workload "$tool" "$wl"
		done
		"$BT" rm-prefix -bucket "$BUCKET" -prefix "w-$tool/" >/dev/null || true
	done
done

rm -rf "$LOCAL_TREE"

{
	printf '# %s MiB big file, %d-object directory, %d x %d KiB small files (%d at a time), %d stat jobs, %ds x %d random readers\n' \
		"$SIZE_MB" "$DIR_FILES" "$FILES" "$FILE_KB" "$FILE_JOBS" "$STAT_JOBS" "$RAND_SECS" "$RAND_JOBS"
	[ "$TREE_FILES" = 0 ] || printf '# a tree of %d objects in %d directories (find, cp -r)\n' "$TREE_FILES" "$TREE_DIRS"
	[ "$ROUNDS" = 1 ] || printf '# %d rounds, each workload its median\n' "$ROUNDS"
	[ -z "$NET_MBIT" ] || printf '# loopback limited to %s Mbit/s\n' "$NET_MBIT"
	[ -z "$NET_DELAY_MS" ] || printf '# store %s ms away each way (round trip %s ms)\n' "$NET_DELAY_MS" $((2 * NET_DELAY_MS))
	[ "${BENCH_AWS_LISTING:-0}" = 0 ] || printf '# cloudfuse lists without MinIO metadata, as on Amazon S3\n'
	"$BT" report "$RESULTS"
} | tee "$WORK/table.txt"
"$BT" report -format markdown "$RESULTS" >"$WORK/table.md"
log "results in $WORK (results.tsv, table.txt, table.md, logs/)"
