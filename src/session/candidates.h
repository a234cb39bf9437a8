// 会话候选生成（召回）：为每个会话产出两张候选表——点击表（预测下一次点击）与购买表（预测加购与下单，
// 两个目标共用），每张表按顺序由以下来源填满到 list_size 个（已选过的物品不重复）：
//   history   会话自身的物品。事件数 ≥ history_min（默认 20）时按 Σ 新近权重 × 类型权重 排序，
//             新近权重为 logspace(0.1, 1, n, base 2) − 1（从最旧到最新）；更短的会话按最近一次出现排序。
//   covisit   共现表：点击表用 clicks 变体；购买表用 carts_orders（全部历史物品）与 buy2buy（加购/下单过的物品）。
//             候选得分 = Σ_历史物品 邻居权重 / 该物品最高邻居权重（每个历史物品最多贡献 1）。
//   model     训练好的序列模型（如 GRU4Rec）读会话最近的点击，给出其余物品（不含会话内物品）。
//   popular   输入会话中最常被点击 / 下单的物品，最后兜底。
// 任一来源都可以关掉（用于评估每个来源单独的效果）。结果只依赖输入，与线程数无关。
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "data/id_map.h"
#include "index/retriever.h"
#include "session/covisit.h"
#include "session/sessions.h"

namespace seqrec {

// 模型来源：会话里的点击（模型的物品下标，从旧到新）→ 模型的前 k 个物品。只用整数下标，不经过 JSON；
// 调用方（app）从模型目录构建它。items 是模型的物品表：外部 ID 是十进制整数的物品才对应会话里的 aid。
struct CandidateModel {
  const IdMap* items = nullptr;
  std::function<std::vector<Hit>(const std::vector<int32_t>& clicks, int k, const SearchFilter& filter)> top_k;
};

// 候选来源。
enum class CandidateSource : uint8_t { kHistory = 0, kCovisit = 1, kModel = 2, kPopular = 3 };
const char* candidate_source_name(int source);

// 一个候选。
struct Candidate {
  int64_t aid;     // 原始物品编号
  float score;     // 来源自己的得分（不同来源之间不可比较；表的顺序才是排名）
  uint8_t source;  // CandidateSource
};

// 一个会话的两张候选表。
struct SessionCandidates {
  std::vector<Candidate> clicks;  // 预测下一次点击
  std::vector<Candidate> buys;    // 预测加购与下单
};

// 选项。
struct CandidateOptions {
  int list_size = 50;       // 每张表的长度（CSV 输出的候选数；提交文件取前 k 个）
  int history_min = 20;     // 事件数达到这么多的会话用加权历史排序
  std::array<float, kEventKinds> type_weight{1.0f, 6.0f, 3.0f};
  bool use_history = true, use_covisit = true, use_model = true, use_popular = true;
  int threads = 2;
  void validate() const;
  nlohmann::ordered_json to_json() const;
};

// 候选生成器。covisit 与 model 可以为空（相应来源不可用）。popular 由 data 统计。线程安全。
class CandidateGenerator {
 public:
  CandidateGenerator(const SessionData& data, const CovisitModel* covisit, const CandidateModel* model,
                     CandidateOptions opt);
  // 第 s 个会话的候选；events_end 之后的事件忽略（-1 = 整个会话）。
  SessionCandidates generate(int64_t s, int64_t events_end = -1) const;
  // 会话 [first, last) 的候选（多线程，按会话顺序返回）。
  std::vector<SessionCandidates> generate_range(int64_t first, int64_t last) const;
  // 全部会话。
  std::vector<SessionCandidates> generate_all() const { return generate_range(0, data_.num_sessions()); }
  const CandidateOptions& options() const { return opt_; }

 private:
  // 用共现表补充：tables 为 (表, 起始物品集) 对。
  void fill_covisit(std::vector<Candidate>& list, const std::vector<std::pair<int, const std::vector<int64_t>*>>& srcs) const;
  const SessionData& data_;
  const CovisitModel* covisit_;
  const CandidateModel* model_;
  std::vector<int64_t> model_aid_;                 // 模型物品下标 → aid（ID 不是规范的十进制整数时为 -1）
  std::unordered_map<int64_t, int32_t> model_index_;  // aid → 模型物品下标
  CandidateOptions opt_;
  std::vector<int64_t> popular_clicks_, popular_orders_;  // 原始 aid，按次数降序
};

}  // namespace seqrec
