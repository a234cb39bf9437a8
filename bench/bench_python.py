#!/usr/bin/env python3
"""Benchmark (not a test): top-10 for every ML-1M user from Python, three ways (issue 47).

  1. seqrec: Model.recommend_batch (encode + scan + top-k in C++, threads, no GIL);
  2. HTTP: the same requests through `seqrec serve`'s POST /recommend/batch (256 per call, one client);
  3. NumPy scoring: Model.encode (seqrec's forward pass) then NumPy scores the exported item vectors,
     masks the history and takes the top 10 (argpartition + sort);
  4. PyTorch end to end: Model.to_torch()'s forward pass on padded batches of 256, scores against the
     exported item vectors, history masked, torch.topk (torch.no_grad, THREADS intra-op threads).
Prints wall seconds (best of REPEAT) and users/s for each, and checks that they agree.

Usage: bench/bench_python.py [--epochs 3] [--threads 2] [--repeat 3]
Needs ../shared/data/ml-1m-seq (skips without it) and PYTHONPATH=build/python (or scripts/install_python.sh).
"""
# Python 包的速度：ML-1M 的全部 6,040 个用户各要 top-10。模型在 ml-1m-seq 的训练序列上用命令行训练（SASRec，
# --max-len 200，少量轮数：这里量的是速度，不是精度）；历史 = 每个用户的训练序列。
import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "..", "shared", "data", "ml-1m-seq", "train", "input.txt")
SEQREC = os.path.join(ROOT, "build", "seqrec")


def best(fn, repeat):
    """Best wall time of fn() over repeat runs, and its last result."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--port", type=int, default=18397)
    a = ap.parse_args()
    if not os.path.exists(DATA):
        print(f"bench_python: {DATA} not found (../shared/data is not here); skipped")
        return
    sys.path.insert(0, os.path.join(ROOT, "build", "python"))
    import seqrec

    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    print(f"commit {commit}, {os.cpu_count()} cores, {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}")
    work = tempfile.mkdtemp(prefix="seqrec-bench-py-")
    model_dir = os.path.join(work, "model")
    subprocess.run([SEQREC, "train", "--data", DATA, "--format", "seq-plain", "--model", "sasrec", "--max-len", "200",
                    "--epochs", str(a.epochs), "--threads", str(a.threads), "--out", model_dir, "--quiet"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    m = seqrec.load(model_dir)
    users = [str(i + 1) for i, _ in enumerate(open(DATA))]
    hist = [line.split() for line in open(DATA)]
    n = len(hist)
    print(f"model: sasrec, {len(m.items)} items, dim {m.item_vectors.shape[1]}, {n} users, "
          f"mean history {sum(map(len, hist)) / n:.0f} (the model reads the last 200)")

    # 1. seqrec
    t1, (ids, scores) = best(lambda: m.recommend_batch(hist, k=10, users=users, threads=a.threads), a.repeat)

    # 2. HTTP（同一个模型，同样的请求）
    # 启动并等到就绪：与 replay.py 共用它的 Server（这里只用它的启动；计时的请求体事先编码好）。
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from replay import Server

    log = open(os.path.join(work, "serve.log"), "w")
    srv = Server(SEQREC, ["--model", model_dir], a.port, log).proc
    try:
        bodies = [json.dumps({"requests": [{"user_id": users[i], "recent_clicks": hist[i], "top_k": 10}
                                           for i in range(s, min(n, s + 256))]}) for s in range(0, n, 256)]

        def http_all():
            c = http.client.HTTPConnection("127.0.0.1", a.port)
            out = []
            for b in bodies:
                c.request("POST", "/recommend/batch", b, {"Content-Type": "application/json"})
                r = c.getresponse()
                out += [x["recommended_item_ids"] for x in json.loads(r.read())["results"]]
            return out

        t2, http_ids = best(http_all, a.repeat)
    finally:
        srv.terminate()
        srv.wait()
    agree = sum(list(ids[i]) == http_ids[i] for i in range(n))

    # 3. seqrec 编码 + NumPy 打分
    v = m.item_vectors
    index = {it: i for i, it in enumerate(m.items)}
    seen = [np.array([index[x] for x in h if x in index]) for h in hist]

    def numpy_scoring():
        q = m.encode(hist, users=users, threads=a.threads)
        s = q @ v.T
        for i, h in enumerate(seen):
            s[i, h] = -np.inf
        top = np.argpartition(-s, 10, axis=1)[:, :10]
        order = np.argsort(-np.take_along_axis(s, top, 1), axis=1, kind="stable")
        return np.take_along_axis(top, order, 1)

    t3, top = best(numpy_scoring, a.repeat)

    # 4. PyTorch：to_torch() 的前向 + 打分 + 屏蔽历史 + topk，整批在 PyTorch 里（张量事先建好，不计时）
    import torch

    torch.set_num_threads(a.threads)
    net = m.to_torch()
    vt = torch.from_numpy(np.array(v))  # 一份可写的副本（item_vectors 是只读视图）
    user_index = {u: i for i, u in enumerate(m.users)}
    chunks = []
    for s0 in range(0, n, 256):
        rows = seen[s0:s0 + 256]
        width = min(max(len(h) for h in rows), 200)
        items = torch.full((len(rows), width), -1, dtype=torch.long)
        mask = torch.zeros((len(rows), len(m.items)), dtype=torch.bool)
        for r, h in enumerate(rows):
            tail = h[-width:]
            if len(tail):
                items[r, width - len(tail):] = torch.from_numpy(tail)
            mask[r, torch.from_numpy(h.astype(np.int64))] = True
        us = torch.tensor([user_index.get(u, -1) for u in users[s0:s0 + 256]])
        chunks.append((items, us, mask))

    def torch_all():
        out = []
        with torch.no_grad():
            for items, us, mask in chunks:
                sc = net(items, us) @ vt.T
                out.append(sc.masked_fill(mask, float("-inf")).topk(10, dim=1).indices)
        return torch.cat(out).numpy()

    t4, ttop = best(torch_all, a.repeat)
    print()
    print("| way | wall s (best of %d) | users/s |" % a.repeat)
    print("|---|---|---|")
    print(f"| seqrec `Model.recommend_batch` ({a.threads} threads) | {t1:.3f} | {n / t1:,.0f} |")
    print(f"| `seqrec serve` POST /recommend/batch, 256 per call, one client | {t2:.3f} | {n / t2:,.0f} |")
    print(f"| `Model.encode` + NumPy scoring of the exported vectors | {t3:.3f} | {n / t3:,.0f} |")
    print(f"| PyTorch: `Model.to_torch()` forward + scoring + `topk`, batches of 256 | {t4:.3f} | {n / t4:,.0f} |")
    print(f"\nseqrec is {t4 / t1:.1f}x the PyTorch implementation")
    print(f"\nseqrec and HTTP give the same top-10 for {agree} of {n} users")
    same = sum(list(ids[i]) == [m.items[j] for j in top[i]] for i in range(n))
    print(f"NumPy scoring gives the same top-10 as seqrec for {same} of {n} users")
    same = sum(list(ids[i]) == [m.items[j] for j in ttop[i]] for i in range(n))
    print(f"PyTorch gives the same top-10 as seqrec for {same} of {n} users (ties and 1e-6 rounding may reorder)")


if __name__ == "__main__":
    main()
