"""seqrec: sequential and generative recommenders, trained and served by one C++ library.

The same code answers here, in the ``seqrec`` command and in ``seqrec serve``::

    import seqrec
    m = seqrec.load("model")                      # a directory written by `seqrec train`
    m.recommend("42", ["593", "318"], k=10)       # the dict POST /recommend answers
    ids, scores = m.recommend_batch([["593"], ["1", "2"]], k=10)   # NumPy arrays [n, k]
    vecs = m.encode([["593"]])                    # user vectors [n, dim]
    m.item_vectors                                # [items, dim], no copy
    seqrec.evaluate(m).to_frame()                 # the figures of `seqrec eval --json`

Errors raise ``seqrec.Error`` (a ``ValueError``) with the command line's messages.
See docs/PYTHON.md.
"""
# 纯 Python 的外层：C++ 扩展（_seqrec）做全部工作，这里只补文档、类型与便利的写法。
from ._seqrec import Error, Model, __version__
from ._seqrec import load as _load
from ._seqrec import covisit_table as _covisit_table
from ._seqrec import run_command as _run_command

import os as _os
import shutil as _shutil
import tempfile as _tempfile

__all__ = ["Error", "Model", "Evaluation", "Covisit", "load", "read_safetensors", "train", "evaluate", "covisit", "candidates",
           "__version__"]


def load(model_dir, index="auto", precision="int8"):
    """Load a model directory (checksums verified, as ``seqrec serve`` does).

    Args:
        model_dir: a directory written by ``seqrec train`` (or ``retrain``).
        index: ``"auto"`` uses a FAISS index in the directory if there is one, ``"exact"`` never.
        precision: how the exact scan reads item vectors, as ``seqrec serve --precision``:
            ``"int8"`` (default; re-ranks in fp32, so the same answers as ``"fp32"``), ``"fp32"``
            or ``"fp16"`` (approximate scores).

    Returns:
        A :class:`Model`.
    """
    return _load(str(model_dir), index, precision)


def read_safetensors(path):
    """The tensors of a ``model.safetensors`` file as a dict of NumPy arrays (no copy: memory-mapped,
    read-only). Only NumPy is needed; seqrec writes float32 tensors."""
    # safetensors 格式：8 字节小端的头长度、JSON 头（名字 → dtype、shape、data_offsets），然后是数据。
    import json
    import struct

    import numpy as np

    path = _os.fspath(path)
    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32, "U8": np.uint8}
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise Error(f"{path}: not a safetensors file (shorter than its 8-byte header length)")
        (n,) = struct.unpack("<Q", head)
        header = json.loads(f.read(n)) if n < (1 << 27) else None
    if not isinstance(header, dict):
        raise Error(f"{path}: not a safetensors file (bad header)")
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + n)
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        if t.get("dtype") not in dtypes:
            raise Error(f"{path}: tensor {name!r} has dtype {t.get('dtype')!r}, not one this reader knows")
        begin, end = t["data_offsets"]
        out[name] = data[begin:end].view(dtypes[t["dtype"]]).reshape(t["shape"])
    return out


def _to_torch(self):
    """This model as a ``torch.nn.Module`` (``seqrec.torch_modules``) holding a copy of the exported
    weights: ``module(items, users)`` gives the same user vectors as :meth:`encode` (to about 1e-5),
    with ``items`` a LongTensor [batch, T] of item rows (``self.items`` order), oldest first, padded
    on the left with -1, and ``users`` a LongTensor of user rows (-1 = unknown). The parameter names
    are the tensor names of ``model.safetensors``; fine-tune it as any module. Vector models only
    (colarec generates items by beam search). Needs PyTorch (Debian ``python3-torch``)."""
    import torch

    from . import torch_modules

    config = self.manifest["model"]
    if config.get("type") not in torch_modules.MODELS:
        raise Error(f"{self.dir}: model type {config.get('type')!r} has no PyTorch module (vector models only: "
                    f"{', '.join(torch_modules.MODELS)}; colarec generates items by beam search)")
    weights = read_safetensors(_os.path.join(self.dir, "model.safetensors"))
    return torch_modules.build(config, {k: torch.tensor(v) for k, v in weights.items()})


