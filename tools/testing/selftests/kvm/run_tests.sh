#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In-guest test driver (busybox sh), installed as /payload/run.sh.
# Output protocol: Documentation/contract-draft.txt. Each test runs between
# "# BEGIN <name>" and "# END <name> rc=<status>"; the checks this script
# does itself (loading and unloading modules) are the pseudo-tests
# "module_load" and "module_unload" in the same TAP form. The script ends with
# the dmesg dump and NKVM-DONE; powering off is the init's business.
#
# /payload/env sets KVM_IMPL=ours|stock ARCH=x86_64|arm64|s390x
# BOOT=main|nohw|debug|sie|vmx (sie: s390 under Hercules, which has SIE; vmx: x86_64
# under Bochs, run as main). A KVM_IMPL in the environment is taken when env has none:
# the VMX boot's scripts/guest/vmx-run.sh runs this script once per implementation.
# BOOT=debug (make check-debug's kernel): no stock modules exist for that kernel, so
# the checks against them are left out. NKVM_NO_FINISH=1: return without the dmesg
# dump and NKVM-DONE (a driver that runs more after the tests prints them).

P=/payload
BIN=$P/bin
KVM_IMPL=${KVM_IMPL:-ours}
ARCH=${ARCH:-x86_64}
BOOT=${BOOT:-main}
[ -r $P/env ] && . $P/env
export KVM_IMPL ARCH BOOT

# ---- pseudo-test helpers: lines are collected, then printed with the plan.
PS_NAME=
PS_N=0
PS_FAIL=0
PS_FILE=/tmp/pseudo.tap

ps_begin() {
	PS_NAME=$1
	PS_N=0
	PS_FAIL=0
	: > $PS_FILE
	echo "# BEGIN $PS_NAME"
}

# ps_check <0|1 (1 = pass)> <description>
ps_check() {
	PS_N=$((PS_N + 1))
	if [ "$1" = 1 ]; then
		echo "ok $PS_N - $2" >> $PS_FILE
	else
		echo "not ok $PS_N - $2" >> $PS_FILE
		PS_FAIL=$((PS_FAIL + 1))
	fi
}

ps_skip() {
	PS_N=$((PS_N + 1))
	echo "ok $PS_N - $2 # SKIP $1" >> $PS_FILE
}

ps_end() {
	echo "1..$PS_N"
	cat $PS_FILE
	[ $PS_FAIL = 0 ] && rc=0 || rc=1
	echo "# END $PS_NAME rc=$rc"
}

# Echo a comment line (shown live, before the plan).
note() {
	echo "# $*"
}

# Kernel messages logged since the mark.
DMESG_MARK=0
dmesg_mark() {
	DMESG_MARK=$(dmesg | wc -l)
}
dmesg_new() {
	dmesg | tail -n +$((DMESG_MARK + 1))
}

# try_insmod <file> [params...]: sets INSMOD_RC and INSMOD_OUT.
try_insmod() {
	dmesg_mark
	INSMOD_OUT=$(insmod "$@" 2>&1)
	INSMOD_RC=$?
	note "insmod $*: rc=$INSMOD_RC $INSMOD_OUT"
	dmesg_new | grep 'nkvm:' | sed 's/^/# dmesg: /'
}

# expect_insmod_failure: if the last insmod wrongly succeeded, take nkvm out
# again so that the rest of the run still sees the intended state.
expect_insmod_failure() {
	if [ $INSMOD_RC = 0 ]; then
		note "nkvm.ko loaded although it must not: removing it"
		rmmod nkvm
	fi
}

# insmod_failed_with <strerror text...>: last insmod failed with one of them.
insmod_failed_with() {
	[ $INSMOD_RC != 0 ] || return 1
	for msg in "$@"; do
		case "$INSMOD_OUT" in *"$msg"*) return 0 ;; esac
	done
	return 1
}

# new_nkvm_line <egrep pattern>: a new "nkvm:" kernel line matches it.
new_nkvm_line() {
	dmesg_new | grep 'nkvm:' | grep -qiE "$1"
}

in_modules() {
	grep -q "^$1 " /proc/modules
}

b() {
	# bool from the last command's status
	[ $? = 0 ] && echo 1 || echo 0
}

STOCK_MODS=
if [ -r $P/stock/load-order ]; then
	STOCK_MODS=$(cat $P/stock/load-order)
fi

# load_stock [kvm.ko parameters...]
load_stock() {
	ok=1
	for m in $STOCK_MODS; do
		args=
		[ "$m" = kvm.ko ] && args="$*"
		if ! out=$(insmod $P/stock/$m $args 2>&1); then
			note "insmod $m: $out"
			ok=0
		fi
	done
	echo $ok
}

