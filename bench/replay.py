#!/usr/bin/env python3
# 基准程序（不是测试）：重放评估（issue 46 的主要指标）。把一个带时间戳的真实数据集按时间顺序重放给两个
# seqrec serve：一个“冻结”（一直用最初的模型），一个“在线”（每 N 个事件经质量门重新训练一次，通过就热加载）。
# 每个事件到来之前，先按用户 ID 向两个服务要前 10 个推荐，看这个事件的物品在不在里面（前序评估，
# prequential HR@10 / NDCG@10），然后把事件 POST /events 给两个服务。
#
# 步骤：数据按时间排序 → 前 --initial（默认 50%）训练最初的模型（seqrec train）并写进两个服务的存储 →
# 其余的按时间重放，微批里每个用户一个事件（至多 500 个）：先 /recommend/batch 问，再 /events 写；
# 与逐个事件重放的结果完全相同（见 main 里的说明）。在线服务每 --retrain-every 个
# 事件调用一次 POST /admin/retrain {"wait": true}（重放等它结束：结果只取决于数据与重新训练的时刻，
# 与机器快慢无关），记下质量门的结论与耗时。
#
# 输出：终端上的结果表（命令与提交在表头）、--out 目录里的 replay.json（每个窗口与每次重新训练），
# 装了 matplotlib（Debian 的 python3-matplotlib）时再画 --plot 的 PNG。
# 用法：bench/replay.py --data ../shared/data/ml-latest-small/ratings.csv --name ml-latest-small
import argparse
import csv
import http.client
import json
import math
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_args():
    p = argparse.ArgumentParser(description="prequential replay: frozen model vs retrained behind the quality gate")
    p.add_argument("--data", required=True, help="CSV with user, item and Unix-seconds time columns")
    p.add_argument("--name", required=True, help="name in the table and file names")
    p.add_argument("--seqrec", default=os.path.join(ROOT, "build", "seqrec"))
    p.add_argument("--work", default=None, help="work directory (default /tmp/seqrec_replay_<name>)")
    p.add_argument("--initial", type=float, default=0.5, help="fraction of the events (by time) the first model learns")
    p.add_argument("--retrains", type=int, default=10, help="retrain this many times, evenly over the replay")
    p.add_argument("--train-args", default="--model sasrec", help="seqrec train options of the first model")
    p.add_argument("--retrain-epochs", type=int, default=0, help="serve --retrain-epochs (0 = the model's)")
    p.add_argument("--windows", type=int, default=20, help="points on the curve")
    p.add_argument("--port", type=int, default=18600)
    p.add_argument("--plot", default=None, help="write the curves to this PNG (needs matplotlib)")
    return p.parse_args()


def read_events(path):
    """(用户, 物品, 毫秒时间戳)，按时间稳定排序。列名按常见的写法找。"""
    with open(path, newline="") as f:
        r = csv.reader(f)
        head = next(r)
        def col(names):
            for n in names:
                if n in head:
                    return head.index(n)
            sys.exit(f"replay: {path}: no column among {names} in the header {head}")
        u, i, t = col(["user_id", "userId", "user"]), col(["item_id", "movieId", "item"]), col(["timestamp", "time", "ts"])
        ev = [(row[u], row[i], int(float(row[t]) * 1000)) for row in r if row]
    ev.sort(key=lambda e: e[2])
    return ev


class Server:
    """一个 seqrec serve 进程与到它的持久连接。"""

    def __init__(self, seqrec, args, port, log):
        self.port = port
        self.proc = subprocess.Popen([seqrec, "serve", "--port", str(port)] + args, stdout=log, stderr=log)
        for _ in range(600):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", "/health/ready")
                if c.getresponse().status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            sys.exit(f"replay: the server on port {port} did not become ready (see {log.name})")
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)

    def post(self, path, body, token=None):
        h = {"Content-Type": "application/json"}
        if token:
            h["Authorization"] = "Bearer " + token
        for attempt in (0, 1):
            try:
                self.conn.request("POST", path, json.dumps(body), h)
                r = self.conn.getresponse()
                data = r.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # 服务关掉了空闲太久的连接（另一个服务重新训练时这个连接一直空着）：重连再发一次。
                # 事件带 event_id，重发也只存一次。
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=3600)
                if attempt:
                    raise
        if r.status != 200:
            sys.exit(f"replay: POST {path} on port {self.port} answered {r.status}: {data[:500]!r}")
        return json.loads(data)

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def post_events(servers, events):
    for k in range(0, len(events), 1000):
        body = {"events": [{"user_id": u, "item_id": i, "ts": t, "event_id": f"{u}|{i}|{t}"} for u, i, t in events[k:k + 1000]]}
        for s in servers:
            s.post("/events", body)