def _train_log(self):
    """The training log (``train_log.jsonl``) as a list of dicts, one per epoch: ``epoch``, ``loss``,
    ``samples_per_second`` and, on evaluated epochs, ``valid_HR@10``, ``valid_NDCG@10``, ...
    Empty for a model directory without a log."""
    import json

    path = _os.path.join(self.dir, "train_log.jsonl")
    if not _os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


Model.to_torch = _to_torch
Model.train_log = property(_train_log)


def _flag_args(options):
    """Keyword options -> `seqrec train` flags: max_len=200 -> --max-len 200, quiet=True -> --quiet,
    bucket=False -> --no-bucket, ks=[5, 10] -> --ks 5,10."""
    # 名字照命令行的写法换算；命令行不认识的选项由它报错（带 did you mean），这里不猜。
    out = []
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        if value is None:
            raise Error(f"{key}=None: leave the option out to get its default")
        if value is True:
            out.append(flag)
        elif value is False:
            out.append("--no-" + key.replace("_", "-"))
        elif isinstance(value, (list, tuple)):
            out += [flag, ",".join(str(v) for v in value)]
        else:
            out += [flag, str(value)]
    return out


def train(data, out, model=None, progress=None, **options):
    """Train a model exactly as ``seqrec train`` does, and return it loaded.

    Args:
        data: a file path (any format ``seqrec train --data`` reads) or a pandas DataFrame with
            ``user_id``, ``item_id`` and ``timestamp`` columns (and optionally ``rating``; other names
            with ``user_col=...`` etc.). A DataFrame is written to a temporary CSV, so it gives the same
            model as that CSV file.
        out: the model directory to write (replaced atomically, as by the command line).
        model: the model kind (``long_short``, ``sasrec``, ``gsasrec``, ``bert4rec``, ``gru4rec``, ``lightgcn``, ``colarec``);
            None = the command line's default.
        progress: called after every epoch with that epoch's record (the ``train_log.jsonl`` line as
            a dict: epoch, loss, samples_per_second, valid_HR@10, valid_NDCG@10, ...). None (default)
            shows a tqdm bar over the epochs when tqdm is installed; False shows nothing.
        **options: any ``seqrec train`` option by its name with ``_`` for ``-``: ``epochs=20``,
            ``max_len=200``, ``lr=1e-3``, ``quiet=True``, ``bucket=False`` (``--no-bucket``). Defaults
            come from the same model table as the command line's; an unknown option is an error.

    Ctrl-C ends training after the current epoch and exports the best epoch so far, as the command
    line does. The evaluation tables are printed to the process's stdout.
    """
    from . import _train  # LibTorch 只在这里载入

    out = _os.fspath(out)
    tmp = None
    try:
        if hasattr(data, "to_csv") and hasattr(data, "columns"):  # pandas DataFrame
            tmp = _tempfile.mkdtemp(prefix="seqrec-train-")
            path = _os.path.join(tmp, "data.csv")
            data.to_csv(path, index=False)
        else:
            path = _os.fspath(data)
        args = ["--data", path, "--out", out]
        if tmp is not None and "no_cache" not in options and "cache_dir" not in options:
            args.append("--no-cache")  # 临时文件不进数据缓存
        if model is not None:
            args += ["--model", str(model)]
        bar = None
        if progress is None:
            progress, bar = _tqdm_progress(options.get("epochs"))
        elif progress is False:
            progress = None
        try:
            _train.run_train(args + _flag_args(options), progress)
        finally:
            if bar is not None:
                bar.close()
    finally:
        if tmp is not None:
            _shutil.rmtree(tmp, ignore_errors=True)
    return load(out)


def _tqdm_progress(epochs):
    """A tqdm bar over the epochs (loss and validation NDCG@10 as its postfix), or (None, None)."""
    # tqdm 是可选的：没装时不显示（命令行自己的进度行仍在 stderr 上，除非 quiet=True）。
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None, None
    bar = tqdm(total=epochs, unit="epoch", desc="seqrec.train")

    def update(record):
        post = {"loss": f"{record['loss']:.4f}"}
        if "valid_NDCG@10" in record:
            post["valid NDCG@10"] = f"{record['valid_NDCG@10']:.4f}"
        bar.set_postfix(post)
        bar.update(1)

    return update, bar


def _is_frame(x):
    """True for a pandas DataFrame (without importing pandas)."""
    return hasattr(x, "to_csv") and hasattr(x, "columns")


