#!/usr/bin/env bash
# Test servers for cloudfuse: MinIO (S3) and Azurite (Azure Blob), on
# 127.0.0.1 only, each run with its own ports and its own state directory.
#
#   testservers.sh ensure            install fuse3, rsync, MinIO and Azurite if missing
#   testservers.sh start [ENVFILE]   start both servers, write ENVFILE, print its path
#   testservers.sh stop  [ENVFILE]   stop the servers ENVFILE names, remove their data
#   testservers.sh run CMD [ARG...]  start, run CMD with the env exported, always stop
#
# The env file exports:
#   CLOUDFUSE_TEST_S3_ENDPOINT, CLOUDFUSE_TEST_S3_ACCESS_KEY,
#   CLOUDFUSE_TEST_S3_SECRET_KEY, CLOUDFUSE_TEST_S3_REGION,
#   CLOUDFUSE_TEST_AZURE_ENDPOINT, CLOUDFUSE_TEST_AZURE_ACCOUNT,
#   CLOUDFUSE_TEST_AZURE_KEY, CLOUDFUSE_TEST_AZURE_CONNECTION_STRING,
#   CLOUDFUSE_TEST_MINIO_PID, CLOUDFUSE_TEST_AZURITE_PID,
#   CLOUDFUSE_TEST_STATE_DIR, CLOUDFUSE_TEST_MINIO_BIN
#
# Binaries are cached in CLOUDFUSE_TEST_CACHE (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/cloudfuse-test), so only the first run
# builds MinIO and installs Azurite.
set -euo pipefail

MINIO_MODULE=github.com/minio/minio
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
AZURITE_VERSION=3.37.0

# The Azurite development account and its published, well-known key.
AZURE_ACCOUNT=devstoreaccount1
AZURE_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

CACHE=${CLOUDFUSE_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cloudfuse-test}
MINIO_BIN=$CACHE/bin/minio
AZURITE_DIR=$CACHE/azurite
AZURITE_BIN=$AZURITE_DIR/node_modules/.bin/azurite-blob

log() { printf 'testservers: %s\n' "$*" >&2; }
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

# ensure_packages installs the Debian packages the tests use when missing:
# fuse3 (fusermount3), rsync, curl, git, fio, attr (setfattr, getfattr),
# s3fs (the special-file interoperability test) and chromium (the GUI test).
ensure_packages() {
	local missing=() cmd pkg
	for pair in fusermount3:fuse3 rsync:rsync curl:curl git:git setpriv:util-linux fio:fio setfattr:attr s3fs:s3fs chromium:chromium; do
		cmd=${pair%%:*} pkg=${pair#*:}
		command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
	done
	# libfuse3-dev: the cgofuse frontend's test build links libfuse3.
	dpkg -s libfuse3-dev >/dev/null 2>&1 || missing+=(libfuse3-dev)
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	if ! as_root apt-get install -y -q "${missing[@]}" >&2; then
		as_root apt-get update -q >&2 || true
		as_root apt-get install -y -q "${missing[@]}" >&2 ||
			log "warning: could not install ${missing[*]}; some tests will fail"
	fi
}

# minio_ok says whether the cached MinIO binary is the pinned version.
minio_ok() {
	[ -x "$MINIO_BIN" ] || return 1
	go version -m "$MINIO_BIN" 2>/dev/null |
		awk -v m="$MINIO_MODULE" -v v="$MINIO_VERSION" \
			'$1 == "mod" && $2 == m && $3 == v { found = 1 } END { exit !found }'
}

ensure_minio() {
	minio_ok && return 0
	command -v go >/dev/null 2>&1 || die "go is needed to build MinIO"
	log "building MinIO $MINIO_VERSION (once; takes a few minutes)"
	mkdir -p "$CACHE/bin"
	GOBIN="$CACHE/bin" CGO_ENABLED=0 \
		go install "$MINIO_MODULE@$MINIO_VERSION" >&2
	minio_ok || die "MinIO build did not produce $MINIO_BIN"
}

azurite_ok() {
	[ -x "$AZURITE_BIN" ] || return 1
	local v
	v=$(node -p "require('$AZURITE_DIR/node_modules/azurite/package.json').version" 2>/dev/null) || return 1
	[ "$v" = "$AZURITE_VERSION" ]
}

ensure_azurite() {
	azurite_ok && return 0
	command -v npm >/dev/null 2>&1 || die "npm is needed to install Azurite"
	log "installing Azurite $AZURITE_VERSION (once)"
	mkdir -p "$AZURITE_DIR"
	npm install --prefix "$AZURITE_DIR" --no-audit --no-fund --loglevel=error \
		"azurite@$AZURITE_VERSION" >&2
	azurite_ok || die "Azurite install did not produce $AZURITE_BIN"
}

cmd_ensure() {
	mkdir -p "$CACHE"
	# One installer at a time; a second caller waits and then finds it done.
	exec 9>"$CACHE/.lock"
	flock 9
	ensure_packages
	ensure_minio
	ensure_azurite
	flock -u 9
	exec 9>&-
}

# free_port asks the kernel for a port that is free on 127.0.0.1 now.
free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# http_code prints the HTTP status of a GET, or 000 when nothing answers.
http_code() {
	curl -s -o /dev/null -m 2 -w '%{http_code}' "$1" 2>/dev/null || true
}

# wait_ready PID URL WANT: wait until URL answers (with status WANT, or any
# status when WANT is "any"); fail early if PID dies.
wait_ready() {
	local pid=$1 url=$2 want=$3 code i
	for ((i = 0; i < 300; i++)); do
		kill -0 "$pid" 2>/dev/null || return 1
		code=$(http_code "$url")
		if [ "$want" = any ] && [ "$code" != 000 ]; then return 0; fi
		if [ "$code" = "$want" ]; then return 0; fi
		sleep 0.1
	done
	return 1
}

# ours PID MARK says whether PID's command line or working directory still
# names MARK (our state dir), so a recycled PID is never touched.
ours() {
	local pid=$1 mark=$2
	[ -r "/proc/$pid/cmdline" ] || return 1
	case "$(readlink "/proc/$pid/cwd" 2>/dev/null)" in
	"$mark"*) return 0 ;;
	esac
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$mark"
}

