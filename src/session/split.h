// OTTO 式的会话切分：按会话开始时间，最晚开始的 test_fraction 比例的会话作为测试会话，其余为训练会话
// （训练会话中晚于切分时刻的事件删掉，避免泄漏）；每个测试会话（至少 2 个事件）在随机位置截断，
// 截断后的部分作为标签：下一次点击、之后全部加购、之后全部下单。与 OTTO 官方评估工具相同的文件格式：
//   train.jsonl           训练会话
//   test_sessions.jsonl   截断后的测试会话
//   test_labels.jsonl     {"session": N, "labels": {"clicks": aid, "carts": [...], "orders": [...]}}
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "session/sessions.h"

namespace seqrec {

// 一个测试会话的标签（原始 aid）。
struct SessionLabels {
  int64_t session = 0;
  int64_t click = -1;              // 截断后的下一次点击；没有时为 -1
  std::vector<int64_t> carts;      // 截断后加购的物品（去重，按首次出现）
  std::vector<int64_t> orders;     // 截断后下单的物品（去重，按首次出现）
};

// 切分结果（下标指向原数据）。
struct SessionSplit {
  int64_t cutoff_ms = 0;                 // 切分时刻：开始于此刻及之后的会话为测试会话
  std::vector<int64_t> train;            // 训练会话下标
  std::vector<int64_t> train_end;        // 每个训练会话保留到的事件位置（不含）
  std::vector<int64_t> test;             // 测试会话下标
  std::vector<int64_t> test_cut;         // 每个测试会话截断的位置（不含）：[begin, cut) 是输入
  std::vector<SessionLabels> labels;     // 与 test 一一对应
};

// 切分；seed 决定截断位置。test_fraction ∈ (0, 1)。
SessionSplit split_sessions(const SessionData& d, double test_fraction, uint64_t seed);

// 某个会话在 [cut, end) 中的标签。
SessionLabels labels_after(const SessionData& d, int64_t s, int64_t cut);

// 写出三个文件到目录 dir（逐个原子写入）；返回统计。
nlohmann::ordered_json write_split(const SessionData& d, const SessionSplit& sp, const std::string& dir);

// 读取 test_labels.jsonl；错误指明文件与行号。
std::vector<SessionLabels> read_labels(const std::string& path);

}  // namespace seqrec
