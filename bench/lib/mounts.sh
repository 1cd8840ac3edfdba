# shellcheck shell=bash
# Mounting and unmounting the tools under test. Each tool has a start
# function that launches its daemon in the foreground as a background job
# of this shell (so its PID is the daemon's) with the mount point in $MNT,
# its cache in $DAEMON_CACHE and its log in $DAEMON_LOG.
#
# cloudfuse variants are config functions: tool "cloudfuse-NAME" mounts
# with the YAML that cf_config_NAME prints. Adding a variant is adding one
# such function (and the tool name to BENCH_TOOLS).

MOUNTS=()    # every mount point this run made
LIVE_PIDS=() # daemons started and not yet reaped
DAEMON_PID=''
MNT='' DAEMON_CACHE='' DAEMON_LOG=''

# start_fn TOOL prints the start function for TOOL, or fails.
start_fn() {
	case $1 in
	cloudfuse-*)
		declare -F "cf_config_${1#cloudfuse-}" >/dev/null || return 1
		echo start_cloudfuse
		;;
	rclone) echo start_rclone ;;
	s3fs) echo start_s3fs ;;
	*) return 1 ;;
	esac
}

cf_yaml_common() {
	cat <<YAML
logging:
  type: base
  level: log_warning
  file-path: $DAEMON_LOG
libfuse:
  attribute-expiration-sec: 120
  entry-expiration-sec: 120
  negative-entry-expiration-sec: 120
attr_cache:
  timeout-sec: 120
s3storage:
  bucket-name: $BUCKET
  key-id: $CLOUDFUSE_TEST_S3_ACCESS_KEY
  secret-key: $CLOUDFUSE_TEST_S3_SECRET_KEY
  endpoint: $CLOUDFUSE_TEST_S3_ENDPOINT
  region: $CLOUDFUSE_TEST_S3_REGION
  use-path-style: true
YAML
	# As on Amazon S3: listings carry no user metadata.
	[ "${BENCH_AWS_LISTING:-0}" = 0 ] || echo "  list-metadata: false"
}

# cf_config_file: whole files staged in a local cache directory.
cf_config_file() {
	cf_yaml_common
	cat <<YAML
components:
  - libfuse
  - file_cache
  - attr_cache
  - s3storage
file_cache:
  path: $DAEMON_CACHE
  timeout-sec: 120
YAML
}

# cf_config_lazy: the file cache with lazy-write (close returns before the
# upload; the workloads still wait until the bucket shows the data).
cf_config_lazy() {
	cf_config_file
	echo "lazy-write: true"
}

# cf_config_awslist: the file cache, with listings that carry no user
# metadata, as on Amazon S3 (BENCH_AWS_LISTING=1 does this to every
# variant); beside cloudfuse-file in one run it shows what that costs.
cf_config_awslist() {
	cf_config_file | sed 's/^s3storage:$/&\n  list-metadata: false/'
}

# cf_config_awsfixed: cloudfuse-awslist with --fixed-attributes, which
# keeps no mode or owner per object, so listings alone answer stat.
cf_config_awsfixed() {
	cf_config_awslist | sed 's/^libfuse:$/&\n  fixed-attributes: true/'
}

# cf_config_block: streaming through bounded memory.
cf_config_block() {
	cf_yaml_common
	cat <<YAML
components:
  - libfuse
  - block_cache
  - attr_cache
  - s3storage
block_cache:
  block-size-mb: 16
  mem-size-mb: ${BENCH_BLOCK_MEM_MB:-1024}
  path: $DAEMON_CACHE
YAML
}

start_cloudfuse() {
	local cfg=$WORK/$1.yaml
	(umask 077 && "cf_config_${1#cloudfuse-}" >"$cfg")
	"$CLOUDFUSE_BIN" mount "$MNT" --config-file="$cfg" --foreground \
		</dev/null >>"$DAEMON_LOG" 2>&1 &
	DAEMON_PID=$!
}

start_rclone() {
	: >"$WORK/rclone.conf"
	# shellcheck disable=SC2086 # BENCH_RCLONE_ARGS is a list of flags
	(
		# rclone's S3 client refuses a custom CA bundle; the endpoint is
		# plain http on loopback, so it needs none.
		unset AWS_CA_BUNDLE
		export RCLONE_CONFIG_BENCHS3_TYPE=s3 RCLONE_CONFIG_BENCHS3_PROVIDER=Minio \
			RCLONE_CONFIG_BENCHS3_ENV_AUTH=false \
			RCLONE_CONFIG_BENCHS3_ACCESS_KEY_ID="$CLOUDFUSE_TEST_S3_ACCESS_KEY" \
			RCLONE_CONFIG_BENCHS3_SECRET_ACCESS_KEY="$CLOUDFUSE_TEST_S3_SECRET_KEY" \
			RCLONE_CONFIG_BENCHS3_ENDPOINT="$CLOUDFUSE_TEST_S3_ENDPOINT" \
			RCLONE_CONFIG_BENCHS3_REGION="$CLOUDFUSE_TEST_S3_REGION" \
			RCLONE_CONFIG_BENCHS3_FORCE_PATH_STYLE=true
		exec rclone mount "benchs3:$BUCKET" "$MNT" --config "$WORK/rclone.conf" \
			--vfs-cache-mode writes --cache-dir "$DAEMON_CACHE" \
			--log-level NOTICE ${BENCH_RCLONE_ARGS:-}
	) </dev/null >>"$DAEMON_LOG" 2>&1 &
	DAEMON_PID=$!
}

