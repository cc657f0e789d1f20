#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# nkvm: the rows of make check-qemu (and make demo's one), run inside the test VM by
# scripts/guest/qemu-run.sh with the host's bash, chrooted into the host's root
# (read-only 9p). /tmp/w is the run's work dir on the host (read-write 9p):
#   config            ROWS ROW_TIMEOUT MIG_TIMEOUT STRACE L2_MEM L2_APPEND (shell
#                     assignments)
#   bzImage l2.cpio.gz   the L2 kernel and initramfs
#   disk.img disk.md5 net.bin net.md5   the data the guest reads and what it must find
#   qmp.py            the QMP client the save/restore and migration rows use
# For each row it writes /tmp/w/rows/<row>.result (its result line) and
# /tmp/w/rows/<row>/: <qemu>.log (QEMU's stdout and stderr,
# the L2 serial console among them, each line prefixed with the time in
# microseconds), <qemu>.t0 (the time QEMU started), <qemu>.cmd (the command line), <qemu>.strace with STRACE=1; and
# prints (the host parses these):
#   QEMU-ROW-BEGIN <row>
#   QEMU-ROW <row> PASS|FAIL user=<s>|- total=<s> <detail>
# user= is the time from QEMU's start to the L2 /init's first line.
# NKVM_ROWS (environment, from the kernel command line) overrides the config's ROWS.

export LC_ALL=C
W=/tmp/w
# shellcheck source=/dev/null
. $W/config
ROWS=${NKVM_ROWS:-${ROWS:-}}
QEMU=/usr/bin/qemu-system-x86_64
STRACE=${STRACE:-0}
L2_MEM=${L2_MEM:-128}

declare -A QPID SPID Q0

now_us() { echo "${EPOCHREALTIME/./}"; }

# stamp: every line of stdin, \r dropped, after the time in microseconds.
stamp() {
	local l
	while IFS= read -r l; do
		printf '%s %s\n' "${EPOCHREALTIME/./}" "${l%$'\r'}"
	done
}

# qemu_start NAME MODE TIMEOUT [qemu args...]: QEMU with the L2 guest in MODE
# (nkvm_l2=) in the background, killed after TIMEOUT s; the console and QEMU's
# messages stamped into $R/NAME.log. $APPEND adds to the L2 command line.
qemu_start() {
	local name=$1 mode=$2 tmo=$3 tr=()
	shift 3
	[ "$STRACE" = 1 ] && tr=(strace -f -tt -e trace=ioctl -e signal=none -o "$R/$name.strace")
	local args=(-accel kvm -nodefaults -no-user-config -display none -no-reboot
		-m "$L2_MEM" -serial stdio -kernel "$W/bzImage" -initrd "$W/l2.cpio.gz"
		-append "console=ttyS0 quiet panic=-1 reboot=t nkvm_l2=$mode ${APPEND:-} ${L2_APPEND:-}" "$@")
	echo "$QEMU ${args[*]}" >"$R/$name.cmd"
	rm -f "$R/$name.fifo"
	mkfifo "$R/$name.fifo"
	stamp <"$R/$name.fifo" >"$R/$name.log" &
	SPID[$name]=$!
	Q0[$name]=$(now_us)
	echo "${Q0[$name]}" >"$R/$name.t0"
	timeout -k 5 "$tmo" "${tr[@]}" "$QEMU" "${args[@]}" </dev/null >"$R/$name.fifo" 2>&1 &
	QPID[$name]=$!
}

# qemu_wait NAME SECONDS: wait for QEMU to exit by itself, else stop it; sets QRC.
qemu_wait() {
	local name=$1 end=$((SECONDS + $2))
	while kill -0 "${QPID[$name]}" 2>/dev/null && [ $SECONDS -lt "$end" ]; do
		sleep 0.2
	done
	kill -0 "${QPID[$name]}" 2>/dev/null && kill -TERM "${QPID[$name]}" 2>/dev/null
	QRC=0
	wait "${QPID[$name]}" || QRC=$?
	wait "${SPID[$name]}" 2>/dev/null
	rm -f "$R/$name.fifo"
}