unload_stock() {
	ok=1
	rev=
	for m in $STOCK_MODS; do
		rev="$m $rev"
	done
	for m in $rev; do
		name=$(basename $m .ko | tr - _)
		if ! out=$(rmmod $name 2>&1); then
			note "rmmod $name: $out"
			ok=0
		fi
	done
	echo $ok
}

wait_for_file_text() {
	# wait_for_file_text <file> <text> <seconds>
	i=0
	while [ $i -lt $(($3 * 10)) ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

run_test() {
	name=$(basename $1)
	tmo=120
	# NKVM_RELOADS cycles: allow 4 s each (a debug kernel under TCG)
	if [ "$name" = module_reload_test ] && [ -n "$NKVM_RELOADS" ]; then
		tmo=$((120 + 4 * NKVM_RELOADS))
	fi
	echo "# BEGIN $name"
	timeout $tmo $1
	rc=$?
	echo "# END $name rc=$rc"
}

finish() {
	[ "${NKVM_NO_FINISH:-0}" = 1 ] && exit 0
	echo "NKVM-DMESG-BEGIN"
	dmesg
	echo "NKVM-DMESG-END"
	echo "NKVM-DONE"
	exit 0
}

# ---- x86 only: nkvm must refuse to load while stock KVM owns things.
check_ebusy_paths() {
	# From 6.12 the stock kvm turns SVM on when it loads, unless told not to
	# (enable_virt_at_load=0; 6.1 ignores the unknown parameter): then nkvm's
	# probe would stop at "SVM in use" before it reaches the misc minor.
	ps_check $(load_stock enable_virt_at_load=0) "stock modules load ($(echo $STOCK_MODS))"

	try_insmod $P/nkvm.ko
	expect_insmod_failure
	insmod_failed_with "Device or resource busy" "File exists"
	ps_check $(b) "insmod nkvm.ko fails (EBUSY) while stock owns /dev/kvm"
	new_nkvm_line '232'
	ps_check $(b) "dmesg: nkvm says misc minor 232 is taken"
	! in_modules nkvm && ! grep -q nkvm /sys/devices/system/cpu/hotplug/states
	ps_check $(b) "the failed loads left no module and no CPU hotplug state"

	$BIN/hold_vm > /tmp/hold_vm.out 2>&1 &
	hold=$!
	wait_for_file_text /tmp/hold_vm.out ready 30
	ps_check $(b) "hold_vm created a stock VM (SVM or VMX now enabled)"

	try_insmod $P/nkvm.ko
	expect_insmod_failure
	insmod_failed_with "Device or resource busy"
	ps_check $(b) "insmod nkvm.ko fails with EBUSY while stock uses SVM or VMX"
	new_nkvm_line '(virtuali[sz]ation|svm|vmx|hypervisor).*(in use|already|busy|enabled|owned)|(in use|already|busy|enabled|owned).*(virtuali[sz]ation|svm|vmx|hypervisor)'
	ps_check $(b) "dmesg: nkvm says virtualization is already in use"

	kill -9 $hold
	wait $hold 2>/dev/null
	ps_check $(unload_stock) "stock modules unload"
}

# ---- x86 only, nkvm loaded: the stock kvm.ko must be refused at load (nkvm's
# module notifier), with its dependencies loaded first so that nothing else
# stops it. Never kvm-amd.ko: if the refusal failed, its init would BUG the
# kernel on the taken /dev/kvm (kvm.ko's own init touches no misc device).
check_stock_refused() {
	deps=
	for m in $STOCK_MODS; do
		[ "$m" = kvm.ko ] && break
		insmod $P/stock/$m 2>/dev/null && deps="$m $deps"
	done
	dmesg_mark
	out=$(insmod $P/stock/kvm.ko 2>&1)
	rc=$?
	note "insmod stock kvm.ko with nkvm loaded: rc=$rc $out"
	if [ $rc = 0 ]; then
		note "stock kvm.ko loaded although it must not: removing it"
		rmmod kvm
	fi
	case "$out" in *"Device or resource busy"*) true ;; *) false ;; esac
	ps_check $(b) "insmod of the stock kvm.ko is refused (EBUSY) while nkvm is loaded"
	new_nkvm_line 'refusing to load kvm'
	ps_check $(b) "dmesg: nkvm says it refused kvm"
	for m in $deps; do
		rmmod $(basename $m .ko | tr - _) 2>/dev/null
	done
}

