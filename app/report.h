// 指标表格的打印（train 与 eval 共用）。
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace seqrec::app {

// 把若干行指标（名字 → summarize_ranks 的结果）排成对齐的文本表格。
std::string metrics_table(const std::vector<std::pair<std::string, nlohmann::ordered_json>>& rows,
                          const std::vector<int>& ks);

}  // namespace seqrec::app