# wait_log NAME ERE SECONDS: until a console line of NAME matches ERE (status 0),
# QEMU exited (1) or SECONDS passed (2).
wait_log() {
	local log=$R/$1.log end=$((SECONDS + $3))
	while :; do
		grep -qE "^[0-9]+ ($2)" "$log" 2>/dev/null && return 0
		if ! kill -0 "${QPID[$1]}" 2>/dev/null; then
			sleep 0.5
			grep -qE "^[0-9]+ ($2)" "$log" 2>/dev/null && return 0
			return 1
		fi
		[ $SECONDS -lt "$end" ] || return 2
		sleep 0.3
	done
}

# field NAME MARKER [N]: the words after MARKER on its first line in NAME's log
# (the last such line with N=last).
field() {
	local pick="head"
	[ "${3:-}" = last ] && pick="tail"
	grep -E "^[0-9]+ $2( |$)" "$R/$1.log" | $pick -n1 | cut -d' ' -f3-
}

# secs_to NAME MARKER: seconds from NAME's start to MARKER's first line, or -.
secs_to() {
	local t
	t=$(grep -m1 -E "^[0-9]+ $2( |$)" "$R/$1.log" | cut -d' ' -f1)
	[ -n "$t" ] || { echo -; return; }
	awk -v a="${Q0[$1]}" -v b="$t" 'BEGIN { printf "%.2f", (b - a) / 1e6 }'
}

# why NAME: what went wrong, from QEMU's own messages, its warnings only when it
# printed nothing else (or the lack of output).
why() {
	local m re='qemu-system-x86_64:|KVM internal|KVM: |emulation failure|NKVM-L2-KMSG|NKVM-L2-ERROR'
	m=$(grep -E "$re" "$R/$1.log" | grep -v ' warning: ' | cut -d' ' -f2- | head -n 4 |
		tr '\n' '|' | cut -c1-400)
	[ -n "$m" ] || m=$(grep -E "$re" "$R/$1.log" | cut -d' ' -f2- | head -n 4 | tr '\n' '|' | cut -c1-400)
	[ -n "$m" ] || m="no message; last line: $(tail -n1 "$R/$1.log" | cut -d' ' -f2- | cut -c1-160)"
	echo "$m"
}

# kernel_trouble NAME: the L2 kernel's warnings (the host kernel's are in dmesg).
kernel_trouble() {
	grep -E 'NKVM-L2-KMSG.*(WARNING|BUG:|Call Trace|unchecked MSR|Oops)' "$R/$1.log" |
		head -n 2 | cut -d' ' -f3- | tr '\n' '|' | cut -c1-200
}

result() { # result ROW PASS|FAIL USER DETAIL...
	local row=$1 res=$2 user=$3
	shift 3
	echo "QEMU-ROW $row $res user=$user total=$((SECONDS - ROW_T0)) $*" | tee "$W/rows/$row.result"
}