class _TempFiles:
    """DataFrames written to CSV files in one temporary directory, removed on exit."""

    # DataFrame 进入子命令的唯一途径是一个 CSV 文件：与同一个文件在命令行上的结果完全相同。
    def __init__(self):
        self.dir = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.dir is not None:
            _shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, name):
        if self.dir is None:
            self.dir = _tempfile.mkdtemp(prefix="seqrec-")
        return _os.path.join(self.dir, name)

    def csv(self, frame, name):
        path = self.path(name)
        frame.to_csv(path, index=False)
        return path


def _model_dir(model):
    """A Model or a directory -> the directory (str)."""
    return model.dir if isinstance(model, Model) else _os.fspath(model)


class Evaluation(dict):
    """The result of :func:`evaluate`: the dict ``seqrec eval --json`` prints, plus :meth:`to_frame`."""

    def to_frame(self):
        """The metrics as a pandas DataFrame: one row per model (named by its directory) and one for
        most-popular, one column per metric (``HR@10``, ``NDCG@10``, ``MRR@10``, ..., ``cases``).
        For ``protocol="otto"``: one row per K with the clicks, carts and orders recall and the score."""
        import pandas as pd

        if "models" in self:  # 比较多个模型
            rows = {m["model_dir"]: m["model"] for m in self["models"]}
        elif "model" in self:
            rows = {self["model_dir"]: self["model"]}
        else:  # otto：每个 K 一行
            ks = sorted(int(key.split("@")[1]) for key in self if key.startswith("score@"))
            return pd.DataFrame(
                [dict(self[f"recall@{k}"], score=self[f"score@{k}"]) for k in ks], index=pd.Index(ks, name="K"))
        rows["most-popular"] = self["most_popular"]
        return pd.DataFrame.from_dict(rows, orient="index")


def evaluate(model, data=None, protocol="full", ks=(1, 5, 10, 20, 50), split="test", **options):
    """Evaluate one or several models exactly as ``seqrec eval --json`` does.

    Args:
        model: a :class:`Model` or a model directory, or a list of them (compared on the same data
            and protocol, as ``seqrec eval --model a --model b``); None for ``protocol="otto"``.
        data: None (default) evaluates on the data the model was trained on, as its manifest records
            it. A path or a pandas DataFrame is read and split like ``seqrec eval --data`` with the
            data options given here (``user_col=...``, ``min_user_interactions=...``); its users and
            items must match the model's. A model trained on a DataFrame needs that DataFrame again.
        protocol: ``"full"``, ``"sampled"``, ``"sampled-pop"`` or ``"otto"``.
        ks: the cut-offs K.
        split: ``"test"`` or ``"valid"``.
        **options: any other ``seqrec eval`` option by name (``exclude_history=True``,
            ``negatives=100``, ``length_buckets=[5, 20]``, ``threads=4``; for ``"otto"``:
            ``labels=...`` and ``candidates=`` / ``submission=`` a path or a DataFrame).

    Returns:
        An :class:`Evaluation`: the dict ``seqrec eval --json`` prints (``model``, ``most_popular``,
        ``model_by_history_length``, ``protocol``, ``data``, ``stats``, ...); ``.to_frame()`` gives
        the metrics as a DataFrame.
    """
    models = [] if model is None else list(model) if isinstance(model, (list, tuple)) else [model]
    with _TempFiles() as tmp:
        args = ["--json", "--protocol", str(protocol)]
        for m in models:
            args += ["--model", _model_dir(m)]
        if protocol != "otto":
            args += ["--ks", ",".join(str(k) for k in ks), "--split", str(split)]
        elif tuple(ks) != (1, 5, 10, 20, 50):
            args += ["--ks", ",".join(str(k) for k in ks)]
        if data is not None:
            args += ["--data", tmp.csv(data, "data.csv") if _is_frame(data) else _os.fspath(data)]
            if _is_frame(data) and "no_cache" not in options and "cache_dir" not in options:
                args.append("--no-cache")  # 临时文件不进数据缓存
        else:
            for m in models:
                _check_training_data(m)
        for key in ("candidates", "submission"):
            if _is_frame(options.get(key)):
                options[key] = tmp.csv(options[key], key + ".csv")
        return Evaluation(_run_command("eval", args + _flag_args(options)))


