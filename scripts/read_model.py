#!/usr/bin/env python3
"""Read a seqrec model directory with NumPy alone (docs/MODELS.md, "Reading a model directory").

Usage: python3 scripts/read_model.py MODEL_DIR
"""
# 只用标准库与 NumPy 读取 seqrec 的模型目录：model.safetensors 的全部张量、item_embeddings.npy、
# 映射与 manifest；再按模型的相似度（内积或余弦）为 queries.npy 的第一条查询算出 top-10，
# 与 `seqrec serve` 的打分方式相同。tests/check_read_model.sh 在一个新训练的小模型上运行它。
import json
import struct
import sys

import numpy as np


def read_safetensors(path):
    """Return (metadata, {name: float32 array}) of a safetensors file."""
    # 文件头：8 字节小端的头长度，接着是 JSON 头（每个张量的 dtype、shape、data_offsets），然后是数据。
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, t in header.items():
        if t["dtype"] != "F32":
            raise ValueError(f"{path}: tensor {name} has dtype {t['dtype']}, expected F32")
        begin, end = t["data_offsets"]
        tensors[name] = np.frombuffer(data[begin:end], dtype="<f4").reshape(t["shape"])
    return meta, tensors


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else "model"
    manifest = json.load(open(f"{d}/manifest.json"))
    meta, weights = read_safetensors(f"{d}/model.safetensors")
    items = np.load(f"{d}/item_embeddings.npy")  # [num_items, dim]：第 i 行是下标为 i 的物品
    item_index = json.load(open(f"{d}/item_map.json"))  # 外部 ID -> 行号
    item_id = {row: ext for ext, row in item_index.items()}
    print(f"model_type {manifest['model_type']}, {len(weights)} tensors, items {items.shape}")
    for name in sorted(weights)[:5]:
        print(f"  {name} {list(weights[name].shape)}")
    if manifest["model_type"] == "colarec":
        return  # 生成式模型靠束搜索检索，没有 queries.npy
    # 与服务相同的打分：内积；similarity 为 cosine 时先把查询与物品都归一化。名次相同的按下标升序。
    q = np.load(f"{d}/queries.npy")[0]
    vecs = items
    if manifest["model"]["similarity"] == "cosine":
        vecs = items / np.linalg.norm(items, axis=1, keepdims=True)
        q = q / np.linalg.norm(q)
    top = np.argsort(-(vecs @ q), kind="stable")[:10]
    print("top-10 for the first query in queries.npy:", [item_id[int(i)] for i in top])


if __name__ == "__main__":
    main()
