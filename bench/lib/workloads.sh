# shellcheck shell=bash
# The workloads, one function each: wl_NAME for workload NAME (dashes become
# underscores). Each runs on a fresh mount at $MNT of tool $TOOL, does any
# untimed preparation, brackets the timed part with clock_start and
# clock_stop, sets AMOUNT (bytes for MiB/s, operations for ops/s) and
# returns 1 with WL_ERROR set when it fails. after_NAME, when defined, runs
# once the mount is gone.
#
# Writes are durable: the clock stops only once the bucket shows the data
# (checked through the SDK), not when the file system says it is done.

# shellcheck disable=SC2034 # run.sh reads it
WORKLOADS_ALL="seq-read-1 seq-read-4 rand-read-4k rand-read-256k seq-write create-small read-small ls-f ls-l stat delete-small find-tree cp-tree-out cp-tree-in"

# wl_unit NAME prints the unit the workload reports in.
wl_unit() {
	case $1 in
	rand-read-4k | create-small | read-small | ls-f | ls-l | stat | delete-small | find-tree | cp-tree-out | cp-tree-in) echo ops/s ;;
	*) echo MiB/s ;;
	esac
}

fail() {
	WL_ERROR=$*
	return 1
}
clock_start() { T0=$(now_ns); }
clock_stop() { T1=$(now_ns); }

# run_fio NAME ARGS...: one fio run; its JSON report lands in $FIO_JSON.
run_fio() {
	local name=$1
	shift
	FIO_JSON=$WORK/logs/$TOOL-$name.json
	bounded "$STEP_TIMEOUT" fio --name="$name" --output-format=json --output="$FIO_JSON" \
		--ioengine=psync --invalidate=1 "$@" >>"$WORK/logs/$TOOL-fio.log" 2>&1 ||
		fail "fio $name failed (see $WORK/logs/$TOOL-fio.log)"
}