def _check_training_data(model):
    """A clear error when the file a model was trained on is gone (a DataFrame's temporary CSV)."""
    # 命令行会报"文件不存在"；这里说清楚原因和办法。
    try:
        m = model if isinstance(model, Model) else load(model, index="exact")
        path = m.manifest["data"]["options"].get("source", "")
    except (KeyError, TypeError, AttributeError):
        return
    # source 是训练数据的绝对路径（或 "synthetic"、"event store"，那两种由命令行自己说明）
    if _os.path.isabs(path) and not _os.path.exists(path):
        what = "a pandas DataFrame (seqrec.train wrote it to a temporary CSV, since removed)" \
            if _os.path.basename(_os.path.dirname(path)).startswith("seqrec-") else f"{path}, which no longer exists"
        raise Error(f"{m.dir} was trained on {what}: pass the data again, seqrec.evaluate(model, data=...), "
                    "with the data options it was trained with")


class Covisit:
    """A co-visitation directory written by :func:`covisit` (or ``seqrec covisit``)."""

    def __init__(self, directory):
        self.dir = _os.fspath(directory)
        _, _, _, self.info = _covisit_table(self.dir, "clicks")

    def __repr__(self):
        return f"<seqrec.Covisit {self.dir}, {self.info.get('data', {})}>"

    def table(self, name="clicks"):
        """One table (``"clicks"``, ``"carts_orders"`` or ``"buy2buy"``) as a DataFrame with columns
        ``aid``, ``neighbour``, ``weight``: each item's neighbours, heaviest first."""
        import pandas as pd

        aid, nb, w, _ = _covisit_table(self.dir, name)
        return pd.DataFrame({"aid": aid, "neighbour": nb, "weight": w})


def covisit(sessions, out, **options):
    """Build co-visitation tables exactly as ``seqrec covisit`` does.

    Args:
        sessions: a path (OTTO JSONL or CSV) or a pandas DataFrame with ``session``, ``aid``, ``ts``
            (seconds; ``ts_unit="ms"`` for milliseconds) and optionally ``type`` (``clicks``,
            ``carts``, ``orders`` or 0, 1, 2) columns.
        out: the directory to write (replaced atomically).
        **options: any ``seqrec covisit`` option by name (``top_m=40``, ``window_hours=12``,
            ``type_weights=[1, 6, 3]``, ``threads=2``).

    Returns:
        A :class:`Covisit`; ``.table("clicks")`` gives a table as a DataFrame.
    """
    with _TempFiles() as tmp:
        path = tmp.csv(sessions, "sessions.csv") if _is_frame(sessions) else _os.fspath(sessions)
        _run_command("covisit", ["--data", path, "--out", _os.fspath(out)] + _flag_args(options))
    return Covisit(out)


def candidates(sessions, covisit=None, model=None, k=20, submission=None, **options):
    """Candidate lists for sessions exactly as ``seqrec candidates`` makes them.

    Args:
        sessions: a path or a pandas DataFrame, as for :func:`covisit`.
        covisit: a :class:`Covisit` or a co-visitation directory.
        model: a :class:`Model` or a model directory that fills the lists.
        k: items per submission line.
        submission: also write a Kaggle submission CSV here.
        **options: any other ``seqrec candidates`` option by name (``candidates=50``,
            ``sources=["history", "covisit"]``, ``type_weights=[1, 6, 3]``, ``threads=2``).

    Returns:
        A pandas DataFrame with columns ``session``, ``aid``, ``score``, ``source``, ``list``
        (``clicks`` or ``buys``), rows in rank order within each list.
    """
    import pandas as pd

    with _TempFiles() as tmp:
        path = tmp.csv(sessions, "sessions.csv") if _is_frame(sessions) else _os.fspath(sessions)
        out = tmp.path("candidates.csv")
        args = ["--data", path, "--out", out, "--k", str(k)]
        if covisit is not None:
            args += ["--covisit", covisit.dir if isinstance(covisit, Covisit) else _os.fspath(covisit)]
        if model is not None:
            args += ["--model", _model_dir(model)]
        if submission is not None:
            args += ["--submission", _os.fspath(submission)]
        _run_command("candidates", args + _flag_args(options))
        return pd.read_csv(out, dtype={"session": "int64", "aid": "int64", "score": "float64", "source": str,
                                       "list": str})
