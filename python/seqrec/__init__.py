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

__all__ = ["Error", "Model", "load", "__version__"]


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
