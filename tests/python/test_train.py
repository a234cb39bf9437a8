"""seqrec.train: the `seqrec train` command in-process, from a file or a pandas DataFrame."""
# 训练：与命令行同一个子命令。同一份数据以文件或 DataFrame 给出、同一个种子，得到逐位相同的权重；
# 每轮的回调收到 train_log.jsonl 的那一行；拼错的选项与坏值抛出 seqrec.Error（命令行的消息）。
import os
import subprocess

import numpy as np
import pytest

import seqrec

SEQREC = os.environ.get("SEQREC_BIN", "build/seqrec")
ARCH = dict(model="sasrec", dim=16, ffn_dim=16, layers=1, max_len=10, epochs=2, threads=1, quiet=True)


@pytest.fixture(scope="module")
def ratings(tmp_path_factory):
    d = tmp_path_factory.mktemp("train")
    path = d / "ratings.csv"
    subprocess.run([SEQREC, "generate", "--out", str(path), "--users", "100", "--items", "60", "--groups", "6",
                    "--mean-length", "10"], check=True, capture_output=True)
    return path


def test_file_and_dataframe_give_the_same_model(ratings, tmp_path):
    pd = pytest.importorskip("pandas")
    epochs = []
    m1 = seqrec.train(ratings, tmp_path / "a", progress=epochs.append, **ARCH)
    assert isinstance(m1, seqrec.Model) and m1.manifest["model_type"] == "sasrec"
    assert [e["epoch"] for e in epochs] == [1, 2]
    assert "loss" in epochs[0] and "valid_NDCG@10" in epochs[-1]
    df = pd.read_csv(ratings, dtype={"user_id": str, "item_id": str})
    m2 = seqrec.train(df, tmp_path / "b", **ARCH)
    np.testing.assert_array_equal(m1.item_vectors, m2.item_vectors)
    a = open(tmp_path / "a" / "model.safetensors", "rb").read()
    b = open(tmp_path / "b" / "model.safetensors", "rb").read()
    assert a == b
    # 与命令行训练出的相同（同样的选项与种子）
    subprocess.run([SEQREC, "train", "--data", str(ratings), "--out", str(tmp_path / "c"), "--model", "sasrec",
                    "--dim", "16", "--ffn-dim", "16", "--layers", "1", "--max-len", "10", "--epochs", "2",
                    "--threads", "1", "--quiet"], check=True, capture_output=True)
    assert open(tmp_path / "c" / "model.safetensors", "rb").read() == a


def test_bad_options_raise_the_cli_errors(ratings, tmp_path):
    with pytest.raises(seqrec.Error, match="max-lenn"):
        seqrec.train(ratings, tmp_path / "x", max_lenn=5)
    with pytest.raises(seqrec.Error, match="--epochs"):
        seqrec.train(ratings, tmp_path / "x", epochs=0)
    with pytest.raises(seqrec.Error, match="missing"):
        seqrec.train(tmp_path / "missing.csv", tmp_path / "x")
    with pytest.raises(seqrec.Error, match="leave the option out"):
        seqrec.train(ratings, tmp_path / "x", lr=None)
    assert not os.path.exists(tmp_path / "x")


def test_tqdm_bar_by_default(ratings, tmp_path, capsys):
    # progress 没给且装了 tqdm 时：每轮一格的进度条（写到 stderr）；progress=False 什么也不显示。
    pytest.importorskip("tqdm")
    seqrec.train(ratings, tmp_path / "t", **ARCH)
    err = capsys.readouterr().err
    assert "seqrec.train" in err and "2/2" in err and "loss=" in err
    seqrec.train(ratings, tmp_path / "u", progress=False, **ARCH)
    assert "seqrec.train" not in capsys.readouterr().err
