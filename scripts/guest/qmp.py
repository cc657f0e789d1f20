#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""nkvm: a small QMP client for make check-qemu's rows (runs inside the test VM).

usage: qmp.py SOCKET COMMAND [JSON-ARGUMENTS]
         run one QMP command, print its answer (JSON; text as it is)
       qmp.py SOCKET migrate URI [--set NAME=VALUE]... [--wait SECONDS] [--quit]
         set migration parameters, start the migration, and with --wait poll
         query-migrate until it is completed (exit 0) or failed/cancelled/timed out
         (exit 1), printing its statistics as name=value; --quit ends QEMU after.
"""

import json
import socket
import sys
import time


class Qmp:
    def __init__(self, path, timeout=30):
        end = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > end:
                    raise
                time.sleep(0.2)
        self.file = self.sock.makefile("rw")
        self.read()  # the greeting
        self.cmd("qmp_capabilities")

    def read(self):
        line = self.file.readline()
        if not line:
            raise EOFError("QEMU closed the QMP connection")
        return json.loads(line)

    def cmd(self, name, args=None):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.file.write(json.dumps(msg) + "\n")
        self.file.flush()
        while True:
            ans = self.read()
            if "event" in ans:
                continue
            if "error" in ans:
                raise RuntimeError("%s: %s" % (name, ans["error"].get("desc", ans)))
            return ans.get("return")


def number(text):
    try:
        return int(text)
    except ValueError:
        return text


def migrate(q, uri, opts):
    params, wait, quit_after = {}, 0, False
    i = 0
    while i < len(opts):
        if opts[i] == "--set":
            name, _, value = opts[i + 1].partition("=")
            params[name] = number(value)
            i += 2
        elif opts[i] == "--wait":
            wait = float(opts[i + 1])
            i += 2
        elif opts[i] == "--quit":
            quit_after = True
            i += 1
        else:
            sys.exit("qmp.py: unknown option " + opts[i])
    if params:
        q.cmd("migrate-set-parameters", params)
    start = time.monotonic()
    q.cmd("migrate", {"uri": uri})
    status = "started"
    info = {}
    while wait and time.monotonic() - start < wait:
        info = q.cmd("query-migrate")
        status = info.get("status", "?")
        if status in ("completed", "failed", "cancelled"):
            break
        time.sleep(0.5)
    ram = info.get("ram", {})
    stats = {
        "status": status,
        "total-time": info.get("total-time"),
        "downtime": info.get("downtime"),
        "transferred": ram.get("transferred"),
        "dirty-sync-count": ram.get("dirty-sync-count"),
    }
    print(" ".join("%s=%s" % (k, v) for k, v in stats.items() if v is not None))
    if info.get("error-desc"):
        print("error: " + info["error-desc"])
    if quit_after:
        try:
            q.cmd("quit")
        except (EOFError, OSError):
            pass
    return 0 if status == "completed" or not wait else 1


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    q = Qmp(argv[1])
    if argv[2] == "migrate":
        return migrate(q, argv[3], argv[4:])
    args = json.loads(argv[3]) if len(argv) > 3 else None
    ans = q.cmd(argv[2], args)
    # a monitor command's text as it is, anything else as JSON
    print(ans if isinstance(ans, str) else json.dumps(ans))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except (OSError, EOFError, RuntimeError) as err:
        sys.exit("qmp.py: %s" % err)
