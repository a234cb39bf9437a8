"""Evaluates the seed004_flask peer (../shared/peers/seed004_flask) under seqrec's protocol.

Used by bench/bench_foundation.sh only (the peer is Python; seqrec itself is not).
  peer_eval.py split   RATINGS OUT_TRAIN OUT_TEST   # leave-one-out: last interaction per user held out
  peer_eval.py eval    PEER_DIR ARTIFACTS OUT_TRAIN OUT_TEST
Ranking: every item, pessimistic ties (items scoring >= the target count as ahead of it),
the same as `seqrec eval`. Scored by cosine similarity (as the peer's app serves) and by
inner product (its training objective); a held-out item the peer never saw counts as a miss.
"""
import json, math, sys
import numpy as np
import pandas as pd

def split(ratings, out_train, out_test):
    df = pd.read_csv(ratings)
    df = df.rename(columns={"userId": "user_id", "movieId": "item_id"})[["user_id", "item_id", "timestamp"]]
    df = df.sort_values(["user_id", "timestamp"], kind="stable")
    last = df.groupby("user_id").tail(1)
    df.drop(last.index).to_csv(out_train, index=False)
    last.to_csv(out_test, index=False)
    print(json.dumps({"train_rows": len(df) - len(last), "test_rows": len(last)}))

def evaluate(peer_dir, art, train_csv, test_csv):
    sys.path.insert(0, peer_dir)
    import torch
    from model import SeqRecModel
    cfg = json.load(open(f"{art}/config.json"))
    umap = json.load(open(f"{art}/user_map.json"))
    imap = json.load(open(f"{art}/item_map.json"))
    m = SeqRecModel(cfg["num_users"], cfg["num_items"], d_model=cfg["d_model"], nhead=cfg["nhead"],
                    dim_feedforward=cfg["dim_feedforward"], max_len=cfg["max_len"])
    m.load_state_dict(torch.load(f"{art}/model.pth"))
    m.eval()
    tr = pd.read_csv(train_csv).sort_values(["user_id", "timestamp"], kind="stable")
    te = pd.read_csv(test_csv)
    hist = {u: g.item_id.tolist() for u, g in tr.groupby("user_id", sort=False)}
    E = m.item_emb.weight[: cfg["num_items"]].detach()
    En = torch.nn.functional.normalize(E, dim=1)
    res = {"cosine": [], "dot": []}
    L, pad = cfg["max_len"], cfg["num_items"]
    with torch.no_grad():
        for u, target in zip(te.user_id, te.item_id):
            clicks = [imap[str(i)] for i in hist.get(u, []) if str(i) in imap][-L:]
            t = imap.get(str(target))
            for k in res:
                if t is None or str(u) not in umap or not clicks:
                    res[k].append(10**9)
                    continue
                seq = torch.tensor([[pad] * (L - len(clicks)) + clicks])
                q = m.get_user_embedding(torch.tensor([umap[str(u)]]), seq)[0]
                s = (En @ torch.nn.functional.normalize(q, dim=0)) if k == "cosine" else (E @ q)
                res[k].append(int((s >= s[t]).sum().item()) - 1)
    out = {}
    for k, ranks in res.items():
        r = np.array(ranks)
        out[k] = {"HR@10": float((r < 10).mean()),
                  "NDCG@10": float(np.where(r < 10, 1.0 / np.log2(np.minimum(r, 10) + 2.0), 0.0).mean()),
                  "users": len(r)}
    print(json.dumps(out))

if __name__ == "__main__":
    if sys.argv[1] == "split":
        split(*sys.argv[2:5])
    else:
        evaluate(*sys.argv[2:6])
