#!/bin/bash
# nkvm: print the version of the source tree, from git.
#   scripts/version.sh         module version: v1.2-5-gabcdef0 -> 1.2-5-gabcdef0;
#                              without a v* tag: 0.0-<commits>-g<hash>; "-dirty" when
#                              tracked files differ from HEAD
#   scripts/version.sh --deb   the same as a Debian (native) package version:
#                              1.2+5+gabcdef0, 0.0+171+g3c1e309+dirty
# Outside a git checkout: the contents of ./VERSION if there is one, else 0.0.
set -euo pipefail
cd "$(dirname "$0")/.."
v=
if git rev-parse --git-dir >/dev/null 2>&1; then
	if v=$(git describe --tags --match 'v[0-9]*' --dirty 2>/dev/null); then
		v=${v#v}
	else
		v=0.0-$(git rev-list --count HEAD)-g$(git rev-parse --short=7 HEAD)
		git diff --quiet HEAD -- 2>/dev/null || v=$v-dirty
	fi
elif [ -f VERSION ]; then
	v=$(cat VERSION)
fi
v=${v:-0.0}
if [ "${1:-}" = --deb ]; then
	echo "${v//-/+}"
else
	echo "$v"
fi
