# nkvm: helpers shared by the scripts in this directory (sourced, not run).
# shellcheck shell=bash

NKVM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NKVM_SCRIPTS=$NKVM_ROOT/scripts
# shellcheck source=versions
. "$NKVM_SCRIPTS/versions"
NKVM_CACHE=${NKVM_CACHE:-$NKVM_CACHE_DEFAULT}
NKVM_EMU_LOCK=${NKVM_EMU_LOCK:-/tmp/nkvm-emulator.lock}
export NKVM_CACHE

die() { echo "nkvm: error: $*" >&2; exit 1; }
note() { echo "nkvm: $*" >&2; }

# as_root CMD...: run CMD as root (sudo when not root).
as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"
	elif command -v sudo >/dev/null; then sudo "$@"
	else die "need root for: $*"; fi
}

# quietly LOGFILE CMD...: run CMD with output to LOGFILE; on failure show its tail and fail.
quietly() {
	local log=$1; shift
	if ! "$@" >"$log" 2>&1; then
		echo "nkvm: command failed: $*" >&2
		echo "----- last lines of $log -----" >&2
		tail -n 40 "$log" >&2
		echo "-----" >&2
		return 1
	fi
}

# nkvm_arch ARG: set the per-arch variables for x86_64|arm64|s390 (and aliases).
#   ARCH_N     nkvm name (x86_64 arm64 s390)        KARCH   kernel make ARCH
#   DEBARCH    Debian architecture                  CROSS   CROSS_COMPILE prefix
#   KABI KFLAVOUR KPKG KBUILD                       KREL    kernel release (KABI-KFLAVOUR)
#   GUEST_ARCH value of ARCH= in the payload env (x86_64 arm64 s390x)
nkvm_arch() {
	case "${1:-}" in
	x86_64|x86|amd64)	ARCH_N=x86_64; KARCH=x86;   DEBARCH=amd64; CROSS=;                  GUEST_ARCH=x86_64 ;;
	arm64|aarch64)		ARCH_N=arm64;  KARCH=arm64; DEBARCH=arm64; CROSS=aarch64-linux-gnu-; GUEST_ARCH=arm64 ;;
	s390|s390x)		ARCH_N=s390;   KARCH=s390;  DEBARCH=s390x; CROSS=s390x-linux-gnu-;   GUEST_ARCH=s390x ;;
	*) die "unknown arch '${1:-}' (want x86_64, arm64 or s390)" ;;
	esac
	local v
	v=NKVM_KABI_$ARCH_N;     KABI=${!v}
	v=NKVM_KFLAVOUR_$ARCH_N; KFLAVOUR=${!v}
	v=NKVM_KPKG_$ARCH_N;     KPKG=${!v}
	v=NKVM_KBUILD_$ARCH_N;   KBUILD=${!v}
	KREL=$KABI-$KFLAVOUR
}

# ---- private apt configuration (foreign-arch downloads, host dpkg untouched) ----
NKVM_APTDIR=$NKVM_CACHE/apt
NKVM_DEBS=$NKVM_CACHE/debs

_apt_setup() {
	local d=$NKVM_APTDIR mirror=${NKVM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
	local sec=${NKVM_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
	local kr=/usr/share/keyrings/debian-archive-keyring.gpg s=$NKVM_DEBIAN_SUITE
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial" "$d/sources.list.d" \
		"$d/preferences.d" "$NKVM_DEBS"
	[ -e "$d/status" ] || : >"$d/status"
	[ -r "$kr" ] || die "missing $kr (apt-get install debian-archive-keyring)"
	cat >"$d/sources.list.new" <<-SRC
	deb [arch=amd64,arm64,s390x signed-by=$kr] $mirror $s main
	deb [arch=amd64,arm64,s390x signed-by=$kr] $mirror $s-updates main
	deb [arch=amd64,arm64,s390x signed-by=$kr] $sec $s-security main
	SRC
	if cmp -s "$d/sources.list.new" "$d/sources.list"; then rm -f "$d/sources.list.new"
	else mv "$d/sources.list.new" "$d/sources.list"; rm -rf "$d/lists"; mkdir -p "$d/lists/partial"; fi
	NKVM_APT_OPTS=(
		-o "APT::Architecture=amd64"
		-o "APT::Architectures::=amd64" -o "APT::Architectures::=arm64" -o "APT::Architectures::=s390x"
		-o "Dir::State=$d" -o "Dir::State::Lists=$d/lists" -o "Dir::State::status=$d/status"
		-o "Dir::Cache=$d/cache" -o "Dir::Etc::SourceList=$d/sources.list"
		-o "Dir::Etc::SourceParts=$d/sources.list.d" -o "Dir::Etc::Preferences=$d/preferences"
		-o "Dir::Etc::PreferencesParts=$d/preferences.d" -o "APT::Sandbox::User=root"
		-o "Acquire::Languages=none" -o "Debug::NoLocking=1" -q
	)
}

_apt_update() {
	quietly "$NKVM_APTDIR/update.log" apt-get "${NKVM_APT_OPTS[@]}" update ||
		die "private apt-get update failed (network? mirror ${NKVM_DEBIAN_MIRROR:-http://deb.debian.org/debian})"
	touch "$NKVM_APTDIR/lists/.stamp"
}

# apt_fetch_deb NAME ARCH VERSION VARNAME -> echoes the path of the .deb in the cache.
# VERSION may be empty (newest). VARNAME names the scripts/versions variable for errors.
apt_fetch_deb() {
	local name=$1 arch=$2 ver=$3 var=$4 f spec
	if [ -n "$ver" ]; then
		f=$(ls "$NKVM_DEBS/${name}_${ver#*:}_${arch}.deb" 2>/dev/null || true)
		[ -n "$f" ] && { echo "$f"; return 0; }
		spec="$name:$arch=$ver"
	else
		spec="$name:$arch"
	fi
	_apt_setup
	[ -e "$NKVM_APTDIR/lists/.stamp" ] || _apt_update
	local tries=0
	while :; do
		if (cd "$NKVM_DEBS" && apt-get "${NKVM_APT_OPTS[@]}" download "$spec") \
			>"$NKVM_APTDIR/download.log" 2>&1; then
			break
		fi
		tries=$((tries + 1))
		if [ $tries -ge 2 ]; then
			cat "$NKVM_APTDIR/download.log" >&2
			if [ -n "$ver" ]; then
				die "Debian no longer offers $name ($arch) version $ver." \
				    "List what the registry has with 'scripts/fetch.sh avail <arch>'" \
				    "and change $var in scripts/versions."
			fi
			die "cannot download $name ($arch) from the Debian registry"
		fi
		_apt_update
	done
	if [ -n "$ver" ]; then
		f=$NKVM_DEBS/${name}_${ver#*:}_${arch}.deb
	else
		# newest file of that name
		f=$(ls -t "$NKVM_DEBS/${name}"_*_"${arch}.deb" | head -n1)
	fi
	[ -s "$f" ] || die "apt-get download of $spec left no $f"
	echo "$f"
}

# with_cache_lock CMD...: serialize cache updates between concurrent runs.
with_cache_lock() {
	mkdir -p "$NKVM_CACHE"
	exec {_nkvm_lockfd}>"$NKVM_CACHE/.lock"
	flock "$_nkvm_lockfd"
	"$@"
	local rc=$?
	exec {_nkvm_lockfd}>&-
	return $rc
}
