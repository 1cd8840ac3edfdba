# shellcheck shell=bash
# Helpers shared by bench/run.sh: logging, root, timing, bounds, caches.

log() { printf 'bench: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

# as_root runs a command as root, through sudo when needed and possible.
as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo -n "$@"
	else
		return 1
	fi
}

now_ns() { date +%s%N; }

# bounded SECONDS CMD...: run CMD, killed if it outlives SECONDS. CMD stays
# in our process group, so Ctrl-C (or a signal to the group) stops it at
# once; the exit trap then cleans up.
bounded() {
	local secs=$1
	shift
	timeout --foreground -k 10 "$secs" "$@"
}

# drop_caches writes back dirty pages and drops the page, dentry and inode
# caches, so every workload starts cold in the kernel. The servers keep
# their data on tmpfs, which this does not touch.
DROP_WARNED=
drop_caches() {
	sync
	if ! as_root sh -c 'echo 3 >/proc/sys/vm/drop_caches' 2>/dev/null; then
		if [ -z "$DROP_WARNED" ]; then
			log "warning: cannot drop the page cache (needs root); results include warm kernel caches"
			DROP_WARNED=1
		fi
	fi
}

# machine_ticks prints the clock ticks all CPUs spent busy and in all
# since boot, from /proc/stat.
machine_ticks() { awk 'NR == 1 { b = $2 + $3 + $4 + $7 + $8; print b, b + $5 + $6 }' /proc/stat; }

# cpu_ticks PID prints the clock ticks the process has run (user and
# system), or 0 when there is no such process.
cpu_ticks() {
	local t
	[ -n "$1" ] && t=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }') || true
	echo "${t:-0}"
}

# busy_pct BUSY0 BUSY1 prints how busy the whole machine was, in percent
# of every core, between two readings of machine_ticks.
busy_pct() {
	awk -v b0="$1" -v b1="$2" 'BEGIN {
		split(b0, p, " "); split(b1, q, " "); t = q[2] - p[2]
		print (t > 0 ? int(100 * (q[1] - p[1]) / t) : 0) }'
}

# cpu_note D0 D1 M0 M1 BUSY0 BUSY1 says where the CPU went between two
# readings: the daemon's and the server's seconds, and how busy the whole
# machine was. Ticks of the daemon and the server come from cpu_ticks, the
# machine's from machine_ticks.
cpu_note() {
	awk -v d="$(($2 - $1))" -v m="$(($4 - $3))" -v busy="$(busy_pct "$5" "$6")" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "cpu: daemon %.1f s, MinIO %.1f s, machine %d%% busy", d / hz, m / hz, busy }'
}

# wait_idle waits (up to 60 s) until the machine has been nearly idle for
# a second: the servers finish what the last workload left them (MinIO
# scans and frees space in the background after large uploads and
# deletes), so no tool is measured against that work.
wait_idle() {
	local busy before
	for _ in $(seq 60); do
		before=$(machine_ticks)
		sleep 1
		busy=$(busy_pct "$before" "$(machine_ticks)")
		if [ "$busy" -lt 10 ]; then return 0; fi
	done
	log "warning: the machine stayed busy (${busy}% CPU); measuring anyway"
}

# peak_rss_kib PID prints the process's peak resident set (VmHWM) in KiB,
# or 0 when it is gone.
peak_rss_kib() {
	local kib
	kib=$(awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null) || true
	echo "${kib:-0}"
}

# warm_memory touches MB MiB of memory (default and at most three quarters
# of what is available) once through tmpfs, so no timed workload pays for
# the machine's first touch of its pages. On virtual machines that first
# touch can cost three times a later one, and every workload allocates
# fresh pages (the server's tmpfs, the page cache), so warming only what
# one workload needs leaves the others to chance.
warm_memory() {
	local mb=$1 avail dir
	avail=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
	if [ -z "$mb" ] || [ "$mb" -gt $((avail * 3 / 4)) ]; then mb=$((avail * 3 / 4)); fi
	dir=/dev/shm
	[ -d "$dir" ] && [ -w "$dir" ] || dir=${TMPDIR:-/tmp}
	log "warming up $mb MiB of memory"
	bounded 600 dd if=/dev/zero of="$dir/cloudfuse-bench-warm.$$" bs=1M count="$mb" status=none || true
	rm -f "$dir/cloudfuse-bench-warm.$$"
}

# median X...: the median of the numbers, rounded.
median() { python3 -c "import statistics,sys; print('%.0f' % statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }

# rate AMOUNT T0_NS T1_NS: AMOUNT per second between two now_ns readings,
# rounded.
rate() { python3 -c "print('%.0f' % ($1 / (($3 - $2) / 1e9)))"; }
