"""seqrec's vector models as plain PyTorch modules (needs only torch and NumPy).

Every module's parameter names and shapes are exactly the tensors of the model directory's
``model.safetensors`` (and of ``model.pth`` from ``seqrec export --format pth``), and its forward
pass is the one ``seqrec serve`` runs, so ``module(items, users)`` gives the user vectors seqrec
scores items with (``Model.encode``), to about 1e-5.

Inputs of ``forward``:
    items: LongTensor [batch, T] of item rows (row ``i`` is ``Model.items[i]``), oldest first and
        right-aligned: shorter histories are padded on the left with -1. Only the last ``max_len``
        columns are used, as seqrec does.
    users: LongTensor [batch] of user rows (``Model.users``), -1 for a user the model does not know;
        optional (only ``long_short`` and ``lightgcn`` read it).
Output: float32 user vectors [batch, dim]. An item's score is ``vec @ item_vectors()[i]``
(``similarity == "dot"``) or their cosine (``"cosine"``).

This file is also written beside ``model.pth`` by ``seqrec export --format pth``; there
``load(directory)`` builds the module from ``manifest.json`` and loads ``model.pth``.
"""
# 这个文件只依赖 torch 与 NumPy：seqrec export --format pth 把它原样写到导出目录，没有装 seqrec 也能用。
# 每个模块的前向计算与 src/models/*_native.cpp 逐步对应（注释里写明对应关系）；参数名即 safetensors 里的张量名。
import json
import math
import os

import torch
from torch import nn
import torch.nn.functional as F

__all__ = ["LongShortTransformer", "SASRec", "BERT4Rec", "GRU4Rec", "LightGCN", "build", "load", "MODELS"]


def _last(items, max_len):
    """The last max_len columns and the mask of real (non-padding) entries."""
    # 只用最近 max_len 个点击（与 encode 相同）；-1 是左侧的填充。
    items = items[:, -max_len:]
    return items.clamp(min=0), items >= 0


def _attention(q, k, v, heads, allowed):
    """Multi-head scaled dot-product attention; allowed [batch, Tq, Tk] (True = may attend)."""
    b, tq, d = q.shape
    tk = k.shape[1]
    dh = d // heads
    q = q.view(b, tq, heads, dh).transpose(1, 2)
    k = k.view(b, tk, heads, dh).transpose(1, 2)
    v = v.view(b, tk, heads, dh).transpose(1, 2)
    s = (q @ k.transpose(-1, -2)) / math.sqrt(dh)
    s = s.masked_fill(~allowed[:, None], float("-inf"))
    return (s.softmax(-1) @ v).transpose(1, 2).reshape(b, tq, d)


class _Block(nn.Module):
    """The weights of one Transformer layer: ln1, in_proj (Q, K, V stacked), out_proj, ln2, ffn1, ffn2.
    Each model's forward decides where the LayerNorms go (long_short: pre-norm with GELU; SASRec: by
    ``norm``, with ReLU); eps is 1e-5 for long_short and 1e-8 for SASRec, as seqrec trains them."""

    def __init__(self, dim, ffn_dim, eps):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim, eps=eps)
        self.in_proj = nn.Linear(dim, 3 * dim)
        self.out_proj = nn.Linear(dim, dim)
        self.ln2 = nn.LayerNorm(dim, eps=eps)
        self.ffn1 = nn.Linear(dim, ffn_dim)
        self.ffn2 = nn.Linear(ffn_dim, dim)


class LongShortTransformer(nn.Module):
    """The long/short-term Transformer (``model_type`` long_short_transformer).

    Short-term interest: the clicks (item_emb + right-aligned pos_emb) and a query token
    (pos_emb[max_len]) go through pre-norm layers with full (bidirectional) attention and GELU; the
    query token's output after ln_f. Long-term interest: user_emb[user + 1] (row 0 for an unknown
    user). The user vector is their sum."""

    def __init__(self, cfg):
        super().__init__()
        d, f = cfg["dim"], cfg["ffn_dim"]
        self.heads, self.max_len = cfg["heads"], cfg["max_len"]
        self.item_emb = nn.Parameter(torch.zeros(cfg["num_items"] + 1, d))
        self.user_emb = nn.Parameter(torch.zeros(cfg["num_users"] + 1, d))
        self.pos_emb = nn.Parameter(torch.zeros(self.max_len + 1, d))
        self.layers = nn.ModuleList(_Block(d, f, 1e-5) for _ in range(cfg["layers"]))
        self.ln_f = nn.LayerNorm(d, eps=1e-5)

    def forward(self, items, users=None):
        items, real = _last(items, self.max_len)
        b, t = items.shape
        pos = self.pos_emb[self.max_len - t:self.max_len]
        x = torch.cat([self.item_emb[items] + pos, self.pos_emb[self.max_len].expand(b, 1, -1)], 1)
        # 查询 token 与所有真实点击互相可见；填充只看自己（不参与真实位置的计算）
        keys = torch.cat([real, torch.ones(b, 1, dtype=torch.bool)], 1)
        allowed = keys[:, None, :] | torch.eye(t + 1, dtype=torch.bool)[None]
        for layer in self.layers:
            a = layer.ln1(x)
            q, k, v = layer.in_proj(a).chunk(3, -1)
            x = x + layer.out_proj(_attention(q, k, v, self.heads, allowed))
            x = x + layer.ffn2(F.gelu(layer.ffn1(layer.ln2(x))))
        if users is None:
            users = torch.full((b,), -1, dtype=torch.long)
        known = (users >= 0) & (users < self.user_emb.shape[0] - 1)
        return self.ln_f(x[:, -1]) + self.user_emb[torch.where(known, users + 1, torch.zeros_like(users))]

    def item_vectors(self):
        return self.item_emb[:-1]