# stop_pid PID MARK: stop PID, when it is ours, and wait for it to exit.
stop_pid() {
	local pid=$1 mark=$2 i
	[ -n "$pid" ] || return 0
	ours "$pid" "$mark" || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}

start_minio() {
	local state=$1 port pid attempt
	for attempt in 1 2 3 4 5; do
		port=$(free_port)
		mkdir -p "$state/minio-data" "$state/minio-certs"
		MINIO_ROOT_USER=$S3_ACCESS_KEY MINIO_ROOT_PASSWORD=$S3_SECRET_KEY \
			MINIO_UPDATE=off MINIO_CALLHOME_ENABLE=off MINIO_BROWSER=off MINIO_PROMETHEUS_AUTH_TYPE=public \
			"$MINIO_BIN" server "$state/minio-data" \
			--address "127.0.0.1:$port" --certs-dir "$state/minio-certs" --quiet \
			</dev/null >"$state/minio.log" 2>&1 &
		pid=$!
		if wait_ready "$pid" "http://127.0.0.1:$port/minio/health/live" 200; then
			MINIO_PORT=$port
			MINIO_PID=$pid
			return 0
		fi
		stop_pid "$pid" "$state"
		log "MinIO did not start on port $port (attempt $attempt):"
		tail -n 5 "$state/minio.log" >&2 || true
		# Only a port taken since we picked it is worth another try.
		grep -qiE 'address already in use|EADDRINUSE' "$state/minio.log" || return 1
	done
	return 1
}

start_azurite() {
	local state=$1 port pid attempt
	mkdir -p "$state/azurite"
	for attempt in 1 2 3 4 5; do
		port=$(free_port)
		# Azurite writes its debug files to its working directory.
		(cd "$state/azurite" && exec "$AZURITE_BIN" --blobHost 127.0.0.1 \
			--blobPort "$port" --inMemoryPersistence \
			--skipApiVersionCheck --disableTelemetry --loose) \
			</dev/null >"$state/azurite.log" 2>&1 &
		pid=$!
		if wait_ready "$pid" "http://127.0.0.1:$port/$AZURE_ACCOUNT?comp=list" any; then
			AZURITE_PORT=$port
			AZURITE_PID=$pid
			return 0
		fi
		stop_pid "$pid" "$state"
		log "Azurite did not start on port $port (attempt $attempt):"
		tail -n 5 "$state/azurite.log" >&2 || true
		# Only a port taken since we picked it is worth another try.
		grep -qiE 'address already in use|EADDRINUSE' "$state/azurite.log" || return 1
	done
	return 1
}

# alive ENVFILE says whether ENVFILE names servers that still answer.
alive() {
	local f=$1
	[ -s "$f" ] || return 1
	(
		# shellcheck disable=SC1090
		. "$f"
		kill -0 "$CLOUDFUSE_TEST_MINIO_PID" 2>/dev/null &&
			kill -0 "$CLOUDFUSE_TEST_AZURITE_PID" 2>/dev/null &&
			[ "$(http_code "$CLOUDFUSE_TEST_S3_ENDPOINT/minio/health/live")" = 200 ] &&
			[ "$(http_code "$CLOUDFUSE_TEST_AZURE_ENDPOINT?comp=list")" != 000 ]
	)
}

