#!/usr/bin/env python3
"""Run every shell command of README.md and docs/*.md as written (ctest: docs_commands).

Usage: tests/check_docs_commands.py REPO_ROOT BUILD_DIR
"""
# 文档里的命令必须照写就能运行。这个检查从 README.md 与 docs/*.md（docs/lab/ 是实验记录，不查）的 ```bash
# 代码块里取出每一条命令，在一个临时工作目录里按顺序执行（build/、scripts/ 链接到真实的目录），分三种处理：
#   run    在内置 / 生成的小数据上真的运行，必须成功。train 命令末尾追加 --epochs 1（同一选项给两次取最后一次；
#          有 --decay-epochs 时再追加 --decay-epochs 0），
#          所以每个选项都照写被解析、校验并真的用上，只是不训练几个小时；以 /tmp/ 与 /srv/ 开头的路径改到临时目录里。
#   parse  需要 ../shared/data（真实数据集）或依赖这类命令产物的命令：临时目录里没有 ../shared/data，
#          命令必须走过全部选项的解析与校验、只停在缺失的数据或模型目录上（退出码 1，错误里提到那个路径）；
#          选项拼错、取值非法或互相矛盾都会在这之前报错，检查因此失败。
#   skip   不适合在测试里运行的：安装 / 构建 / 测试脚本、基准程序、常驻的服务、curl 与部署片段（各有自己的测试）。
# 每条命令打印一行结果；有任何一条失败时退出码为 1。
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
BUILD = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "build"))

# 不运行的命令：（匹配命令开头的正则，原因）。
SKIP = [
    (r"scripts/(quickstart|test|build|sanitize)\.sh", "installs, builds or runs the test suite itself"),
    (r"bench/", "a benchmark program (docs/BENCHMARKS.md), not a test"),
    (r"build/seqrec_bench_", "a benchmark program (docs/BENCHMARKS.md), not a test"),
    (r"(curl|systemctl|ln|for|done|jq)\b", "a deployment snippet; the service is tested by tests/test_serve.cpp and tests/deploy"),
    (r"scripts/install_python\.sh", "installs into the system Python; tests/python covers the package"),
    (r"(\S*python3 -m venv|\S*/bin/pip)\b", "a pip install from the checkout; tests/python/test_install.py runs it"),
    (r"RANK=\d+ WORLD_SIZE=", "one rank of a training spread over machines; tests/python/test_distributed.py runs such groups"),
]
# 需要真实数据的路径与占位的目录名：按 parse 处理。events/ 是运行中的 seqrec serve --store 写下的事件存储
# （serve 命令在这里跳过，所以它不存在）；redis:// 是部署里共用的 Redis（测试不运行它）。
PLACEHOLDERS = ["../shared/data", "scale.jsonl", "DIR", "events/", "redis://"]


def blocks(path):
    """The commands of every ```bash block in a file, continuation lines joined."""
    text = open(path, encoding="utf-8").read()
    out = []
    for b in re.findall(r"```bash\n(.*?)```", text, re.S):
        b = re.sub(r"\\\n\s*", " ", b)
        for line in b.split("\n"):
            if line.strip() and not line.strip().startswith("#"):
                out.append(line.strip())
    return out


def strip_comment(line):
    """The command without its trailing comment (shlex knows about quotes)."""
    lex = shlex.shlex(line, posix=True, punctuation_chars=False)
    lex.whitespace_split = True
    lex.commenters = "#"
    tokens = list(lex)
    return tokens


def expand(tokens, env):
    """Replace $VAR and ${VAR} by the values of earlier assignments in the same file."""
    out = []
    for t in tokens:
        for k, v in env.items():
            t = t.replace("${%s}" % k, v).replace("$" + k, v)
        out.append(t)
    return out


