"""Multi-process training: `seqrec launch` and `seqrec train --world-size/--rank/--master` over Gloo."""
# 多进程数据并行：2 个进程 × 1 线程与 1 个进程 × 2 线程训练出同样的模型（分片与 dropout 种子只取决于全局分片号）；
# 3 个进程与 3 个线程在浮点误差内相同；一组进程的续训与不中断的训练相同；一个进程被杀，整组报错停下、
# 不留下模型；选项错误有清楚的消息。
import json
import os
import re
import signal
import subprocess
import time

import numpy as np
import pytest

import seqrec

SEQREC = os.environ.get("SEQREC_BIN", "build/seqrec")


def run(*args, ok=True):
    p = subprocess.run([SEQREC, *args], capture_output=True, text=True, timeout=600)
    if ok:
        assert p.returncode == 0, p.stdout + p.stderr
    return p


@pytest.fixture(scope="module")
def ratings(tmp_path_factory):
    d = tmp_path_factory.mktemp("dist")
    run("generate", "--out", str(d / "r.csv"), "--users", "300", "--items", "120", "--groups", "8", "--mean-length", "14")
    return str(d / "r.csv")


def weights(model_dir):
    return seqrec.read_safetensors(os.path.join(model_dir, "model.safetensors"))


def max_diff(a, b):
    assert set(a) == set(b)
    return max(float(np.abs(a[k].astype(np.float64) - b[k]).max()) for k in a)


TRAIN = ["--model", "sasrec", "--dim", "16", "--ffn-dim", "16", "--layers", "1", "--max-len", "12", "--batch", "64",
         "--epochs", "2", "--quiet"]


def test_two_processes_equal_two_threads(ratings, tmp_path):
    run("train", "--data", ratings, "--out", str(tmp_path / "one"), "--threads", "2", *TRAIN)
    p = run("launch", "--nproc", "2", "--", "train", "--data", ratings, "--out", str(tmp_path / "two"), "--threads", "1", *TRAIN)
    assert "all 2 processes finished" in p.stderr
    # 两个分片的和在两种情形下按同样的顺序相加：逐位相同
    assert max_diff(weights(tmp_path / "one"), weights(tmp_path / "two")) == 0.0
    m = json.load(open(tmp_path / "two" / "manifest.json"))
    d = m["training_result"]["distributed"]
    assert d["world_size"] == 2 and d["threads_per_process"] == 1 and d["allreduce_bytes_per_step"] > 0
    assert "2 x 1 contiguous row shards" in d["batch_split"]
    # 导出的模型与别的模型一样能用
    r = json.loads(run("recommend", "--model", str(tmp_path / "two"), "--clicks", "1,2,3", "-k", "5").stdout)
    assert len(r["recommended_item_ids"]) == 5


def test_three_processes_equal_three_threads_within_rounding(ratings, tmp_path):
    args = ["--model", "gru4rec", "--dim", "16", "--hidden", "16", "--max-len", "12", "--batch", "64", "--epochs", "2",
            "--quiet"]
    run("train", "--data", ratings, "--out", str(tmp_path / "one"), "--threads", "3", *args)
    run("launch", "--nproc", "3", "--", "train", "--data", ratings, "--out", str(tmp_path / "three"), "--threads", "1", *args)
    # 三个分片的梯度之和：all-reduce 的相加次序可能不同，只差浮点舍入（两轮 Adam 之后仍在 1e-5 以内）
    assert max_diff(weights(tmp_path / "one"), weights(tmp_path / "three")) < 1e-5


def test_group_resume_equals_an_uninterrupted_run(ratings, tmp_path):
    base = ["launch", "--nproc", "2", "--", "train", "--data", ratings, "--threads", "1", *TRAIN]
    run(*base, "--out", str(tmp_path / "full"))
    p = run(*base, "--out", str(tmp_path / "part"), "--stop-after-epoch", "1")
    assert os.path.exists(str(tmp_path / "part") + ".ckpt")
    run(*base, "--out", str(tmp_path / "part"), "--resume")
    assert max_diff(weights(tmp_path / "full"), weights(tmp_path / "part")) == 0.0
    assert not os.path.exists(str(tmp_path / "part") + ".ckpt")


def start_long_group(ratings, out, timeout_s):
    """A 2-process launch of a long training; returns it and its ranks' pids once they are joining."""
    p = subprocess.Popen([SEQREC, "launch", "--nproc", "2", "--", "train", "--data", ratings, "--out", str(out),
                          "--threads", "1", "--dist-timeout", str(timeout_s), *TRAIN[:-3], "--epochs", "200",
                          "--no-checkpoint"], stderr=subprocess.PIPE, text=True)
    pids = None
    for line in p.stderr:
        m = re.search(r"pids of ranks 0\.\.1: (\d+) (\d+)", line)
        if m:
            pids = [int(m.group(1)), int(m.group(2))]
        if pids and "joining the process group" in line:
            break
    return p, pids


def test_a_killed_rank_stops_the_group_without_a_model(ratings, tmp_path):
    out = tmp_path / "m"
    p, pids = start_long_group(ratings, out, 20)
    time.sleep(3)  # 训练中
    os.kill(pids[1], signal.SIGKILL)
    err = p.stderr.read()
    assert p.wait(timeout=120) != 0
    assert "rank 1 was killed by signal 9" in err, err  # 根因（被杀的进程），而不是随后因断连退出的 rank 0
    assert not out.exists()