class SASRec(nn.Module):
    """SASRec (Kang & McAuley 2018): item_emb * sqrt(dim) + right-aligned pos_emb, causal
    self-attention blocks; the user vector is the last position's output.

    ``norm`` (manifest ``model.norm``): ``paper`` (the paper's code: Q = ln1(x), K = V = x,
    y = ln1(x) + attn; x = ln2(y) + ffn(ln2(y)); ln_f at the end), ``pre`` (Q, K, V = ln1(x);
    y = x + attn; x = y + ffn(ln2(y)); ln_f at the end) or ``post`` (ln_f on the input;
    y = ln1(x + attn); x = ln2(y + ffn(y)); no final norm). gSASRec (``type`` gsasrec) scores
    items against a separate output table ``out_emb``."""

    def __init__(self, cfg):
        super().__init__()
        d, f = cfg["dim"], cfg["ffn_dim"]
        self.heads, self.max_len, self.norm = cfg["heads"], cfg["max_len"], cfg.get("norm", "paper")
        self.item_emb = nn.Parameter(torch.zeros(cfg["num_items"] + 1, d))
        self.pos_emb = nn.Parameter(torch.zeros(self.max_len, d))
        self.blocks = nn.ModuleList(_Block(d, f, 1e-8) for _ in range(cfg["layers"]))
        self.ln_f = nn.LayerNorm(d, eps=1e-8)
        # gSASRec 打分用单独的输出嵌入（SASRec 与输入嵌入共用）
        self.out_emb = nn.Parameter(torch.zeros(cfg["num_items"], d)) if cfg["type"] == "gsasrec" else None

    def forward(self, items, users=None):
        items, real = _last(items, self.max_len)
        b, t = items.shape
        d = self.item_emb.shape[1]
        x = self.item_emb[items] * math.sqrt(d) + self.pos_emb[self.max_len - t:]
        # 因果注意力；填充位置作为键被屏蔽，但总能看到自己（免得全被屏蔽的行出现 NaN）
        causal = torch.ones(t, t, dtype=torch.bool).tril()
        allowed = (causal[None] & real[:, None, :]) | torch.eye(t, dtype=torch.bool)[None]
        if self.norm == "post":
            x = self.ln_f(x)
        for blk in self.blocks:
            wq, wk, wv = blk.in_proj.weight.chunk(3, 0)
            bq, bk, bv = blk.in_proj.bias.chunk(3, 0)
            if self.norm == "pre":
                a = blk.ln1(x)
                q_in, kv_in, res = a, a, x
            elif self.norm == "paper":
                a = blk.ln1(x)
                q_in, kv_in, res = a, x, a
            else:
                q_in, kv_in, res = x, x, x
            att = _attention(F.linear(q_in, wq, bq), F.linear(kv_in, wk, bk), F.linear(kv_in, wv, bv), self.heads,
                             allowed)
            y = res + blk.out_proj(att)
            if self.norm == "post":
                y = blk.ln1(y)
                x = blk.ln2(y + blk.ffn2(F.relu(blk.ffn1(y))))
            else:
                z = blk.ln2(y)
                x = (z if self.norm == "paper" else y) + blk.ffn2(F.relu(blk.ffn1(z)))
        out = x[:, -1] if self.norm == "post" else self.ln_f(x[:, -1])
        # 没有点击的用户：零向量（与 encode 相同）
        return torch.where(real.any(1, keepdim=True), out, torch.zeros_like(out))

    def item_vectors(self):
        return self.item_emb[:-1] if self.out_emb is None else self.out_emb


