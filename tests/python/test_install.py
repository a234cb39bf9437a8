"""The package installs with pip from the checkout, with no network (docs/PYTHON.md, "Set-up")."""
# pip 安装路径：一个新的 venv（--system-site-packages，用 Debian 的 setuptools 与 NumPy），
# pip install . --no-build-isolation，扩展模块取自已经编译好的构建目录（SEQREC_BUILD_DIR），
# 然后在别的目录里、不设 PYTHONPATH 地 import。
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.dirname(os.path.abspath(os.environ.get("SEQREC_BIN", os.path.join(ROOT, "build", "seqrec"))))


def test_pip_install_from_the_checkout(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["SEQREC_BUILD_DIR"] = BUILD
    env["PIP_NO_INDEX"] = "1"  # 不联网
    p = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-build-isolation", ROOT],
                       env=env, capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    q = subprocess.run([str(venv / "bin" / "python"), "-c",
                        "import seqrec, seqrec._train; print(seqrec.__version__, seqrec.__file__)"],
                       env=env, cwd=tmp_path, capture_output=True, text=True)
    assert q.returncode == 0, q.stderr
    version, where = q.stdout.split()
    assert where.startswith(str(venv)), where
    import seqrec
    assert version == seqrec.__version__