# boot_row ROW MODE NCPU [qemu args...]: boot, check the facts, QEMU must exit
# by itself (the guest reboots under -no-reboot).
boot_row() {
	local row=$1 mode=$2 ncpu=$3 rc user bad="" v
	shift 3
	qemu_start q "$mode" "$ROW_TIMEOUT" "$@"
	rc=0
	wait_log q 'NKVM-L2-DONE|NKVM-L2-ERROR' "$ROW_TIMEOUT" || rc=$?
	qemu_wait q 15
	user=$(secs_to q NKVM-L2-USERSPACE)
	if [ "$user" = - ]; then
		result "$row" FAIL - "no L2 userspace (QEMU status $QRC): $(why q)"
		return
	fi
	[ $rc -eq 0 ] || bad="$bad no NKVM-L2-DONE (QEMU status $QRC): $(why q);"
	v=$(field q NKVM-L2-NCPU)
	[ "$v" = "$ncpu" ] || bad="$bad saw $v CPUs, want $ncpu;"
	if [ "$mode" = boot ]; then
		v=$(field q NKVM-L2-TICKS | cut -d' ' -f1)
		[ "${v:-0}" -gt 0 ] 2>/dev/null || bad="$bad no timer tick in 1 s;"
	fi
	v=$(kernel_trouble q)
	[ -z "$v" ] || bad="$bad L2 kernel: $v;"
	[ "$QRC" = 0 ] || [ $rc -ne 0 ] || bad="$bad QEMU exit status $QRC;"
	case "$mode" in
	boot)
		if [ -n "${DISK_MD5:-}" ]; then
			v=$(field q NKVM-L2-DISK | cut -d' ' -f1)
			[ "$v" = "$DISK_MD5" ] || bad="$bad disk md5 ${v:-none}, want $DISK_MD5;"
		fi ;;
	net)
		v=$(field q NKVM-L2-NET)
		[ "${v%% *}" = "$(cat $W/net.md5)" ] || bad="$bad received '${v:-nothing}', want md5 $(cat $W/net.md5);"
		;;
	esac
	local info
	info="cpus=$(field q NKVM-L2-NCPU) clock=$(field q NKVM-L2-CLOCKSOURCE)"
	v=$(field q NKVM-L2-TICKS | cut -d' ' -f1)
	[ -z "$v" ] || info="$info ticks/s=$v"
	v=$(field q NKVM-L2-NET)
	[ -z "$v" ] || info="$info received=${v#* } bytes"
	if [ -z "$bad" ]; then
		result "$row" PASS "$user" "$info"
	else
		result "$row" FAIL "$user" "$info;$bad"
	fi
}

# qmp SOCKET ARGS...: scripts/guest/qmp.py with the host's python.
qmp() { /usr/bin/python3 $W/qmp.py "$@"; }

# dst_state: where the incoming guest is (run state, vCPU registers), into
# $R/dst.state for a restore that printed nothing; its first line for the detail.
dst_state() {
	kill -0 "${QPID[dst]}" 2>/dev/null || { echo "destination: QEMU exited"; return; }
	{
		qmp "$R/dst.qmp" query-status
		qmp "$R/dst.qmp" human-monitor-command '{"command-line": "info registers"}' | tr -d '\r'
	} >"$R/dst.state" 2>&1
	echo "destination: $(head -n1 "$R/dst.state")"
}

# savevm: boot with a counter, migrate it to a file, quit; start a new QEMU from
# the file: the count goes on from where it was (no reset, no reboot).
savevm_row() {
	local row=$1 user last first max rc out state=""
	qemu_start src counter "$ROW_TIMEOUT" -M pc -qmp "unix:$R/src.qmp,server=on,wait=off"
	if ! wait_log src 'NKVM-L2-COUNT 5' "$ROW_TIMEOUT"; then
		qemu_wait src 1
		result "$row" FAIL "$(secs_to src NKVM-L2-USERSPACE)" "the source guest did not count to 5: $(why src)"
		return
	fi
	user=$(secs_to src NKVM-L2-USERSPACE)
	# the vCPU state the destination will be given, for when it refuses it
	qmp "$R/src.qmp" human-monitor-command '{"command-line": "info registers"}' |
		tr -d '\r' >"$R/src.regs" 2>&1
	rc=0
	out=$(qmp "$R/src.qmp" migrate "exec:cat > /tmp/nkvm-state" --wait "$MIG_TIMEOUT" --quit 2>&1) || rc=$?
	echo "$out" >"$R/src.qmp.log"
	qemu_wait src 20
	if [ $rc -ne 0 ]; then
		result "$row" FAIL "$user" "save failed: $(echo "$out" | tail -n 2 | tr '\n' '|')"
		return
	fi
	last=$(field src NKVM-L2-COUNT last)
	qemu_start dst counter "$ROW_TIMEOUT" -M pc -incoming "exec:cat /tmp/nkvm-state" \
		-qmp "unix:$R/dst.qmp,server=on,wait=off"
	rc=0
	wait_log dst "NKVM-L2-COUNT $((last + 3))" 60 || rc=$?
	[ $rc -eq 0 ] || state=$(dst_state)
	qemu_wait dst 0
	rm -f /tmp/nkvm-state
	first=$(field dst NKVM-L2-COUNT)
	max=$(field dst NKVM-L2-COUNT last)
	local info
	info="$(grep -oE 'transferred=[0-9]+' "$R/src.qmp.log") saved at count $last; restored: first $first, last $max, $(secs_to dst NKVM-L2-COUNT) s to the first count"
	if grep -q NKVM-L2-USERSPACE "$R/dst.log"; then
		result "$row" FAIL "$user" "$info; the restored guest booted anew"
	elif [ $rc -ne 0 ] || [ -z "$first" ] || [ "$first" -lt "$last" ] || [ "$max" -lt $((last + 3)) ]; then
		result "$row" FAIL "$user" "$info; ${state:-} $(why dst)"
	else
		result "$row" PASS "$user" "$info"
	fi
}