def test_bad_distributed_options(ratings, tmp_path):
    p = run("train", "--data", ratings, "--out", str(tmp_path / "x"), "--world-size", "2", "--rank", "2", ok=False)
    assert p.returncode != 0 and "--rank must be in [0, world size 2)" in p.stderr
    p = run("train", "--data", ratings, "--out", str(tmp_path / "x"), "--world-size", "2", "--master", "nohost", ok=False)
    assert "--master must be HOST:PORT" in p.stderr
    p = run("launch", "--nproc", "2", "--", "eval", "--model", "x", ok=False)
    assert "give the training command after --" in p.stderr
    # 另一个进程永远不来：在 --dist-timeout 内报错，而不是挂住
    t0 = time.time()
    p = run("train", "--data", ratings, "--out", str(tmp_path / "x"), "--world-size", "2", "--rank", "0",
            "--master", "127.0.0.1:29731", "--dist-timeout", "3", ok=False)
    assert p.returncode != 0 and "cannot join the process group" in p.stderr and time.time() - t0 < 60
    assert not (tmp_path / "x").exists()


def test_two_network_namespaces_need_only_tcp(ratings, tmp_path):
    # 两个网络命名空间（测试自己建、自己删），之间只有一对 veth 与 10.77.x 地址：rank 0 与 rank 1 各在一边，
    # 只靠 TCP 通信；结果与单进程 2 线程逐位相同。需要 root 与 iproute2（CI 以 root 运行）。
    if os.geteuid() != 0 or subprocess.run(["ip", "netns", "list"], capture_output=True).returncode != 0:
        pytest.skip("needs root and iproute2 to make network namespaces")
    tag = f"sq{os.getpid() % 100000}"
    ns = [f"{tag}a", f"{tag}b"]
    sh = lambda *a: subprocess.run(a, check=True, capture_output=True)
    try:
        for n in ns:
            sh("ip", "netns", "add", n)
        sh("ip", "link", "add", f"{tag}0", "type", "veth", "peer", "name", f"{tag}1")
        for i, n in enumerate(ns):
            sh("ip", "link", "set", f"{tag}{i}", "netns", n)
            sh("ip", "-n", n, "addr", "add", f"10.77.0.{i + 1}/24", "dev", f"{tag}{i}")
            sh("ip", "-n", n, "link", "set", f"{tag}{i}", "up")
            sh("ip", "-n", n, "link", "set", "lo", "up")
        procs = []
        for i, n in enumerate(ns):
            env = dict(os.environ, GLOO_SOCKET_IFNAME=f"{tag}{i}")
            procs.append(subprocess.Popen(
                ["ip", "netns", "exec", n, SEQREC, "train", "--data", ratings, "--out", str(tmp_path / f"m{i}"),
                 "--threads", "1", "--world-size", "2", "--rank", str(i), "--master", "10.77.0.1:29577",
                 "--dist-timeout", "60", *TRAIN], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        outs = [p.communicate(timeout=300) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outs
        assert not (tmp_path / "m1").exists()  # 只有 rank 0 导出
        run("train", "--data", ratings, "--out", str(tmp_path / "one"), "--threads", "2", *TRAIN)
        assert max_diff(weights(tmp_path / "one"), weights(tmp_path / "m0")) == 0.0
    finally:
        for n in ns:
            subprocess.run(["ip", "netns", "del", n], capture_output=True)


def test_colarec_two_processes_equal_two_threads(ratings, tmp_path):
    # 生成式模型：语义 ID 与内容记号在每个进程里以同样的方式算出，训练循环同上；只有 rank 0 评估（束搜索）与导出
    items = sorted({line.split(",")[1] for line in open(ratings).read().splitlines()[1:]}, key=int)
    content = tmp_path / "content.json"
    content.write_text(json.dumps({i: f"gadget model{i} for group{int(i) % 6} brand{int(i) % 4}" for i in items}))
    run("train", "--data", ratings, "--out", str(tmp_path / "lg"), "--model", "lightgcn", "--epochs", "2", "--dim", "8",
        "--quiet")
    args = ["--model", "colarec", "--content", str(content), "--sid-from", str(tmp_path / "lg"), "--sid-k", "4",
            "--sid-levels", "3", "--vocab-size", "40", "--tokenizer", "word", "--epochs", "2", "--dim", "16",
            "--heads", "2", "--ffn-dim", "32", "--layers", "1", "--dec-layers", "1", "--max-len", "5", "--beam", "10",
            "--quiet"]
    run("train", "--data", ratings, "--out", str(tmp_path / "one"), "--threads", "2", *args)
    run("launch", "--nproc", "2", "--", "train", "--data", ratings, "--out", str(tmp_path / "two"), "--threads", "1", *args)
    assert max_diff(weights(tmp_path / "one"), weights(tmp_path / "two")) == 0.0
    m = json.load(open(tmp_path / "two" / "manifest.json"))
    assert m["model_type"] == "colarec" and m["training_result"]["distributed"]["world_size"] == 2


def test_a_hung_rank_stops_the_group_within_the_timeout(ratings, tmp_path):
    # 一个进程卡住（SIGSTOP：还活着但不再回应）：其余进程在 --dist-timeout 内报错，launch 把卡住的进程杀掉
    out = tmp_path / "m"
    p, pids = start_long_group(ratings, out, 5)
    time.sleep(3)
    t0 = time.time()
    os.kill(pids[1], signal.SIGSTOP)
    err = p.stderr.read()
    assert p.wait(timeout=120) != 0
    assert time.time() - t0 < 60
    assert "rank 0: all-reduce of" in err and "timeout 5 s" in err
    assert "launch: rank 0 exited with status 1" in err
    assert not out.exists()