start_s3fs() {
	local pw=$WORK/s3fs.passwd
	(umask 077 && printf '%s:%s\n' "$CLOUDFUSE_TEST_S3_ACCESS_KEY" "$CLOUDFUSE_TEST_S3_SECRET_KEY" >"$pw")
	# shellcheck disable=SC2086 # BENCH_S3FS_ARGS is a list of options
	s3fs "$BUCKET" "$MNT" -f -o url="$CLOUDFUSE_TEST_S3_ENDPOINT" -o use_path_request_style \
		-o passwd_file="$pw" -o endpoint="$CLOUDFUSE_TEST_S3_REGION" -o dbglevel=warn \
		${BENCH_S3FS_ARGS:-} </dev/null >>"$DAEMON_LOG" 2>&1 &
	DAEMON_PID=$!
}

# mount_tool TOOL: a fresh mount of TOOL with an empty cache. Sets MNT and
# DAEMON_PID.
mount_tool() {
	local tool=$1 fn i
	fn=$(start_fn "$tool") || {
		log "unknown tool $tool"
		return 1
	}
	MNT=$WORK/mnt/$tool
	DAEMON_CACHE=$WORK/cache/$tool
	DAEMON_LOG=$WORK/logs/$tool.log
	mkdir -p "$MNT" "$WORK/logs"
	rm -rf "$DAEMON_CACHE"
	mkdir -p "$DAEMON_CACHE"
	case " ${MOUNTS[*]} " in *" $MNT "*) ;; *) MOUNTS+=("$MNT") ;; esac
	"$fn" "$tool"
	LIVE_PIDS+=("$DAEMON_PID")
	for ((i = 0; i < 300; i++)); do
		if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
			log "$tool exited before mounting; see $DAEMON_LOG"
			reap "$DAEMON_PID"
			DAEMON_PID=''
			return 1
		fi
		if mountpoint -q "$MNT" && bounded 10 stat "$MNT" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	log "$tool did not mount within 30s; see $DAEMON_LOG"
	unmount_tool
	return 1
}

# reap PID: collect an exited daemon and forget it.
reap() {
	local p kept=()
	wait "$1" 2>/dev/null || true
	for p in "${LIVE_PIDS[@]}"; do
		[ "$p" = "$1" ] || kept+=("$p")
	done
	LIVE_PIDS=("${kept[@]}")
}

# detach DIR: unmount DIR if mounted, lazily when it stays busy.
detach() {
	mountpoint -q "$1" 2>/dev/null || return 0
	fusermount3 -u "$1" 2>/dev/null || fusermount3 -u -z "$1" 2>/dev/null ||
		as_root umount -l "$1" 2>/dev/null || log "warning: could not unmount $1"
}

# stop_daemon PID SECONDS: wait for PID to exit, then TERM, then KILL.
stop_daemon() {
	local pid=$1 secs=$2 i
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "daemon $pid still running ${secs}s after unmount; stopping it"
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	reap "$pid"
}

# unmount_tool: unmount $MNT, wait for its daemon (which may finish
# uploads first) and empty its cache.
unmount_tool() {
	[ -n "$MNT" ] || return 0
	detach "$MNT"
	[ -z "$DAEMON_PID" ] || stop_daemon "$DAEMON_PID" "$UNMOUNT_TIMEOUT"
	DAEMON_PID=''
	rm -rf "$DAEMON_CACHE"
}

# unmount_all: the exit path; every mount made, every daemon started.
unmount_all() {
	local m p
	for m in "${MOUNTS[@]}"; do detach "$m"; done
	for p in "${LIVE_PIDS[@]}"; do stop_daemon "$p" 10; done
}

# build_benchtool builds the harness helper into $WORK/bin and sets BT.
build_benchtool() {
	BT=$WORK/bin/benchtool
	(cd "$ROOT" && "$GO" build -o "$BT" ./bench/benchtool) || die "building bench/benchtool failed"
}

# build_cloudfuse sets CLOUDFUSE_BIN: BENCH_CLOUDFUSE_BIN when given, else
# bin/cloudfuse built from this tree.
build_cloudfuse() {
	if [ -n "${BENCH_CLOUDFUSE_BIN:-}" ]; then
		CLOUDFUSE_BIN=$BENCH_CLOUDFUSE_BIN
	else
		(cd "$ROOT" && "$GO" build -o bin/cloudfuse ./cmd/cloudfuse) || die "building cloudfuse failed"
		CLOUDFUSE_BIN=$ROOT/bin/cloudfuse
	fi
	[ -x "$CLOUDFUSE_BIN" ] || die "no cloudfuse binary at $CLOUDFUSE_BIN"
}

# start_servers sets the exit path (bench_cleanup, when the script defines
# one, then cleanup_run), starts the test servers for this run and loads
# their settings into the environment.
start_servers() {
	ENVFILE=$WORK/servers.env
	trap on_exit EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	"$ROOT/scripts/testservers.sh" start "$ENVFILE" >/dev/null
	# shellcheck disable=SC1090
	. "$ENVFILE"
	export AWS_EC2_METADATA_DISABLED=true
}

on_exit() {
	local status=$?
	trap - EXIT INT TERM
	if declare -F bench_cleanup >/dev/null; then bench_cleanup; fi
	cleanup_run
	exit "$status"
}

# cleanup_run: the exit path the bench scripts share: every mount and
# daemon, the servers, and the files holding secrets or cached data.
cleanup_run() {
	unmount_all
	if [ -s "$ENVFILE" ]; then "$ROOT/scripts/testservers.sh" stop "$ENVFILE" || true; fi
	rm -f "$ENVFILE" "$WORK/s3fs.passwd" "$WORK/rclone.conf" "$WORK"/cloudfuse-*.yaml
	# rmdir, never rm -r: a mount point that failed to unmount stays.
	rmdir "$WORK"/mnt/* "$WORK/mnt" 2>/dev/null || true
	rm -rf "${WORK:?}/cache"
}