# fio_amount read|write ios|bytes: AMOUNT from the last fio report.
fio_amount() {
	local out
	out=$("$BT" fio-sum -rw "$1" "$FIO_JSON" 2>&1) || fail "$out"
	if [ "$2" = ios ]; then AMOUNT=${out%%$'\t'*}; else AMOUNT=${out#*$'\t'}; fi
}

# bt_step ARGS...: a bounded benchtool call whose errors become WL_ERROR.
bt_step() {
	local out
	out=$(bounded "$STEP_TIMEOUT" "$BT" "$@" 2>&1 >/dev/null) || fail "${out:-benchtool $1 failed or timed out}"
}

# Sequential read of the big file: one reader.
wl_seq_read_1() {
	clock_start
	run_fio seq-read-1 --filename="$MNT/$BIG_KEY" --rw=read --bs=1M --size="${SIZE_MB}M" || return 1
	clock_stop
	fio_amount read bytes || return 1
	[ "$AMOUNT" -eq $((SIZE_MB << 20)) ] || fail "read $AMOUNT bytes, want $((SIZE_MB << 20))"
}

# Sequential read of the big file: four readers, each a quarter.
wl_seq_read_4() {
	local q=$((SIZE_MB / 4))
	clock_start
	run_fio seq-read-4 --filename="$MNT/$BIG_KEY" --rw=read --bs=1M --numjobs=4 \
		--size="${q}M" --offset_increment="${q}M" || return 1
	clock_stop
	fio_amount read bytes || return 1
	[ "$AMOUNT" -eq $((4 * q << 20)) ] || fail "read $AMOUNT bytes, want $((4 * q << 20))"
}

# rand_read BS NAME: random aligned reads of the big file for RAND_SECS.
rand_read() {
	clock_start
	run_fio "$2" --filename="$MNT/$BIG_KEY" --rw=randread --bs="$1" --numjobs="$RAND_JOBS" \
		--size="${SIZE_MB}M" --time_based --runtime="$RAND_SECS" --norandommap --randrepeat=0 --direct=1 || return 1
	clock_stop
}

wl_rand_read_4k() {
	rand_read 4k rand-read-4k || return 1
	fio_amount read ios
}

wl_rand_read_256k() {
	rand_read 256k rand-read-256k || return 1
	fio_amount read bytes
}

# Sequential write of a new file of the big size; done when the object
# has its full size in the bucket.
wl_seq_write() {
	local key=$WPREFIX/big/big.bin want=$((SIZE_MB << 20))
	mkdir -p "$MNT/$WPREFIX/big" || fail "mkdir $WPREFIX/big failed"
	clock_start
	run_fio seq-write --filename="$MNT/$key" --rw=write --bs=1M --size="${SIZE_MB}M" \
		--fallocate=none --create_on_open=1 || return 1
	bt_step wait-object -bucket "$BUCKET" -key "$key" -size "$want" -timeout "${STEP_TIMEOUT}s" || return 1
	clock_stop
	fio_amount write bytes || return 1
	[ "$AMOUNT" -eq "$want" ] || fail "wrote $AMOUNT bytes, want $want"
}

# The written big file only costs server memory from here on.
after_seq_write() {
	bt_step rm-prefix -bucket "$BUCKET" -prefix "$WPREFIX/big/"
}

# Create FILES files of FILE_KB each; done when the bucket lists them all
# at their full size.
wl_create_small() {
	mkdir -p "$MNT/$WPREFIX/small" || fail "mkdir $WPREFIX/small failed"
	clock_start
	bt_step fs -op create -dir "$MNT/$WPREFIX/small" -n "$FILES" -size $((FILE_KB << 10)) -jobs "$FILE_JOBS" || return 1
	bt_step wait-count -bucket "$BUCKET" -prefix "$WPREFIX/small/" -count "$FILES" \
		-size $((FILE_KB << 10)) -timeout "${STEP_TIMEOUT}s" || return 1
	clock_stop
	AMOUNT=$FILES
}

# Read back the files create-small made, on a fresh mount.
wl_read_small() {
	clock_start
	bt_step fs -op read -dir "$MNT/$WPREFIX/small" -n "$FILES" -size $((FILE_KB << 10)) -jobs "$FILE_JOBS" || return 1
	clock_stop
	AMOUNT=$FILES
}

# ls_dir FLAG EXTRA: `ls FLAG` of the many-object directory, which prints
# EXTRA lines besides one per entry; the rate is entries per second.
ls_dir() {
	local n
	clock_start
	n=$(bounded "$STEP_TIMEOUT" ls "$1" "$MNT/$DIR_NAME" | wc -l) || fail "ls $1 failed or timed out"
	clock_stop
	[ "$n" -eq $((DIR_FILES + $2)) ] || fail "ls $1 listed $((n - $2)) entries, want $DIR_FILES"
	AMOUNT=$DIR_FILES
}

# `ls -f`: names and types only, unsorted ("." and ".." too).
wl_ls_f() { ls_dir -f 2; }

# `ls -l` ("total" first).
wl_ls_l() { ls_dir -l 1; }

# Stat every file of the many-object directory by name, STAT_JOBS at a
# time, without listing it first.
wl_stat() {
	clock_start
	bt_step fs -op stat -dir "$MNT/$DIR_NAME" -n "$DIR_FILES" -jobs "$STAT_JOBS" || return 1
	clock_stop
	AMOUNT=$DIR_FILES
}

# Delete the files create-small made; done when the bucket lists none.
wl_delete_small() {
	clock_start
	bt_step fs -op delete -dir "$MNT/$WPREFIX/small" -n "$FILES" -jobs "$FILE_JOBS" || return 1
	bt_step wait-count -bucket "$BUCKET" -prefix "$WPREFIX/small/" -count 0 -timeout "${STEP_TIMEOUT}s" || return 1
	clock_stop
	AMOUNT=$FILES
}

# find over the tree, cold (TREE_FILES objects in TREE_DIRS directories):
# every directory listed, each file's type from the listing; the rate is
# files per second.
wl_find_tree() {
	local n
	clock_start
	n=$(bounded "$STEP_TIMEOUT" find "$MNT/$TREE_NAME" -type f | wc -l) || fail "find failed or timed out"
	clock_stop
	[ "$n" -eq "$TREE_FILES" ] || fail "find found $n files, want $TREE_FILES"
	AMOUNT=$TREE_FILES
}

# `cp -r` of the tree out of the mount into a local directory, cold; the
# rate is files per second.
wl_cp_tree_out() {
	local out=$WORK/cp-out n
	rm -rf "$out"
	clock_start
	bounded "$STEP_TIMEOUT" cp -r "$MNT/$TREE_NAME" "$out" || fail "cp -r out of the mount failed or timed out"
	clock_stop
	n=$(find "$out" -type f | wc -l)
	rm -rf "$out"
	[ "$n" -eq "$TREE_FILES" ] || fail "cp -r copied $n files, want $TREE_FILES"
	AMOUNT=$TREE_FILES
}

# `cp -r` of a local copy of the tree (LOCAL_TREE, made once by run.sh)
# into the mount; done when the bucket lists every file at its size.
wl_cp_tree_in() {
	mkdir -p "$MNT/$WPREFIX" || fail "mkdir $WPREFIX failed"
	clock_start
	bounded "$STEP_TIMEOUT" cp -r "$LOCAL_TREE" "$MNT/$WPREFIX/tree" || fail "cp -r into the mount failed or timed out"
	bt_step wait-count -bucket "$BUCKET" -prefix "$WPREFIX/tree/" -count "$TREE_FILES" \
		-size "$TREE_FILE_BYTES" -timeout "${STEP_TIMEOUT}s" || return 1
	clock_stop
	AMOUNT=$TREE_FILES
}

# record TOOL WORKLOAD AMOUNT NANOS RSS_KIB STATUS [REQUESTS]: one line of
# results.
record() {
	local status
	status=$(printf '%s' "$6" | tr '\t\n' '  ')
	if [ -n "${7:-}" ]; then
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$(wl_unit "$2")" "$3" "$4" "$5" "${status:-failed}" "$7" >>"$RESULTS"
	else
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$(wl_unit "$2")" "$3" "$4" "$5" "${status:-failed}" >>"$RESULTS"
	fi
}

# run_workload TOOL WORKLOAD: fresh caches, fresh mount, one measurement.
run_workload() {
	local tool=$1 wl=$2 fn=wl_${2//-/_} rss=0 status=ok
	TOOL=$tool WPREFIX=w-$tool WL_ERROR='' AMOUNT=0 T0=0 T1=0
	drop_caches
	wait_idle
	if ! mount_tool "$tool"; then
		record "$tool" "$wl" 0 0 0 "mount failed (see $DAEMON_LOG)"
		return 0
	fi
	# The store's own counters, from after mounting to after unmounting
	# (so uploads finished at unmount count): every tool the same way.
	local req0 reqs='' idle
	req0=$("$BT" requests 2>/dev/null) || req0=''
	idle=$(peak_rss_kib "$DAEMON_PID")
	# CPU: the daemon's up to the end of the workload (it is gone after
	# unmounting), the server's and the machine's up to after unmounting.
	local server=${CLOUDFUSE_TEST_MINIO_PID:-} d0 d1 m0 b0 cpu
	d0=$(cpu_ticks "$DAEMON_PID") m0=$(cpu_ticks "$server") b0=$(machine_ticks)
	if "$fn"; then
		rss=$(peak_rss_kib "$DAEMON_PID")
	else
		status=${WL_ERROR:-failed}
		AMOUNT=0 T0=0 T1=0
	fi
	d1=$(cpu_ticks "$DAEMON_PID")
	unmount_tool
	cpu=$(cpu_note "$d0" "$d1" "$m0" "$(cpu_ticks "$server")" "$b0" "$(machine_ticks)")
	[ -z "$req0" ] || reqs=$("$BT" requests -since "$req0" 2>/dev/null) || reqs=''
	if declare -F "after_${fn#wl_}" >/dev/null; then "after_${fn#wl_}" || log "cleanup after $wl: $WL_ERROR"; fi
	record "$tool" "$wl" "$AMOUNT" $((T1 - T0)) "$rss" "$status" "$reqs"
	if [ "$status" = ok ]; then
		log "$tool $wl: $(awk -v a="$AMOUNT" -v ns=$((T1 - T0)) -v u="$(wl_unit "$wl")" \
			'BEGIN { v = a / (ns / 1e9); if (u == "MiB/s") v /= 1048576; printf "%.1f %s in %.2fs", v, u, ns / 1e9 }'), peak RSS $((rss / 1024)) MiB ($((idle / 1024)) MiB once mounted)${reqs:+, store: $reqs}; $cpu"
	else
		log "$tool $wl failed: $status"
	fi
}
