#!/usr/bin/env bash
# FUSE passthrough of cached files (file_cache.passthrough) on one MinIO on
# 127.0.0.1: a big file is read once through a read-only file-cache mount,
# which leaves its whole copy in the cache directory; then it is read
# again, sequentially and at random, through the mount with passthrough,
# through the mount without it, and straight from the copy in the cache
# directory (the bound passthrough aims at).
#
#   bench/passthrough.sh        (or: make bench-passthrough)
#
# Each sequential read runs twice: after dropping the kernel's caches (the
# copy comes from the local disk) and again at once (from the page cache).
# The random reads are fio, 4 KiB, one job, BENCH_RAND_SECS seconds, with
# the page cache in use.
#
# Settings (environment): BENCH_BIG_MB=1024, BENCH_RAND_SECS=10,
# BENCH_ROUNDS=3 (medians), BENCH_WORKDIR.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib/common.sh
. "$ROOT/bench/lib/common.sh"
# shellcheck source=bench/lib/install.sh
. "$ROOT/bench/lib/install.sh"
# shellcheck source=bench/lib/mounts.sh
. "$ROOT/bench/lib/mounts.sh"

BIG_MB=${BENCH_BIG_MB:-1024}
RAND_SECS=${BENCH_RAND_SECS:-10}
ROUNDS=${BENCH_ROUNDS:-3}
UNMOUNT_TIMEOUT=300
STEP_TIMEOUT=1800
GO=${GO:-go}
BUCKET=passthrough
for v in BIG_MB RAND_SECS ROUNDS; do
	case ${!v} in '' | *[!0-9]* | 0) die "BENCH_$v must be a positive whole number, not '${!v}'" ;; esac
done
ensure_packages fusermount3=fuse3 mountpoint=util-linux timeout=coreutils python3=python3 fio=fio

WORK=${BENCH_WORKDIR:-$(mktemp -d "${TMPDIR:-/tmp}/cloudfuse-bench-passthrough.XXXXXXXX")}
mkdir -p "$WORK/bin" "$WORK/logs"
CLOUDFUSE_BIN=$WORK/bin/cloudfuse
(cd "$ROOT" && "$GO" build -o "$CLOUDFUSE_BIN" ./cmd/cloudfuse) || die "building cloudfuse failed"
build_benchtool

# The two read-only variants of the file-cache mount.
cf_config_pass() {
	cf_config_file
	echo "read-only: true"
}
cf_config_nopass() {
	cf_config_pass | sed 's/^file_cache:$/&\n  passthrough: false/'
}

start_servers
"$BT" seed-set -bucket "$BUCKET" -prefix big/ -n 1 -size-kb $((BIG_MB << 10)) >/dev/null
warm_memory "${BENCH_WARM_MB:-}"


# seq FILE: MiB/s of reading FILE after dropping the caches, then again.
seq() {
	local t0 t1 cold warm
	drop_caches
	t0=$(now_ns)
	bounded "$STEP_TIMEOUT" dd if="$1" of=/dev/null bs=1M status=none
	t1=$(now_ns)
	cold=$(rate "$BIG_MB" "$t0" "$t1")
	t0=$(now_ns)
	bounded "$STEP_TIMEOUT" dd if="$1" of=/dev/null bs=1M status=none
	t1=$(now_ns)
	warm=$(rate "$BIG_MB" "$t0" "$t1")
	echo "$cold $warm"
}

# rnd FILE: random 4 KiB reads/s of FILE.
rnd() {
	bounded "$STEP_TIMEOUT" fio --name=rand --filename="$1" --rw=randread --bs=4k --ioengine=psync \
		--time_based --runtime="$RAND_SECS" --invalidate=0 --output-format=json --output="$WORK/fio.json" >/dev/null
	python3 -c "import json,sys; print('%.0f' % json.load(open(sys.argv[1]))['jobs'][0]['read']['iops'])" "$WORK/fio.json"
}

# round VARIANT: mounts, reads the file once whole to cache it, and prints
# cold and warm MiB/s and 4 KiB reads/s through the mount, then the same
# straight from the cached copy, and the handles passed through meanwhile.
round() {
	local copy c w r pt
	mount_tool "cloudfuse-$1" || die "$1: mount failed"
	bounded "$STEP_TIMEOUT" cat "$MNT/big/f00000" >/dev/null
	copy=$(find "$DAEMON_CACHE" -type f -size +$((BIG_MB / 2))M | head -n 1)
	[ -n "$copy" ] || die "$1: no cached copy of the file in $DAEMON_CACHE"
	read -r c w < <(seq "$MNT/big/f00000")
	r=$(rnd "$MNT/big/f00000")
	pt=$(python3 - "$MNT/big/f00000" "$CLOUDFUSE_BIN" "$MNT" <<'PY'
import json, subprocess, sys
with open(sys.argv[1], 'rb'):
    out = subprocess.run([sys.argv[2], 'health', sys.argv[3], '--format=json'], capture_output=True, text=True, check=True).stdout
print(json.loads(out).get('passthrough_handles', 0))
PY
)
	read -r dc dw < <(seq "$copy")
	dr=$(rnd "$copy")
	unmount_tool
	echo "$c $w $r $dc $dw $dr $pt"
}

declare -A C W R PT
for ((n = 0; n < ROUNDS; n++)); do
	for v in pass nopass; do
		log "round $((n + 1)): $v"
		read -r c w r dc dw dr pt < <(round "$v")
		C[$v]+="$c " W[$v]+="$w " R[$v]+="$r " PT[$v]=$pt
		C[direct]+="$dc " W[direct]+="$dw " R[direct]+="$dr "
	done
done

echo
echo "Re-reading a cached $BIG_MB MiB file on a read-only file-cache mount (MinIO on 127.0.0.1), medians of $ROUNDS rounds"
echo
echo "| read through | seq, from disk | seq, page cache | random 4 KiB |"
echo "|---|---|---|---|"
for v in pass nopass direct; do
	case $v in
	pass) name="the mount, passthrough (${PT[pass]} handle passed through)" ;;
	nopass) name="the mount, passthrough: false" ;;
	direct) name="the cached copy, directly" ;;
	esac
	# shellcheck disable=SC2086
	printf '| %s | %s MiB/s (%s) | %s MiB/s (%s) | %s reads/s (%s) |\n' "$name" \
		"$(median ${C[$v]})" "${C[$v]% }" "$(median ${W[$v]})" "${W[$v]% }" "$(median ${R[$v]})" "${R[$v]% }"
done
