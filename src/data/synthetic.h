// 内置合成数据集：物品分属若干潜在组，组内有流行度偏斜和“下一件”的顺序结构；
// 用户有几个偏好组（长期兴趣），兴趣随时间在组之间漂移（短期兴趣）。
// 目的：没有外部数据时也能训练出明显优于“最热门”基线的模型，用于默认演示和测试。
#pragma once

#include <cstdint>

#include "data/csv_reader.h"

namespace seqrec {

// 合成数据的参数。
struct SyntheticOptions {
  int users = 2000;
  int items = 1000;
  int groups = 25;
  double mean_length = 40.0;  // 每个用户的平均交互数
  uint64_t seed = 42;
  void validate() const;
};

// 生成交互；用户 ID 为 "u<k>"，物品 ID 为 "<k>"，时间戳为秒。
Interactions generate_synthetic(const SyntheticOptions& opt);

}  // namespace seqrec