def main():
    files = [os.path.join(ROOT, "README.md")] + sorted(
        os.path.join(ROOT, "docs", f) for f in os.listdir(os.path.join(ROOT, "docs")) if f.endswith(".md"))
    tmp = tempfile.mkdtemp(prefix="seqrec-docs-")
    failures = 0
    counts = {"run": 0, "parse": 0, "skip": 0}
    try:
        work = os.path.join(tmp, "work")  # ../shared/data 相对于它是 tmp/shared/data：不存在
        os.makedirs(work)
        os.symlink(BUILD, os.path.join(work, "build"))
        os.symlink(os.path.join(ROOT, "scripts"), os.path.join(work, "scripts"))
        seqrec = os.path.join(BUILD, "seqrec")
        # README 的 "Using it on your data" 与 DEPLOY.md 读用户自己的 ratings.csv：给它一个生成的。
        subprocess.run([seqrec, "generate", "--out", os.path.join(work, "ratings.csv")], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        env_base = dict(os.environ)
        env_base["PATH"] = "/usr/bin:/bin:" + env_base.get("PATH", "")  # python3 = Debian 的（带 NumPy）
        env_base["SEQREC_CACHE_DIR"] = os.path.join(tmp, "cache")
        for path in files:
            rel = os.path.relpath(path, ROOT)
            env = {}
            missing = list(PLACEHOLDERS)  # parse 命令的产物（--out）也算缺失的路径
            for line in blocks(path):
                tokens = strip_comment(line)
                if not tokens:
                    continue
                # 只有赋值（S=./build/seqrec; D=../shared/data）：记下变量。
                assigns = [t.rstrip(";") for t in tokens]
                if all(re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", t) for t in assigns):
                    for t in assigns:
                        k, v = t.split("=", 1)
                        env[k] = expand([v], env)[0]
                    continue
                argv = expand(tokens, env)
                shown = " ".join(argv)
                reason = next((why for pat, why in SKIP if re.match(pat, argv[0]) or re.match(pat, shown) or
                               (re.match(r"^[A-Z_]+=", argv[0]) and any(re.match(pat, a) for a in argv))), None)
                if reason is None and argv[0].endswith("seqrec") and len(argv) > 1 and argv[1] == "serve":
                    reason = "a long-running server; tests/test_serve.cpp covers it"
                if reason:
                    counts["skip"] += 1
                    print(f"skip   {rel}: {shown}\n         ({reason})")
                    continue
                if argv[0] == "seqrec":
                    argv[0] = "./build/seqrec"  # 文档里不带路径的 seqrec 即构建出的程序
                # 写到系统目录的例子（/tmp/quick、DEPLOY.md 的 /srv/models/...）改写到临时目录里。
                # 参数里的路径也改（python3 -c "...'/tmp/x'..."）：不跟在字母、数字、点或斜杠后面的 /tmp/。
                for root in ("/tmp/", "/srv/"):
                    argv = [re.sub(r"(?<![\w/.])" + root, lambda _: tmp + root, a) for a in argv]
                    os.makedirs(os.path.join(tmp, root.strip("/"), "models"), exist_ok=True)
                is_train = len(argv) > 1 and argv[0].endswith("seqrec") and argv[1] == "train"
                # seqrec launch --nproc N -- train ...：同样是一次训练（每个进程读数据；错误出在进程自己的输出里）
                is_launch = (len(argv) > 3 and argv[0].endswith("seqrec") and argv[1] == "launch" and "--" in argv
                             and argv[argv.index("--") + 1:argv.index("--") + 2] == ["train"])
                is_train = is_train or is_launch
                parse_only = any(p in a for a in argv for p in missing)
                if is_train:
                    argv += ["--epochs", "1"]
                    # --decay-epochs K 要求 K ≤ --epochs − 预热：只训练 1 轮时改为 0（预热之后全程衰减），
                    # K 本身照样被解析。
                    if "--decay-epochs" in argv:
                        argv += ["--decay-epochs", "0"]
                if parse_only and is_train and "--out" in argv:
                    missing.append(argv[argv.index("--out") + 1])
                # 命令前的环境变量（PYTHONPATH=build/python python3 ...）：放进这条命令的环境。
                run_env = dict(env_base)
                while len(argv) > 1 and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", argv[0]):
                    k, v = argv.pop(0).split("=", 1)
                    run_env[k] = v
                r = subprocess.run(argv, cwd=work, env=run_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True, errors="replace", timeout=900)
                last = (r.stdout.strip().splitlines() or [""])[-1]
                if parse_only:
                    counts["parse"] += 1
                    lines = r.stdout.splitlines() if is_launch else [last]
                    ok = r.returncode == 1 and "error:" in r.stdout and any(
                        p in line for line in lines for p in missing)
                    print(f"{'parse ' if ok else 'FAIL  '} {rel}: {shown}\n         ({last})")
                else:
                    counts["run"] += 1
                    ok = r.returncode == 0
                    print(f"{'run   ' if ok else 'FAIL  '} {rel}: {shown}" + ("" if ok else f"\n         rc {r.returncode}: {last}"))
                if not ok:
                    failures += 1
                    print(r.stdout[-3000:])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"docs commands: {counts['run']} run, {counts['parse']} parse-checked (../shared/data is not used by the "
          f"test), {counts['skip']} skipped, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
