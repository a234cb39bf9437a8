# seqrec 的类型存根（IDE 与 mypy 用）；与 python/seqrec/__init__.py 和 _seqrec.cpp 的签名一致。
from os import PathLike
from typing import Any, Callable, Iterable, Optional, Sequence, Tuple, Union

import numpy as np

__version__: str

Id = Union[str, int]

class Error(ValueError): ...

class Model:
    @property
    def dir(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def manifest(self) -> dict[str, Any]: ...
    @property
    def items(self) -> list[str]: ...
    @property
    def users(self) -> list[str]: ...
    @property
    def item_vectors(self) -> np.ndarray: ...
    def recommend(
        self,
        user_id: Optional[Id] = None,
        clicks: Optional[Iterable[Id]] = None,
        k: int = 10,
        exclude: Optional[bool] = None,
        allow: Optional[Iterable[Id]] = None,
        deny: Optional[Iterable[Id]] = None,
    ) -> dict[str, Any]: ...
    def recommend_batch(
        self,
        histories: Iterable[Iterable[Id]],
        k: int = 10,
        users: Optional[Sequence[Id]] = None,
        exclude: Optional[bool] = None,
        threads: int = 0,
    ) -> Tuple[np.ndarray, np.ndarray]: ...
    def encode(
        self, histories: Iterable[Iterable[Id]], users: Optional[Sequence[Id]] = None, threads: int = 0
    ) -> np.ndarray: ...
    @property
    def train_log(self) -> list[dict[str, Any]]: ...
    def to_torch(self) -> Any: ...  # torch.nn.Module (seqrec.torch_modules)

class Evaluation(dict[str, Any]):
    def to_frame(self) -> Any: ...  # pandas.DataFrame

class Covisit:
    dir: str
    info: dict[str, Any]
    def __init__(self, directory: Union[str, PathLike[str]]) -> None: ...
    def table(self, name: str = ...) -> Any: ...  # pandas.DataFrame: aid, neighbour, weight

def load(model_dir: Union[str, PathLike[str]], index: str = ..., precision: str = ...) -> Model: ...

def train(
    data: Union[str, PathLike[str], Any],
    out: Union[str, PathLike[str]],
    model: Optional[str] = None,
    progress: Union[None, bool, Callable[[dict[str, Any]], None]] = None,
    **options: Any,
) -> Model: ...

def evaluate(
    model: Union[None, Model, str, PathLike[str], Sequence[Union[Model, str, PathLike[str]]]],
    data: Union[None, str, PathLike[str], Any] = None,
    protocol: str = ...,
    ks: Sequence[int] = ...,
    split: str = ...,
    **options: Any,
) -> Evaluation: ...
def covisit(sessions: Union[str, PathLike[str], Any], out: Union[str, PathLike[str]], **options: Any) -> Covisit: ...
def candidates(
    sessions: Union[str, PathLike[str], Any],
    covisit: Union[None, Covisit, str, PathLike[str]] = None,
    model: Union[None, Model, str, PathLike[str]] = None,
    k: int = 20,
    submission: Union[None, str, PathLike[str]] = None,
    **options: Any,
) -> Any: ...  # pandas.DataFrame: session, aid, score, source, list
def read_safetensors(path: Union[str, PathLike[str]]) -> dict[str, np.ndarray]: ...
