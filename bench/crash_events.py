#!/usr/bin/env python3
"""kill -9 the server while it ingests events; count acknowledged events that were lost.

Usage: bench/crash_events.py [ROUNDS] [SEQREC]    (ROUNDS default 50; SEQREC default build/seqrec)
"""
# 崩溃安全的检查（issue 46）：每一轮启动 seqrec serve --store，四个客户端线程不停地 POST /events
# （每批 1–20 个事件，每个事件有唯一的 event_id），随机 0.2–1.0 秒后 kill -9 服务进程；重启之后
# 用 GET /users/{id}/history 读回全部事件，检查每个得到 2xx 的事件都在（被确认的一个都不能丢），
# 并统计没被确认但也存下的事件（允许：提交了但回答没送到）。重启必须不需要任何人工步骤。
# 只用 Python 标准库；ctest 的 events_crash 跑少量轮次，docs/BENCHMARKS.md 记下 50 轮的结果。
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 50
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEQREC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.path.join(ROOT, "build", "seqrec")
USERS = 8  # 每轮的用户数（用户名带轮次，每轮只读自己的用户）


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start(model, store, port, log):
    p = subprocess.Popen([SEQREC, "serve", "--model", model, "--store", store, "--port", str(port),
                          "--history-len", "10000", "--max-batch", "256"], stdout=log, stderr=log)
    for _ in range(300):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/health/ready")
            if c.getresponse().status == 200:
                return p
        except OSError:
            pass
        if p.poll() is not None:
            raise SystemExit(f"seqrec serve exited with {p.returncode} at start (see its log)")
        time.sleep(0.05)
    raise SystemExit("seqrec serve did not become ready")


def sender(port, tag, rnd, acked, attempted, stop):
    rng = random.Random(tag)
    n = 0
    conn = None
    while not stop.is_set():
        batch = []
        for _ in range(rng.randint(1, 20)):
            n += 1
            eid = f"{tag}-{n}"
            batch.append({"user_id": f"r{rnd}u{rng.randrange(USERS)}", "item_id": str(rng.randrange(50)), "event_id": eid})
        attempted.update(e["event_id"] for e in batch)
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("POST", "/events", json.dumps({"events": batch}), {"Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            if 200 <= r.status < 300:
                acked.update(e["event_id"] for e in batch)
        except (OSError, http.client.HTTPException):
            conn = None
            if stop.is_set():
                break
            time.sleep(0.01)


def stored_ids(port, rnd):
    """The event ids stored for round rnd's users (each round has its own users, so a history stays short)."""
    ids = set()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for u in range(USERS):
        c.request("GET", f"/users/r{rnd}u{u}/history")
        body = json.loads(c.getresponse().read())
        ids.update(e["event_id"] for e in body["events"])
    return ids


def main():
    tmp = tempfile.mkdtemp(prefix="seqrec-crash-")
    try:
        subprocess.run([SEQREC, "generate", "--out", f"{tmp}/r.csv", "--users", "300", "--items", "200"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run([SEQREC, "train", "--data", f"{tmp}/r.csv", "--out", f"{tmp}/model", "--epochs", "1",
                        "--dim", "16", "--ffn-dim", "32", "--max-len", "8", "--quiet"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        store = f"{tmp}/store"
        log = open(f"{tmp}/serve.log", "ab")
        lost_total = acked_total = sent_total = unacked_stored = 0
        t0 = time.time()
        for rnd in range(ROUNDS):
            port = free_port()
            p = start(f"{tmp}/model", store, port, log)
            stop = threading.Event()
            acked, attempted = set(), set()
            threads = [threading.Thread(target=sender, args=(port, f"r{rnd}t{t}", rnd, acked, attempted, stop))
                       for t in range(4)]
            for t in threads:
                t.start()
            time.sleep(random.uniform(0.2, 1.0))
            p.send_signal(signal.SIGKILL)
            p.wait()
            stop.set()
            for t in threads:
                t.join()
            # 重启（不做任何修复），读回全部事件
            port = free_port()
            p = start(f"{tmp}/model", store, port, log)
            have = stored_ids(port, rnd)
            p.send_signal(signal.SIGTERM)
            p.wait()
            lost = acked - have
            lost_total += len(lost)
            acked_total += len(acked)
            sent_total += len(attempted)
            unacked_stored += len(have - acked)
            if lost:
                print(f"round {rnd}: {len(lost)} acknowledged events lost, e.g. {sorted(lost)[:3]}")
        print(f"crash_events: {ROUNDS} kill -9 rounds in {time.time() - t0:.0f}s; {sent_total} events sent, "
              f"{acked_total} acknowledged, {unacked_stored} stored without an acknowledgement (committed, answer "
              f"cut off), {lost_total} acknowledged events lost")
        return 1 if lost_total else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
