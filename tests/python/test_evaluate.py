"""seqrec.evaluate, seqrec.covisit and seqrec.candidates give what the command line gives."""
# 评估与会话候选的 Python 接口：与命令行的 --json / 输出文件逐项相同；DataFrame 与文件给出相同的结果；
# 坏输入抛出 seqrec.Error，消息与命令行相同。
import json
import os
import subprocess

import pandas as pd
import pytest

import seqrec

SEQREC = os.environ.get("SEQREC_BIN", "build/seqrec")


def run(*args):
    """Run the seqrec CLI; return its stdout (fail the test with its output otherwise)."""
    p = subprocess.run([SEQREC, *args], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


def strip_volatile(j):
    """An eval result without its timings (they differ between two runs)."""
    j = dict(j)
    j.pop("seconds", None)
    if "models" in j:
        j["models"] = [{k: v for k, v in m.items() if k != "seconds"} for m in j["models"]]
    return j


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("ev")
    run("generate", "--out", str(d / "ratings.csv"), "--users", "150", "--items", "90", "--groups", "8", "--mean-length", "12")
    out = {}
    for kind, extra in (("sasrec", ["--ffn-dim", "16"]), ("gru4rec", ["--hidden", "16"])):
        out[kind] = str(d / kind)
        run("train", "--data", str(d / "ratings.csv"), "--out", out[kind], "--model", kind, "--dim", "16", *extra,
            "--layers", "1", "--max-len", "10", "--epochs", "2", "--quiet")
    out["ratings"] = str(d / "ratings.csv")
    return out


def test_evaluate_is_eval_json(models):
    cli = json.loads(run("eval", "--model", models["sasrec"], "--json", "--ks", "5,10"))
    ev = seqrec.evaluate(models["sasrec"], ks=[5, 10])
    assert isinstance(ev, seqrec.Evaluation) and isinstance(ev, dict)
    assert strip_volatile(ev) == strip_volatile(cli)
    # 载入的 Model 与目录相同；其他选项按名字传给命令行
    ev2 = seqrec.evaluate(seqrec.load(models["sasrec"]), ks=[5, 10], protocol="sampled", negatives=20, seed=3)
    cli2 = json.loads(run("eval", "--model", models["sasrec"], "--json", "--ks", "5,10", "--protocol", "sampled",
                          "--negatives", "20", "--seed", "3"))
    assert strip_volatile(ev2) == strip_volatile(cli2)
    frame = ev.to_frame()
    assert list(frame.index) == [models["sasrec"], "most-popular"]
    assert frame.loc["most-popular", "NDCG@10"] == pytest.approx(cli["most_popular"]["NDCG@10"])
    assert frame.loc[models["sasrec"], "HR@5"] == pytest.approx(cli["model"]["HR@5"])


def test_compare_models_in_one_table(models):
    ev = seqrec.evaluate([models["sasrec"], models["gru4rec"]], ks=[10], split="valid")
    cli = json.loads(run("eval", "--model", models["sasrec"], "--model", models["gru4rec"], "--json", "--ks", "10",
                         "--split", "valid"))
    assert strip_volatile(ev) == strip_volatile(cli)
    frame = ev.to_frame()
    assert list(frame.index) == [models["sasrec"], models["gru4rec"], "most-popular"]
    assert "NDCG@10" in frame.columns and "HR@10" in frame.columns


def test_evaluate_on_a_dataframe(models, tmp_path):
    df = pd.read_csv(models["ratings"], dtype={"user_id": str, "item_id": str})
    m = seqrec.train(df, tmp_path / "m", model="sasrec", dim=16, ffn_dim=16, layers=1, max_len=10, epochs=1,
                     quiet=True, progress=False)
    # DataFrame 训练的模型：它的临时 CSV 已删除，不给数据时说清楚该怎么办
    with pytest.raises(seqrec.Error, match="trained on a pandas DataFrame"):
        seqrec.evaluate(m)
    ev = seqrec.evaluate(m, data=df, ks=[10])
    cli = json.loads(run("eval", "--model", m.dir, "--data", models["ratings"], "--json", "--ks", "10"))
    assert ev["model"] == cli["model"] and ev["most_popular"] == cli["most_popular"]


def test_evaluate_bad_input(models):
    with pytest.raises(seqrec.Error, match="--split must be test or valid"):
        seqrec.evaluate(models["sasrec"], split="train")
    with pytest.raises(seqrec.Error, match="protocl"):
        seqrec.evaluate(models["sasrec"], protocl="full")
    with pytest.raises(seqrec.Error, match="--negatives applies to --protocol sampled"):
        seqrec.evaluate(models["sasrec"], negatives=10)
    with pytest.raises(seqrec.Error, match="no-such"):
        seqrec.evaluate("/tmp/no-such-model-dir")
    with pytest.raises(seqrec.Error, match="--model is required"):
        seqrec.evaluate(None)


@pytest.fixture(scope="module")
def sessions(tmp_path_factory):
    d = tmp_path_factory.mktemp("sess")
    path = str(d / "sessions.jsonl")
    run("generate-sessions", "--out", path, "--sessions", "600", "--items", "400")
    rows = [(s["session"], e["aid"], e["ts"], e["type"]) for s in map(json.loads, open(path)) for e in s["events"]]
    return path, pd.DataFrame(rows, columns=["session", "aid", "ts", "type"]), d


def test_covisit_from_a_dataframe_equals_the_cli(sessions):
    path, df, d = sessions
    cv = seqrec.covisit(df, d / "cv_df", ts_unit="ms", top_m=10)
    run("covisit", "--data", path, "--out", str(d / "cv_cli"), "--top-m", "10")
    cli = seqrec.Covisit(d / "cv_cli")
    for name in ("clicks", "carts_orders", "buy2buy"):
        t = cv.table(name)
        assert list(t.columns) == ["aid", "neighbour", "weight"]
        pd.testing.assert_frame_equal(t, cli.table(name))
    t = cv.table("clicks")
    assert len(t) > 0 and t.groupby("aid").size().max() <= 10
    # 每个物品的邻居按权重从高到低
    assert all((g["weight"].diff().dropna() <= 0).all() for _, g in t.groupby("aid"))
    with pytest.raises(seqrec.Error, match="table must be"):
        cv.table("views")
    with pytest.raises(seqrec.Error, match="--top-m"):
        seqrec.covisit(df, d / "bad", ts_unit="ms", top_m=0)


def test_candidates_equal_the_cli_csv(sessions):
    path, df, d = sessions
    run("covisit", "--data", path, "--out", str(d / "cv"))
    c = seqrec.candidates(df, covisit=d / "cv", k=20, ts_unit="ms", candidates=30)
    run("candidates", "--data", path, "--covisit", str(d / "cv"), "--out", str(d / "c.csv"), "--candidates", "30")
    cli = pd.read_csv(d / "c.csv", dtype={"source": str, "list": str})
    assert list(c.columns) == ["session", "aid", "score", "source", "list"]
    pd.testing.assert_frame_equal(c, cli)
    assert set(c["list"]) == {"clicks", "buys"} and c.groupby(["session", "list"]).size().max() <= 30
    sub = seqrec.candidates(path, covisit=seqrec.Covisit(d / "cv"), submission=d / "sub.csv")
    assert len(sub) > 0 and open(d / "sub.csv").readline().strip() == "session_type,labels"
    with pytest.raises(seqrec.Error, match="no --covisit directory"):
        seqrec.candidates(df, ts_unit="ms")