def score(result, item):
    """（命中，NDCG）：目标在前 10 个里的位置。"""
    ids = result["recommended_item_ids"]
    if item in ids:
        return 1.0, 1.0 / math.log2(ids.index(item) + 2)
    return 0.0, 0.0


def main():
    a = parse_args()
    if not os.path.exists(a.data):
        print(f"replay: {a.data} is not there (the datasets live in ../shared/data); skipped")
        return
    work = a.work or f"/tmp/seqrec_replay_{a.name}"
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    events = read_events(a.data)
    n0 = int(len(events) * a.initial)
    first, rest = events[:n0], events[n0:]
    with open(os.path.join(work, "initial.csv"), "w") as f:
        f.write("user_id,item_id,timestamp\n")
        for u, i, t in first:
            f.write(f"{u},{i},{t // 1000}\n")
    t0 = time.time()
    train = [a.seqrec, "train", "--data", os.path.join(work, "initial.csv"), "--out", os.path.join(work, "m0"), "--quiet"]
    train += a.train_args.split()
    with open(os.path.join(work, "train.log"), "w") as tl:
        if subprocess.run(train, stdout=tl, stderr=tl).returncode != 0:
            sys.exit(f"replay: training the first model failed (see {work}/train.log)")
    train_s = time.time() - t0
    log = open(os.path.join(work, "serve.log"), "w")
    common = ["--model", os.path.join(work, "m0"), "--max-batch", "1000"]
    frozen = Server(a.seqrec, common + ["--store", os.path.join(work, "store_frozen")], a.port, log)
    live_args = common + ["--store", os.path.join(work, "store_live"), "--admin-token", "replay",
                          "--retrain-dir", os.path.join(work, "live_models")]
    if a.retrain_epochs:
        live_args += ["--retrain-epochs", str(a.retrain_epochs)]
    live = Server(a.seqrec, live_args, a.port + 1, log)
    try:
        post_events([frozen, live], first)
        every = max(1, len(rest) // (a.retrains + 1))
        win = max(1, len(rest) // a.windows)
        stats = {"frozen": [0.0, 0.0], "retrained": [0.0, 0.0]}
        windows, retrains = [], []
        cur = {"frozen": [0.0, 0.0], "retrained": [0.0, 0.0], "n": 0}
        done = 0
        batch = []

        def flush():
            nonlocal done
            if not batch:
                return
            reqs = {"requests": [{"user_id": u, "recent_clicks": [], "top_k": 10} for u, _, _ in batch]}
            rf = frozen.post("/recommend/batch", reqs)["results"]
            rl = live.post("/recommend/batch", reqs)["results"]
            for (u, i, t), x, y in zip(batch, rf, rl):
                for name, res in (("frozen", x), ("retrained", y)):
                    h, g = score(res, i)
                    stats[name][0] += h
                    stats[name][1] += g
                    cur[name][0] += h
                    cur[name][1] += g
                cur["n"] += 1
                if cur["n"] == win:
                    windows.append({"end_event": done + 1, "end_ts": t, "cases": win,
                                    "frozen": [cur["frozen"][0] / win, cur["frozen"][1] / win],
                                    "retrained": [cur["retrained"][0] / win, cur["retrained"][1] / win]})
                    cur["frozen"], cur["retrained"], cur["n"] = [0.0, 0.0], [0.0, 0.0], 0
                done += 1
            post_events([frozen, live], batch)
            batch.clear()

        t_replay = time.time()
        # 重新训练把重放切成几段；每段里反复取“每个用户最早的一个待处理事件”组成微批（至多 500 个）。
        # 同一用户的事件保持先后，不同用户之间的次序可以交换：一个用户的推荐只取决于他自己的历史与模型，
        # 而模型只在两段之间才换，所以结果与逐个事件重放完全相同。
        bounds = [every * (k + 1) for k in range(a.retrains)] + [len(rest)]
        pos = 0
        for seg_end in bounds:
            pending = rest[pos:seg_end]
            pos = seg_end
            while pending:
                seen, later = set(), []
                for e in pending:
                    if len(batch) < 500 and e[0] not in seen:
                        batch.append(e)
                        seen.add(e[0])
                    else:
                        later.append(e)
                flush()
                pending = later
            if seg_end == len(rest):
                break
            t1 = time.time()
            r = live.post("/admin/retrain", {"wait": True}, token="replay")
            gate = r.get("gate", {})
            retrains.append({"after_event": done, "result": r.get("result"), "seconds": time.time() - t1,
                             "candidate": gate.get("candidate"), "current": gate.get("current"),
                             "error": r.get("error")})
            print(f"replay: retrain after {done} events: {r.get('result')} "
                  f"(candidate {gate.get('candidate')}, current {gate.get('current')}, {time.time() - t1:.1f} s)",
                  file=sys.stderr)
        replay_s = time.time() - t_replay
    finally:
        frozen.stop()
        live.stop()
    n = len(rest)
    out = {"data": a.data, "name": a.name, "commit": commit, "events": len(events), "initial_events": n0,
           "replayed_events": n, "train_args": a.train_args, "retrain_epochs": a.retrain_epochs,
           "first_model_train_seconds": train_s, "replay_seconds": replay_s,
           "frozen": {"HR@10": stats["frozen"][0] / n, "NDCG@10": stats["frozen"][1] / n},
           "retrained": {"HR@10": stats["retrained"][0] / n, "NDCG@10": stats["retrained"][1] / n},
           "retrains": retrains, "windows": windows}
    with open(os.path.join(work, "replay.json"), "w") as f:
        json.dump(out, f, indent=1)
    secs = [r["seconds"] for r in retrains]
    promoted = sum(1 for r in retrains if r["result"] == "promoted")
    print(f"commit {commit}; bench/replay.py --data {a.data} --name {a.name} --initial {a.initial} "
          f"--retrains {a.retrains} --train-args '{a.train_args}'" +
          (f" --retrain-epochs {a.retrain_epochs}" if a.retrain_epochs else ""))
    print(f"{len(events)} events, first model on {n0} ({train_s:.0f} s), {n} replayed")
    print("| data | service | prequential HR@10 | NDCG@10 | retrains (promoted) | retrain s (mean / max) |")
    print("|---|---|---|---|---|---|")
    print(f"| {a.name} | frozen | {out['frozen']['HR@10']:.4f} | {out['frozen']['NDCG@10']:.4f} | – | – |")
    print(f"| {a.name} | retrained behind the gate | {out['retrained']['HR@10']:.4f} | {out['retrained']['NDCG@10']:.4f} "
          f"| {len(retrains)} ({promoted}) | {sum(secs) / max(1, len(secs)):.1f} / {max(secs, default=0):.1f} |")
    print(f"details: {work}/replay.json")
    if a.plot:
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            print("replay: no matplotlib (apt-get install python3-matplotlib); no plot written")
            return
        x = [w["end_event"] for w in windows]
        fig, ax = plt.subplots(figsize=(6.4, 3.2), dpi=100)
        ax.plot(x, [w["frozen"][0] for w in windows], label=f"frozen (HR@10 {out['frozen']['HR@10']:.3f})")
        ax.plot(x, [w["retrained"][0] for w in windows], label=f"retrained (HR@10 {out['retrained']['HR@10']:.3f})")
        for r in retrains:
            ax.axvline(r["after_event"], color="grey" if r["result"] == "promoted" else "red", lw=0.5, ls=":")
        ax.set_xlabel("replayed events (dotted: retrains; red: refused by the gate)")
        ax.set_ylabel(f"HR@10 per {win} events")
        ax.set_title(f"{a.name}: prequential replay")
        ax.legend(loc="best", fontsize=8)
        fig.tight_layout()
        fig.savefig(a.plot)
        print(f"plot: {a.plot}")


if __name__ == "__main__":
    main()