# migrate: live migration over loopback TCP while the guest copies 16 MiB back and
# forth; every sum the destination computes must be the source's first one.
migrate_row() {
	local row=$1 user port=4444 rc out sum bad="" n
	qemu_start dst mem "$MIG_TIMEOUT" -M pc -incoming "tcp:127.0.0.1:$port" \
		-qmp "unix:$R/dst.qmp,server=on,wait=off"
	qemu_start src mem "$MIG_TIMEOUT" -M pc -qmp "unix:$R/src.qmp,server=on,wait=off"
	if ! wait_log src 'NKVM-L2-MEMROUND 2 ' "$ROW_TIMEOUT"; then
		qemu_wait src 1; qemu_wait dst 0
		result "$row" FAIL "$(secs_to src NKVM-L2-USERSPACE)" "the source guest did not copy memory: $(why src)"
		return
	fi
	user=$(secs_to src NKVM-L2-USERSPACE)
	sum=$(field src NKVM-L2-MEMSUM | cut -d' ' -f1)
	rc=0
	out=$(qmp "$R/src.qmp" migrate "tcp:127.0.0.1:$port" --wait "$MIG_TIMEOUT" --quit \
		--set max-bandwidth=1073741824 --set downtime-limit=1000 2>&1) || rc=$?
	echo "$out" >"$R/src.qmp.log"
	qemu_wait src 20
	n=$(grep -c NKVM-L2-MEMROUND "$R/src.log")
	if [ $rc -ne 0 ]; then
		qemu_wait dst 0
		result "$row" FAIL "$user" "migration failed: $(echo "$out" | tail -n 2 | tr '\n' '|') dst: $(why dst)"
		return
	fi
	rc=0
	wait_log dst 'NKVM-L2-MEMROUND [0-9]+ .*' 60 || rc=$?
	# two whole rounds on the destination
	[ $rc -ne 0 ] || { sleep 1; local end=$((SECONDS + 60))
		while [ "$(grep -c NKVM-L2-MEMROUND "$R/dst.log")" -lt 3 ] && [ $SECONDS -lt $end ] &&
			kill -0 "${QPID[dst]}" 2>/dev/null; do sleep 0.5; done; }
	local got
	got=$(grep -E '^[0-9]+ NKVM-L2-MEMROUND' "$R/dst.log" | cut -d' ' -f3-)
	[ -n "$got" ] || bad="no round on the destination: $(dst_state) $(why dst);"
	qemu_wait dst 0
	while read -r r st s; do
		[ -n "$r" ] || continue
		[ "$s" = "$sum" ] && [ "$st" = ok ] || bad="$bad round $r sum $s, want $sum;"
	done <<<"$got"
	grep -q NKVM-L2-USERSPACE "$R/dst.log" && bad="$bad the destination booted anew;"
	local info
	info="$(grep -oE '(total-time|downtime|transferred|dirty-sync-count)=[0-9]+' "$R/src.qmp.log" | tr '\n' ' ')source rounds $n, destination rounds $(echo "$got" | grep -c .)"
	if [ -z "$bad" ]; then
		result "$row" PASS "$user" "$info"
	else
		result "$row" FAIL "$user" "$info; $bad"
	fi
}

