# shellcheck shell=bash
# Installs the peer tools and fio from Debian packages when missing.

# ensure_packages CMD=PKG...: install PKG for each CMD not on PATH. The
# package lists are refreshed only when an install is needed and fails.
ensure_packages() {
	local pair missing=()
	for pair in "$@"; do
		command -v "${pair%%=*}" >/dev/null 2>&1 || missing+=("${pair#*=}")
	done
	[ ${#missing[@]} -gt 0 ] || return 0
	command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]}, and there is no apt-get to install them"
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	if ! as_root apt-get install -y -q "${missing[@]}" >&2; then
		as_root apt-get update -q >&2 || true
		as_root apt-get install -y -q "${missing[@]}" >&2 || die "could not install ${missing[*]}"
	fi
}