if [ "$BOOT" = nohw ]; then
	ps_begin module_load
	try_insmod $P/nkvm.ko
	expect_insmod_failure
	insmod_failed_with "No such device"
	ps_check $(b) "insmod nkvm.ko without hardware virtualization -> ENODEV"
	new_nkvm_line 'svm|vmx|sie|el2|virtuali[sz]ation'
	ps_check $(b) "dmesg: nkvm names the missing feature"
	try_insmod $P/nkvm.ko api_only=1
	[ $INSMOD_RC = 0 ]
	ps_check $(b) "insmod nkvm.ko api_only=1"
	[ -c /dev/kvm ]
	ps_check $(b) "/dev/kvm exists"
	ps_end
	export KVM_MODULE=nkvm
	run_test $BIN/system_fd_test
	ps_begin module_unload
	rmmod nkvm
	ps_check $(b) "rmmod nkvm"
	! in_modules nkvm
	ps_check $(b) "no nkvm in /proc/modules"
	ps_end
	finish
fi

if [ "$KVM_IMPL" = stock ]; then
	ps_begin module_load
	if [ -n "$STOCK_MODS" ]; then
		ps_check $(load_stock) "stock modules load ($(echo $STOCK_MODS))"
	else
		ps_skip "no /payload/stock" "stock modules load"
	fi
	[ -c /dev/kvm ]
	ps_check $(b) "/dev/kvm exists"
	ps_end
	if [ -z "$KVM_MODULE" ]; then
		case "$ARCH" in
		x86_64)
			if grep -q svm /proc/cpuinfo; then
				KVM_MODULE=kvm_amd
			else
				KVM_MODULE=kvm_intel
			fi
			;;
		*) KVM_MODULE=kvm ;;
		esac
	fi
	export KVM_MODULE
else
	ps_begin module_load
	if [ "$BOOT" = debug ]; then
		note "debug kernel: no stock modules, no EBUSY checks against them"
	elif [ "$ARCH" = x86_64 ] && [ -n "$STOCK_MODS" ]; then
		check_ebusy_paths
	elif [ "$ARCH" = x86_64 ]; then
		ps_check 0 "x86 payload has /payload/stock/load-order"
	fi
	if [ "$ARCH" = s390x ] && [ "$BOOT" = sie ]; then
		# Hercules: SIE is there, so nkvm loads without api_only.
		grep -q '^features.* sie' /proc/cpuinfo
		ps_check $(b) "/proc/cpuinfo lists the sie feature"
		try_insmod $P/nkvm.ko
	elif [ "$ARCH" = s390x ]; then
		try_insmod $P/nkvm.ko
		expect_insmod_failure
		insmod_failed_with "No such device"
		ps_check $(b) "insmod nkvm.ko without SIE -> ENODEV"
		new_nkvm_line 'sie'
		ps_check $(b) "dmesg: nkvm says there is no SIE"
		try_insmod $P/nkvm.ko api_only=1
	else
		try_insmod $P/nkvm.ko
	fi
	[ $INSMOD_RC = 0 ]
	ps_check $(b) "insmod nkvm.ko succeeds"
	[ -c /dev/kvm ]
	ps_check $(b) "/dev/kvm exists"
	[ "$ARCH" = x86_64 ] && [ -n "$STOCK_MODS" ] && [ $INSMOD_RC = 0 ] &&
		check_stock_refused
	ps_end
	KVM_MODULE=nkvm
	export KVM_MODULE
fi

for t in $BIN/*_test; do
	[ -x "$t" ] && run_test $t
done

ps_begin module_unload
if [ "$KVM_IMPL" = stock ]; then
	if [ -n "$STOCK_MODS" ]; then
		ps_check $(unload_stock) "stock modules unload"
		! in_modules $KVM_MODULE
		ps_check $(b) "no $KVM_MODULE in /proc/modules"
	else
		ps_skip "no /payload/stock" "stock modules unload"
	fi
else
	rmmod nkvm
	ps_check $(b) "rmmod nkvm"
	! in_modules nkvm
	ps_check $(b) "no nkvm in /proc/modules"
fi
ps_end

# s390 under Hercules (a boot costs minutes): with nkvm gone, the stock kvm.ko
# runs the s390 tests again in the same boot, each named stock-<test>.
if [ "$KVM_IMPL" = ours ] && [ "$BOOT" = sie ] && [ -n "$STOCK_MODS" ] &&
	! in_modules nkvm; then
	ps_begin stock_module_load
	ps_check $(load_stock) "stock modules load ($(echo $STOCK_MODS))"
	[ -c /dev/kvm ]
	ps_check $(b) "/dev/kvm exists"
	ps_end
	if in_modules kvm; then
		for t in $BIN/s390_*_test; do
			[ -x "$t" ] || continue
			echo "# BEGIN stock-$(basename $t)"
			KVM_IMPL=stock KVM_MODULE=kvm timeout 120 $t
			echo "# END stock-$(basename $t) rc=$?"
		done
	fi
	ps_begin stock_module_unload
	ps_check $(unload_stock) "stock modules unload"
	ps_end
fi
finish
