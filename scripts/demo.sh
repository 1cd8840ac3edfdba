#!/usr/bin/env bash
# The quick start: build cloudfuse, start a local MinIO on 127.0.0.1 with a
# bucket, and mount it. Run it again and it reuses what is there.
#
#   scripts/demo.sh          build, start MinIO, mount; prints the mount path
#   scripts/demo.sh stop     unmount and stop the demo MinIO
#
# State (MinIO data, config, file cache, log) lives in CLOUDFUSE_DEMO_DIR
# (default ${XDG_CACHE_HOME:-$HOME/.cache}/cloudfuse-demo); the mount is at
# CLOUDFUSE_DEMO_MOUNT (default $HOME/cloudfuse-demo).
set -euo pipefail
cd "$(dirname "$0")/.."

DEMO=${CLOUDFUSE_DEMO_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cloudfuse-demo}
MNT=${CLOUDFUSE_DEMO_MOUNT:-$HOME/cloudfuse-demo}
CACHE=${CLOUDFUSE_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cloudfuse-test}
MINIO_BIN=$CACHE/bin/minio
BUCKET=demo
ACCESS_KEY=cloudfuse-demo
SECRET_KEY=cloudfuse-demo-secret

log() { printf 'demo: %s\n' "$*" >&2; }

mounted() { grep -qs " $(realpath -m "$MNT") " /proc/self/mounts; }

minio_running() {
	[ -s "$DEMO/minio.pid" ] || return 1
	local pid
	pid=$(cat "$DEMO/minio.pid")
	[ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$DEMO/data"
}

stop() {
	if mounted; then
		bin/cloudfuse unmount "$MNT" || fusermount3 -u -z "$MNT" || true
	fi
	if minio_running; then
		kill "$(cat "$DEMO/minio.pid")" || true
	fi
	rm -f "$DEMO/minio.pid"
	log "stopped"
}

start_minio() {
	minio_running && return 0
	local port
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	mkdir -p "$DEMO/data"
	MINIO_ROOT_USER=$ACCESS_KEY MINIO_ROOT_PASSWORD=$SECRET_KEY \
		MINIO_UPDATE=off MINIO_CALLHOME_ENABLE=off MINIO_BROWSER=off \
		setsid "$MINIO_BIN" server "$DEMO/data" --address "127.0.0.1:$port" --quiet \
		</dev/null >"$DEMO/minio.log" 2>&1 &
	echo $! >"$DEMO/minio.pid"
	echo "$port" >"$DEMO/minio.port"
	for _ in $(seq 100); do
		if curl -s -o /dev/null -m 1 "http://127.0.0.1:$port/minio/health/live"; then
			return 0
		fi
		sleep 0.1
	done
	log "MinIO did not start; see $DEMO/minio.log"
	exit 1
}

main() {
	if [ "${1:-}" = stop ]; then
		stop
		return
	fi
	scripts/testservers.sh ensure
	log "building cloudfuse"
	go build -o bin/cloudfuse ./cmd/cloudfuse
	mkdir -p "$DEMO"
	chmod 700 "$DEMO"
	start_minio
	local endpoint="http://127.0.0.1:$(cat "$DEMO/minio.port")"
	# Create the bucket (an existing one answers 409, which is fine).
	curl -s -o /dev/null -X PUT --user "$ACCESS_KEY:$SECRET_KEY" \
		--aws-sigv4 "aws:amz:us-east-1:s3" "$endpoint/$BUCKET"
	cat >"$DEMO/config.yaml" <<YAML
# Written by scripts/demo.sh: a Cloudfuse-style config for the demo MinIO.
logging:
  type: base
  level: log_warning
  file-path: $DEMO/cloudfuse.log
components:
  - libfuse
  - file_cache
  - attr_cache
  - s3storage
file_cache:
  path: $DEMO/file_cache
  timeout-sec: 120
attr_cache:
  timeout-sec: 120
s3storage:
  bucket-name: $BUCKET
  key-id: $ACCESS_KEY
  secret-key: $SECRET_KEY
  endpoint: $endpoint
  region: us-east-1
  use-path-style: true
YAML
	chmod 600 "$DEMO/config.yaml"
	mkdir -p "$MNT"
	if ! mounted; then
		bin/cloudfuse mount "$MNT" --config-file="$DEMO/config.yaml"
	fi
	# Show it working: write through the mount, read it back, list.
	date -u +"hello from cloudfuse at %Y-%m-%dT%H:%M:%SZ" >"$MNT/hello.txt"
	cat "$MNT/hello.txt"
	ls -l "$MNT"
	cat <<MSG

Bucket "$BUCKET" on the local MinIO ($endpoint) is mounted at:
  $MNT
Config: $DEMO/config.yaml   Log: $DEMO/cloudfuse.log
Unmount with:  bin/cloudfuse unmount $MNT
Stop the demo: scripts/demo.sh stop
MSG
}

main "$@"
