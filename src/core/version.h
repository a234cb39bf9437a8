// 构建时的 git 提交号：写进 manifest 与评估结果，使每个数字都能追溯到产生它的代码。
#pragma once

namespace seqrec {

// seqrec 的版本号（写进 manifest 与 --json 输出，seqrec --version 打印它）。
inline constexpr const char* kSeqrecVersion = "0.1.0";

// 形如 "1414214abcde"，有未提交改动时带 "-dirty"，不在 git 仓库中构建时为 "unknown"。
const char* git_commit();

}  // namespace seqrec
