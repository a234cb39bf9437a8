"""Build the seqrec Python package: the C++ extensions are compiled by CMake (setup.py only drives it).

    python3 -m pip install . --no-build-isolation

With SEQREC_BUILD_DIR set to a directory where `scripts/build.sh` already built the extensions
(build/python/seqrec/_seqrec*.so and _train*.so), those files are used as is instead of a new build.
"""
# pip 的构建入口：扩展模块（seqrec._seqrec）由仓库自己的 CMakeLists.txt 编译，setup.py 只负责调用 CMake
# 并把 .so 放进 wheel；版本号取自 src/core/version.h（与 seqrec --version 相同）。
import glob
import os
import re
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))


def version():
    text = open(os.path.join(ROOT, "src", "core", "version.h"), encoding="utf-8").read()
    return re.search(r'kSeqrecVersion = "([^"]+)"', text).group(1)


class CMakeBuild(build_ext):
    """Build _seqrec with CMake (or take it from SEQREC_BUILD_DIR) and copy it where setuptools wants it."""

    def build_extension(self, ext):
        target = self.get_ext_fullpath(ext.name)
        build = os.environ.get("SEQREC_BUILD_DIR")
        if not build:
            build = os.path.join(ROOT, "build-pip")
            subprocess.run(["cmake", "-S", ROOT, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
                            f"-DPYTHON_EXECUTABLE={sys.executable}"], check=True)
            subprocess.run(["cmake", "--build", build, "--target", ext.name.split(".")[-1], "-j", str(os.cpu_count() or 1)],
                           check=True)
        name = ext.name.split(".")[-1]
        built = glob.glob(os.path.join(build, "python", "seqrec", name + ".*so"))
        if not built:
            raise RuntimeError(f"no {name} module under {build}/python/seqrec (build it with scripts/build.sh)")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(built[0], target)


# setuptools 的中间文件放进 build-pip/（默认的 build/ 是 CMake 的构建目录）。
os.makedirs(os.path.join(ROOT, "build-pip"), exist_ok=True)
# 两个扩展：_seqrec（推荐、编码，不含 LibTorch）与 _train（训练，链接 LibTorch，用到时才载入）。
setup(version=version(), ext_modules=[Extension("seqrec._seqrec", sources=[]), Extension("seqrec._train", sources=[])],
      cmdclass={"build_ext": CMakeBuild},
      options={"build": {"build_base": os.path.join(ROOT, "build-pip", "setuptools")},
               "egg_info": {"egg_base": os.path.join(ROOT, "build-pip")}})
