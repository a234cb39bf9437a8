"""seqrec: sequential and generative recommenders, trained and served by one C++ library.

The same code answers here, in the ``seqrec`` command and in ``seqrec serve``::

    import seqrec
    m = seqrec.load("model")                      # a directory written by `seqrec train`
    m.recommend("42", ["593", "318"], k=10)       # the dict POST /recommend answers
    ids, scores = m.recommend_batch([["593"], ["1", "2"]], k=10)   # NumPy arrays [n, k]
    vecs = m.encode([["593"]])                    # user vectors [n, dim]
    m.item_vectors                                # [items, dim], no copy

Errors raise ``seqrec.Error`` (a ``ValueError``) with the command line's messages.
See docs/PYTHON.md.
"""
# 纯 Python 的外层：C++ 扩展（_seqrec）做全部工作，这里只补文档、类型与便利的写法。
from ._seqrec import Error, Model, __version__
from ._seqrec import load as _load

import os as _os
import shutil as _shutil
import tempfile as _tempfile

__all__ = ["Error", "Model", "load", "train", "__version__"]


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
        model: the model kind (``long_short``, ``sasrec``, ``gru4rec``, ``lightgcn``, ``colarec``);
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