# shellcheck disable=SC2054 # the commas are inside QEMU's option values
DISK=(-drive "file=$W/disk.img,format=raw,if=none,id=d0,readonly=on" -device virtio-blk-pci,drive=d0)
# shellcheck disable=SC2054
NET=(-netdev "user,id=n0,restrict=on,guestfwd=tcp:10.0.2.100:80-cmd:cat $W/net.bin"
	-device virtio-net-pci,netdev=n0,romfile=)

run_row() {
	local row=$1
	# The row works in this VM's tmpfs (no FIFO on 9p, and the polling stays
	# local); its files go to the host's /tmp/w/rows/<row> at the end.
	R=/tmp/rows/$row
	rm -rf "$R" "$W/rows/$row"; mkdir -p "$R" "$W/rows"
	ROW_T0=$SECONDS
	APPEND=acpi=off DISK_MD5=
	echo "QEMU-ROW-BEGIN $row"
	case "$row" in
	pc)		boot_row "$row" boot 1 -M pc ;;
	q35-smp2)	APPEND="" boot_row "$row" boot 2 -M q35 -smp 2 ;;
	pc-irqchip-off)	boot_row "$row" boot 1 -M pc,kernel-irqchip=off ;;
	q35-split)	APPEND="" boot_row "$row" boot 1 -M q35,kernel-irqchip=split ;;
	microvm)	boot_row "$row" boot 1 -M microvm ;;
	cpu-pm)		boot_row "$row" boot 1 -M pc -overcommit cpu-pm=on ;;
	virtio-blk)	DISK_MD5=$(cat $W/disk.md5) boot_row "$row" boot 1 -M pc "${DISK[@]}" ;;
	virtio-net)	boot_row "$row" net 1 -M pc "${NET[@]}" ;;
	demo)		DISK_MD5=$(cat $W/disk.md5) boot_row "$row" boot 1 -M pc "${DISK[@]}" ;;
	demo-irqchip-off)
		DISK_MD5=$(cat $W/disk.md5) boot_row "$row" boot 1 -M pc,kernel-irqchip=off "${DISK[@]}" ;;
	savevm)		savevm_row "$row" ;;
	migrate)	migrate_row "$row" ;;
	*)		result "$row" FAIL - "unknown row" ;;
	esac
	cp -r "$R" "$W/rows/$row"
	rm -rf "$R"
}

# Warm-up: QEMU, its libraries and firmware read once through 9p into this VM's
# page cache (cache=loose), so that no row's QEMU waits on 9p while it runs.
t=$SECONDS
# shellcheck disable=SC2046 # a list of files
cat $QEMU $(ldd $QEMU | awk '$3 ~ /^\// { print $3 }') /usr/share/seabios/bios-256k.bin \
	/usr/share/qemu/linuxboot_dma.bin /usr/share/qemu/kvmvapic.bin /usr/share/qemu/bios-microvm.bin \
	>/dev/null
echo "QEMU-ROWS $ROWS (strace=$STRACE, $($QEMU --version | head -n1), warm-up $((SECONDS - t)) s)"
for row in $ROWS; do
	run_row "$row"
	# make demo: where QEMU could not start -M pc, the same with the interrupt
	# controllers in QEMU, as a row of its own
	if [ "$row" = demo ] && grep -q "^QEMU-ROW demo FAIL user=- " "$W/rows/demo.result"; then
		run_row demo-irqchip-off
	fi
done
echo "QEMU-ROWS-END"
