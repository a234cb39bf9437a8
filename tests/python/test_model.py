"""seqrec's Python package: models loaded from a directory answer as the CLI and the service do.

Run by ctest (python_package) with PYTHONPATH=build/python and SEQREC_BIN=build/seqrec.
"""
# Python 包的测试：一个用命令行训练的小模型；载入、推荐（与 seqrec recommend 逐字相同）、批量推荐
# （与逐个推荐相同）、编码（用户向量 · 物品向量 = 服务的得分）、物品向量不复制、坏输入抛出 seqrec.Error。
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import seqrec

SEQREC = os.environ.get("SEQREC_BIN", "build/seqrec")


def run(*args):
    """Run the seqrec CLI; return its stdout (fail the test with its output otherwise)."""
    p = subprocess.run([SEQREC, *args], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("py")
    run("generate", "--out", str(d / "ratings.csv"), "--users", "120", "--items", "80", "--groups", "8", "--mean-length", "12")
    run("train", "--data", str(d / "ratings.csv"), "--out", str(d / "model"), "--model", "sasrec",
        "--dim", "16", "--ffn-dim", "16", "--layers", "1", "--max-len", "10", "--epochs", "2", "--quiet")
    return str(d / "model")


@pytest.fixture(scope="module")
def model(model_dir):
    return seqrec.load(model_dir)


def test_version_and_load(model, model_dir):
    assert seqrec.__version__ == run("--version").split()[1]  # "seqrec 0.1.0 (commit ...)"
    assert model.dir.rstrip("/") == model_dir.rstrip("/")
    assert model.manifest["model_type"] == "sasrec"
    assert repr(model).startswith("<seqrec.Model sasrec ") and model.version in repr(model)
    items = json.load(open(os.path.join(model_dir, "item_map.json")))
    assert sorted(model.items, key=lambda i: items[i]) == model.items
    assert len(model.items) == len(items)
    assert len(model.users) == len(json.load(open(os.path.join(model_dir, "user_map.json"))))


def test_recommend_is_the_cli_answer(model, model_dir):
    clicks = model.items[:3]
    for user in (model.users[0], None, "nobody"):
        args = ["recommend", "--model", model_dir, "--clicks", ",".join(clicks), "-k", "7"]
        if user is not None:
            args += ["--user", user]
        cli = json.loads(run(*args))
        assert model.recommend(user, clicks, k=7) == cli
    r = model.recommend(None, [], k=5)
    assert r["strategy"] == "most_popular"
    r = model.recommend(model.users[1], clicks + ["no-such-item"], k=5, exclude=False, deny=[model.items[4]])
    assert r["unknown_clicks"] == ["no-such-item"]
    assert model.items[4] not in r["recommended_item_ids"]
    allowed = model.items[10:13]
    assert set(model.recommend(None, clicks, k=3, allow=allowed)["recommended_item_ids"]) == set(allowed)
    assert model.recommend(None, [int(i) for i in clicks if i.isdigit()], k=3)  # integer ids are accepted


def test_recommend_batch_matches_single_requests(model):
    hist = [model.items[i:i + 4] for i in range(0, 40, 4)] + [[]]
    ids, scores = model.recommend_batch(hist, k=6, threads=3)
    assert ids.shape == (len(hist), 6) and scores.shape == (len(hist), 6)
    assert scores.dtype == np.float32
    for row, h in enumerate(hist):
        one = model.recommend(None, h, k=6)
        assert list(ids[row]) == one["recommended_item_ids"]
        np.testing.assert_allclose(scores[row], one["scores"], rtol=1e-6)
    users = model.users[:len(hist)]
    ids_u, _ = model.recommend_batch(hist, k=6, users=users, threads=1)
    assert list(ids_u[0]) == model.recommend(users[0], hist[0], k=6)["recommended_item_ids"]


def test_encode_times_item_vectors_is_the_score(model, model_dir):
    v = model.item_vectors
    np.testing.assert_array_equal(v, np.load(os.path.join(model_dir, "item_embeddings.npy")))
    assert not v.flags.owndata and not v.flags.writeable  # 借用模型的内存，只读
    hist = [model.items[:5], model.items[5:7]]
    q = model.encode(hist, threads=2)
    assert q.shape == (2, v.shape[1]) and q.dtype == np.float32
    for row, h in enumerate(hist):
        r = model.recommend(None, h, k=5, exclude=False)
        s = v @ q[row]
        if model.manifest["model"].get("similarity") == "cosine":
            s = s / np.maximum(np.linalg.norm(v, axis=1) * np.linalg.norm(q[row]), 1e-12)
        top = [model.items[i] for i in np.argsort(-s, kind="stable")[:5]]
        assert top == r["recommended_item_ids"]
        np.testing.assert_allclose(np.sort(s)[::-1][:5], r["scores"], rtol=1e-4, atol=1e-5)


def test_bad_input_raises_seqrec_error_with_the_cli_message(model, tmp_path):
    assert issubclass(seqrec.Error, ValueError)
    with pytest.raises(seqrec.Error) as e:
        seqrec.load(tmp_path / "missing")
    cli = subprocess.run([SEQREC, "recommend", "--model", str(tmp_path / "missing")], capture_output=True, text=True)
    assert cli.returncode != 0
    assert str(e.value) in cli.stderr
    with pytest.raises(seqrec.Error, match="k must be between 1 and 1000"):
        model.recommend(None, [], k=0)
    with pytest.raises(seqrec.Error, match="not a single string"):
        model.recommend(None, "abc")
    with pytest.raises(seqrec.Error, match="str or int ids"):
        model.recommend(None, [1.5])
    with pytest.raises(seqrec.Error, match="users has 1 ids but histories has 2 rows"):
        model.recommend_batch([[], []], users=["a"])
    with pytest.raises(seqrec.Error, match="precision"):
        seqrec.load(model.dir, precision="int4")


def test_docs_walkthrough_runs_as_written(model_dir, tmp_path, capsys):
    # docs/PYTHON.md 的 Python 代码块按顺序在同一个命名空间里运行（数据换成这里生成的，/tmp/py-* 换成临时目录）。
    pytest.importorskip("pandas")
    import re
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    text = open(os.path.join(root, "docs", "PYTHON.md"), encoding="utf-8").read()
    code = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(code) >= 4
    ns = {}
    run("generate-sessions", "--out", str(tmp_path / "py-sessions.jsonl"), "--sessions", "300", "--items", "200")
    for block in code:
        block = block.replace("/tmp/py-ratings.csv", os.path.join(os.path.dirname(model_dir), "ratings.csv"))
        exec(compile(block.replace("/tmp/py-", str(tmp_path / "py-")), "docs/PYTHON.md", "exec"), ns)
    out = capsys.readouterr().out
    assert "error:" in out and "no-such-model" in out


def test_ctrl_c_interrupts_a_long_batch(model_dir):
    # 一个很长的批量推荐在后台线程里算（没有 GIL）；SIGINT 在下一轮之间变成 KeyboardInterrupt。
    import signal
    import time
    script = (
        "import sys, seqrec\n"
        f"m = seqrec.load({model_dir!r})\n"
        "h = [m.items[:8]] * 3000000\n"
        "print('ready', flush=True)\n"
        "m.recommend_batch(h, k=10)\n"
        "print('finished', flush=True)\n"
    )
    p = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    time.sleep(1.0)
    t0 = time.time()
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert "KeyboardInterrupt" in err, err[-2000:]
    assert "finished" not in out
    assert time.time() - t0 < 20
