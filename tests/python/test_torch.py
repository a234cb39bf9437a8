"""PyTorch interop: Model.to_torch() and `seqrec export --format pth` give seqrec's user vectors."""
# to_torch() 的模块与 seqrec 的编码逐个比较（1e-5）：全部向量模型（含 gSASRec、BERT4Rec）、SASRec 的三种 LayerNorm 位置、多层 GRU
# 带投影、长短不一（含空历史、超过 max_len）的左填充批次、已知与未知用户；导出目录 torch.load 可读，
# 它的 seqrec_torch.py 单独载入给出同样的向量；模块可以反向传播（可微调）。
import json
import os
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")  # Debian python3-torch；安装脚本会装上，CI 里不会跳过

import seqrec  # noqa: E402

SEQREC = os.environ.get("SEQREC_BIN", "build/seqrec")

# (名字, train 的参数)
KINDS = [
    ("long_short", ["--model", "long_short", "--dim", "16", "--heads", "2", "--layers", "2", "--ffn-dim", "32"]),
    ("sasrec_paper", ["--model", "sasrec", "--dim", "16", "--heads", "2", "--layers", "2", "--ffn-dim", "16"]),
    ("sasrec_pre", ["--model", "sasrec", "--dim", "16", "--layers", "1", "--ffn-dim", "16", "--norm", "pre"]),
    ("sasrec_post", ["--model", "sasrec", "--dim", "16", "--layers", "1", "--ffn-dim", "16", "--norm", "post"]),
    ("gsasrec", ["--model", "gsasrec", "--dim", "16", "--layers", "1", "--negatives", "20"]),
    ("bert4rec", ["--model", "bert4rec", "--dim", "16", "--heads", "2", "--layers", "2", "--ffn-dim", "32"]),
    ("gru4rec", ["--model", "gru4rec", "--dim", "16", "--hidden", "24", "--layers", "2"]),
    ("lightgcn", ["--model", "lightgcn", "--dim", "16", "--layers", "2"]),
]


def run(*args):
    """Run the seqrec CLI; return its stdout (fail the test with its output otherwise)."""
    p = subprocess.run([SEQREC, *args], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    d = tmp_path_factory.mktemp("torch")
    run("generate", "--out", str(d / "ratings.csv"), "--users", "120", "--items", "80", "--groups", "8", "--mean-length", "12")
    out = {}
    for name, args in KINDS:
        out[name] = str(d / name)
        run("train", "--data", str(d / "ratings.csv"), "--out", out[name], *args, "--max-len", "10", "--epochs", "2",
            "--quiet")
    return out


def batch(m, rng):
    """Histories of many lengths (0, beyond max_len), known and unknown users, as seqrec ids and as tensors."""
    lengths = [0, 1, 2, 5, 9, 10, 11, 25]
    rows = [list(rng.integers(0, len(m.items), size=n)) for n in lengths]
    users = [m.users[3], "nobody", m.users[0], m.users[7], "nobody", m.users[1], m.users[2], "nobody"]
    width = max(lengths)
    items = torch.full((len(rows), width), -1, dtype=torch.long)
    for r, h in enumerate(rows):
        if h:
            items[r, width - len(h):] = torch.tensor(h)
    index = {u: i for i, u in enumerate(m.users)}
    user_rows = torch.tensor([index.get(u, -1) for u in users])
    return [[m.items[i] for i in h] for h in rows], users, items, user_rows


@pytest.mark.parametrize("name", [k for k, _ in KINDS])
def test_to_torch_gives_seqrec_user_vectors(trained, name):
    m = seqrec.load(trained[name])
    net = m.to_torch()
    assert isinstance(net, torch.nn.Module)
    names = set(seqrec.read_safetensors(os.path.join(m.dir, "model.safetensors")))
    assert set(net.state_dict()) == names  # 参数名即 safetensors 的张量名
    ids, users, items, user_rows = batch(m, np.random.default_rng(1))
    want = m.encode(ids, users=users)
    with torch.no_grad():
        got = net(items, user_rows).numpy()
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)
    np.testing.assert_allclose(net.item_vectors().detach().numpy(), m.item_vectors, atol=0, rtol=0)
    # 可以微调：梯度流到物品向量
    net.train()
    net(items, user_rows).pow(2).sum().backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in net.parameters())


def test_export_pth_loads_with_plain_torch(trained, tmp_path):
    m = seqrec.load(trained["sasrec_paper"])
    out = tmp_path / "pth"
    text = run("export", "--model", m.dir, "--format", "pth", "--out", str(out))
    assert "seqrec_torch.load" in text
    assert sorted(os.listdir(out)) == ["item_map.json", "manifest.json", "model.pth", "seqrec_torch.py", "user_map.json"]
    state = torch.load(out / "model.pth")
    assert set(state) == set(seqrec.read_safetensors(os.path.join(m.dir, "model.safetensors")))
    manifest = json.load(open(out / "manifest.json"))
    assert manifest["model"] == m.manifest["model"] and manifest["artifact"] == "pth"
    # 导出目录里的 seqrec_torch.py 单独使用（不经 seqrec 包）
    code = (
        "import sys, torch; sys.path.insert(0, sys.argv[1]); import seqrec_torch\n"
        "net = seqrec_torch.load(sys.argv[1])\n"
        "print(net(torch.tensor([[-1, 0, 1, 2]])).detach().numpy().tolist())\n"
    )
    p = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": ""})
    assert p.returncode == 0, p.stderr
    got = np.array(json.loads(p.stdout))
    np.testing.assert_allclose(got, m.encode([m.items[:3]]), atol=1e-5, rtol=0)
    # 再导出一次替换同一个目录；坏选项报错
    run("export", "--model", m.dir, "--out", str(out))
    p = subprocess.run([SEQREC, "export", "--model", m.dir, "--out", m.dir], capture_output=True, text=True)
    assert p.returncode != 0 and "is the model directory itself" in p.stderr
    p = subprocess.run([SEQREC, "export", "--model", m.dir, "--out", str(tmp_path / "x"), "--format", "onnx"],
                       capture_output=True, text=True)
    assert p.returncode != 0 and "onnx" in p.stderr and not (tmp_path / "x").exists()


def test_read_safetensors_and_errors(trained, tmp_path):
    m = seqrec.load(trained["gru4rec"])
    w = seqrec.read_safetensors(os.path.join(m.dir, "model.safetensors"))
    assert w["item_emb"].dtype == np.float32 and w["item_emb"].shape == (len(m.items) + 1, 16)
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x05\x00")
    with pytest.raises(seqrec.Error, match="not a safetensors file"):
        seqrec.read_safetensors(bad)
    from seqrec import torch_modules

    with pytest.raises(ValueError, match="no PyTorch module"):
        torch_modules.build({"type": "colarec"}, {})
