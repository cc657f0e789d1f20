#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In-guest driver of `make check-debug` (busybox sh), installed as /payload/run.sh
# on the debug kernel (KASAN, lockdep, kmemleak, UBSAN, KUnit, fault injection).
# Same output protocol as run_tests.sh (Documentation/contract-draft.txt):
#   kunit     the KUnit suites built into /payload/kunit/nkvm.ko, run at its load;
#             their KTAP results from dmesg, one TAP line per case
#   the selftests, through run_tests.sh (BOOT=debug), with NKVM_RELOADS reloads
#   kmemleak  a scan after everything was unloaded: one failure per leaked object
# then the dmesg dump (the host fails the run on any kernel report in it) and
# NKVM-DONE.

P=/payload
[ -r $P/env ] && . $P/env
KML=/sys/kernel/debug/kmemleak

section_end() { # name rc
	echo "# END $1 rc=$2"
}

# -- instruments: kmemleak forgets what boot left behind; fault injection is
# armed per task only (fail-nth), never at random, and logs one line per failure.
[ -w $KML ] && echo clear >$KML
for fa in failslab fail_page_alloc; do
	d=/sys/kernel/debug/$fa
	[ -d $d ] || continue
	echo 0 >$d/probability
	echo 1 >$d/verbose
	echo N >$d/ignore-gfp-wait
done
[ -d /sys/kernel/debug/fail_page_alloc ] && {
	echo N >/sys/kernel/debug/fail_page_alloc/ignore-gfp-highmem
	echo 0 >/sys/kernel/debug/fail_page_alloc/min-order
}

# -- KUnit: KTAP in dmesg ("    ok 3 ms_classify" under "# Subtest: nkvm-memslot")
# flattened into one plan of "<suite>.<case>" results.
echo "# BEGIN kunit"
before=$(dmesg | wc -l)
out=$(insmod $P/kunit/nkvm.ko 2>&1)
rc=$?
echo "# insmod kunit/nkvm.ko: rc=$rc $out"
dmesg | tail -n +$((before + 1)) | sed 's/^\[[^]]*\] //' >/tmp/kunit.log
[ $rc = 0 ] && rmmod nkvm
awk '
	/^    # Subtest: / { suite = $NF; next }
	/^        (not )?ok [0-9]+ / { next }		# parameterised sub-cases
	/^    (not ok|ok) [0-9]+ / {
		n++
		st = ($1 == "not") ? "not ok" : "ok"
		name = ($1 == "not") ? $4 : $3
		rest = $0; sub(/^[^#]*/, "", rest)
		line[n] = st " " n " - " suite "." name (rest != "" ? " " rest : "")
		if (st == "not ok" && rest !~ /SKIP/) bad++
		next
	}
	/EXPECTATION FAILED|ASSERTION FAILED/ { print "# " $0 }
	END {
		print "1.." n
		for (i = 1; i <= n; i++) print line[i]
		exit (n == 0 || bad) ? 1 : 0
	}' /tmp/kunit.log
krc=$?
[ $rc = 0 ] || krc=1
section_end kunit $krc

# -- the selftests (module_reload_test reloads the module NKVM_RELOADS times).
NKVM_NO_FINISH=1 BOOT=debug sh $P/run_tests.sh

# -- kmemleak: objects only count once they are older than 5 s and were seen
# unreferenced by a scan; two scans after a pause.
echo "# BEGIN kmemleak"
if [ -w $KML ]; then
	sleep 6
	echo scan >$KML
	echo scan >$KML
	cat $KML >/tmp/kmemleak.txt
	n=$(grep -c '^unreferenced object' /tmp/kmemleak.txt)
	if [ "$n" = 0 ]; then
		echo "1..1"
		echo "ok 1 - kmemleak: no unreferenced object after the run"
	else
		echo "1..$n"
		awk '/^unreferenced object/ { i++; print "not ok " i " - kmemleak: " $0; next }
		     { print "# " $0 }' /tmp/kmemleak.txt
	fi
	[ "$n" = 0 ]
	section_end kmemleak $?
else
	echo "1..0 # SKIP no $KML"
	section_end kmemleak 4
fi

echo "NKVM-DMESG-BEGIN"
dmesg
echo "NKVM-DMESG-END"
echo "NKVM-DONE"