write_env() {
	local f=$1 state=$2 s3=http://127.0.0.1:$MINIO_PORT
	local az=http://127.0.0.1:$AZURITE_PORT/$AZURE_ACCOUNT old_umask
	# The file holds keys: private to us. The umask goes back afterwards,
	# or `run` would start the tests with it.
	old_umask=$(umask)
	umask 077
	cat >"$f" <<EOF
export CLOUDFUSE_TEST_S3_ENDPOINT='$s3'
export CLOUDFUSE_TEST_S3_ACCESS_KEY='$S3_ACCESS_KEY'
export CLOUDFUSE_TEST_S3_SECRET_KEY='$S3_SECRET_KEY'
export CLOUDFUSE_TEST_S3_REGION='us-east-1'
export CLOUDFUSE_TEST_AZURE_ENDPOINT='$az'
export CLOUDFUSE_TEST_AZURE_ACCOUNT='$AZURE_ACCOUNT'
export CLOUDFUSE_TEST_AZURE_KEY='$AZURE_KEY'
export CLOUDFUSE_TEST_AZURE_CONNECTION_STRING='DefaultEndpointsProtocol=http;AccountName=$AZURE_ACCOUNT;AccountKey=$AZURE_KEY;BlobEndpoint=$az;'
export CLOUDFUSE_TEST_MINIO_PID='$MINIO_PID'
export CLOUDFUSE_TEST_AZURITE_PID='$AZURITE_PID'
export CLOUDFUSE_TEST_STATE_DIR='$state'
export CLOUDFUSE_TEST_MINIO_BIN='$MINIO_BIN'
EOF
	umask "$old_umask"
}

cmd_start() {
	local envfile=${1:-} state base
	if [ -n "$envfile" ] && alive "$envfile"; then
		log "servers in $envfile are already running"
		printf '%s\n' "$envfile"
		return 0
	fi
	cmd_ensure
	command -v python3 >/dev/null 2>&1 || die "python3 is needed to pick free ports"
	command -v curl >/dev/null 2>&1 || die "curl is needed to probe the servers"

	# Keep server data in memory where possible (tmpfs), so benchmarks
	# measure the client and not the disk.
	base=${TMPDIR:-/tmp}
	if [ -d /dev/shm ] && [ -w /dev/shm ]; then base=/dev/shm; fi
	state=$(mktemp -d "$base/cloudfuse-test.XXXXXXXX")

	S3_ACCESS_KEY=cloudfuse-test
	S3_SECRET_KEY=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
	MINIO_PID='' AZURITE_PID=''
	if ! start_minio "$state" || ! start_azurite "$state"; then
		stop_pid "$MINIO_PID" "$state"
		stop_pid "$AZURITE_PID" "$state"
		rm -rf "$state"
		die "could not start the test servers"
	fi
	write_env "$state/env" "$state"
	if [ -n "$envfile" ]; then
		cp "$state/env" "$envfile"
	else
		envfile=$state/env
	fi
	log "MinIO on 127.0.0.1:$MINIO_PORT (pid $MINIO_PID), Azurite on 127.0.0.1:$AZURITE_PORT (pid $AZURITE_PID)"
	printf '%s\n' "$envfile"
}

cmd_stop() {
	local envfile=${1:-} state minio_pid azurite_pid
	if [ -n "$envfile" ]; then
		[ -s "$envfile" ] || return 0
		state=$(. "$envfile" && printf '%s' "$CLOUDFUSE_TEST_STATE_DIR")
		minio_pid=$(. "$envfile" && printf '%s' "$CLOUDFUSE_TEST_MINIO_PID")
		azurite_pid=$(. "$envfile" && printf '%s' "$CLOUDFUSE_TEST_AZURITE_PID")
	else
		state=${CLOUDFUSE_TEST_STATE_DIR:-}
		minio_pid=${CLOUDFUSE_TEST_MINIO_PID:-}
		azurite_pid=${CLOUDFUSE_TEST_AZURITE_PID:-}
	fi
	[ -n "$state" ] || die "stop: no env file given and CLOUDFUSE_TEST_STATE_DIR is not set"
	case "$state" in
	*/cloudfuse-test.*) ;;
	*) die "stop: refusing to remove unexpected state dir $state" ;;
	esac
	stop_pid "$minio_pid" "$state"
	stop_pid "$azurite_pid" "$state"
	rm -rf "$state"
}

cmd_run() {
	[ $# -gt 0 ] || die "run: no command given"
	local envfile status=0
	envfile=$(mktemp "${TMPDIR:-/tmp}/cloudfuse-test-env.XXXXXXXX")
	# shellcheck disable=SC2064
	trap "cmd_stop '$envfile' || true; rm -f '$envfile'" EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	cmd_start "$envfile" >/dev/null
	# shellcheck disable=SC1090
	. "$envfile"
	"$@" || status=$?
	return "$status"
}

main() {
	local cmd=${1:-}
	[ $# -gt 0 ] && shift
	case "$cmd" in
	ensure) cmd_ensure ;;
	start) cmd_start "$@" ;;
	stop) cmd_stop "$@" ;;
	run) cmd_run "$@" ;;
	*)
		sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
		exit 2
		;;
	esac
}

main "$@"