class BERT4Rec(nn.Module):
    """BERT4Rec (Sun et al. 2019): the last ``max_len - 1`` clicks followed by a [MASK] token
    (item_emb row num_items + 1); ln_emb(item_emb + right-aligned pos_emb), post-norm blocks with
    bidirectional attention and GELU (y = ln1(x + attn); x = ln2(y + ffn(y))); the user vector is the
    [MASK] position's ln_head(gelu(head(x)))."""

    def __init__(self, cfg):
        super().__init__()
        d, f = cfg["dim"], cfg["ffn_dim"]
        self.heads, self.max_len, self.num_items = cfg["heads"], cfg["max_len"], cfg["num_items"]
        self.item_emb = nn.Parameter(torch.zeros(self.num_items + 2, d))
        self.pos_emb = nn.Parameter(torch.zeros(self.max_len, d))
        self.ln_emb = nn.LayerNorm(d, eps=1e-5)
        self.blocks = nn.ModuleList(_Block(d, f, 1e-5) for _ in range(cfg["layers"]))
        self.head = nn.Linear(d, d)
        self.ln_head = nn.LayerNorm(d, eps=1e-5)

    def forward(self, items, users=None):
        items, real = _last(items, self.max_len - 1)
        b = items.shape[0]
        # 历史之后接一个 [MASK]（它的输出就是查询向量）；[MASK] 与真实点击互相可见，填充只看自己
        items = torch.cat([items, torch.full((b, 1), self.num_items + 1, dtype=items.dtype)], 1)
        real_all = torch.cat([real, torch.ones(b, 1, dtype=torch.bool)], 1)
        t = items.shape[1]
        x = self.ln_emb(self.item_emb[items] + self.pos_emb[self.max_len - t:])
        allowed = real_all[:, None, :] | torch.eye(t, dtype=torch.bool)[None]
        for blk in self.blocks:
            q, k, v = blk.in_proj(x).chunk(3, -1)
            y = blk.ln1(x + blk.out_proj(_attention(q, k, v, self.heads, allowed)))
            x = blk.ln2(y + blk.ffn2(F.gelu(blk.ffn1(y))))
        out = self.ln_head(F.gelu(self.head(x[:, -1])))
        # 没有点击的用户：零向量（与 encode 相同）
        return torch.where(real.any(1, keepdim=True), out, torch.zeros_like(out))

    def item_vectors(self):
        return self.item_emb[:-2]


class GRU4Rec(nn.Module):
    """GRU4Rec (Hidasi et al.): item_emb through a ``layers``-deep GRU (torch.nn.GRU's gates); the
    user vector is the last step's hidden state, through ``proj`` when ``hidden`` differs from dim."""

    def __init__(self, cfg):
        super().__init__()
        d = cfg["dim"]
        h = cfg.get("hidden") or d
        self.max_len = cfg["max_len"]
        self.item_emb = nn.Parameter(torch.zeros(cfg["num_items"] + 1, d))
        self.gru = nn.GRU(d, h, cfg["layers"], batch_first=True)
        self.proj = nn.Linear(h, d) if h != d else None

    def forward(self, items, users=None):
        items, real = _last(items, self.max_len)
        lengths = real.sum(1)
        b, t = items.shape
        # 左填充 → 右填充（每行向左移 t - 长度），再按长度打包：GRU 只走真实的点击
        shift = (torch.arange(t)[None] + (t - lengths)[:, None]) % t
        x = self.item_emb[items.gather(1, shift)]
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths.clamp(min=1), batch_first=True, enforce_sorted=False)
        _, h_n = self.gru(packed)
        out = h_n[-1]
        if self.proj is not None:
            out = self.proj(out)
        return torch.where((lengths > 0)[:, None], out, torch.zeros_like(out))

    def item_vectors(self):
        return self.item_emb[:-1]


class LightGCN(nn.Module):
    """LightGCN (He et al. 2020) after propagation: a known user's vector is its row of user_table;
    anyone else's is the mean of item_table over their last max_len clicks (fold-in)."""

    def __init__(self, cfg):
        super().__init__()
        self.max_len = cfg["max_len"]
        self.user_table = nn.Parameter(torch.zeros(cfg["num_users"], cfg["dim"]))
        self.item_table = nn.Parameter(torch.zeros(cfg["num_items"], cfg["dim"]))

    def forward(self, items, users=None):
        items, real = _last(items, self.max_len)
        w = real.to(self.item_table.dtype)
        fold_in = (self.item_table[items] * w[..., None]).sum(1) / w.sum(1, keepdim=True).clamp(min=1)
        if users is None:
            return fold_in
        known = (users >= 0) & (users < self.user_table.shape[0])
        return torch.where(known[:, None], self.user_table[users.clamp(min=0, max=self.user_table.shape[0] - 1)], fold_in)

    def item_vectors(self):
        return self.item_table


# manifest 的 model.type → 模块
MODELS = {"long_short": LongShortTransformer, "sasrec": SASRec, "gsasrec": SASRec, "bert4rec": BERT4Rec,
          "gru4rec": GRU4Rec, "lightgcn": LightGCN}


def build(config, state_dict):
    """The module for a manifest's ``model`` section (``type``, ``dim``, ...) with these weights
    (names and shapes must match exactly)."""
    kind = config.get("type")
    if kind not in MODELS:
        raise ValueError(f"model type {kind!r} has no PyTorch module here (vector models: {', '.join(MODELS)})")
    module = MODELS[kind](config)
    module.load_state_dict(state_dict, strict=True)
    return module.eval()


def load(directory):
    """Load an export of ``seqrec export --format pth``: the module described by its manifest.json
    with the weights of model.pth."""
    with open(os.path.join(directory, "manifest.json"), encoding="utf-8") as f:
        config = json.load(f)
    return build(config["model"], torch.load(os.path.join(directory, "model.pth")))
