// 推荐请求的解析、校验与处理。HTTP 服务和 `seqrec recommend` 共用这里的代码，保证两者给出相同答案。
//
// 请求（JSON）：
//   user_id          必填；字符串、整数或 null（null 表示匿名用户）
//   recent_clicks    必填；字符串或整数组成的数组，按时间从旧到新，可以为空
//   top_k            可选，默认 10，范围 [1, max_top_k]
//   exclude_clicked  可选，默认取模型的 serving.exclude_clicked（训练数据很少重复时为 true）；为 true 时不推荐
//                    recent_clicks 中的物品
//   allow_items      可选，物品 ID 数组：只从这些物品中推荐（业务白名单；未知 ID 忽略）
//   deny_items       可选，物品 ID 数组：绝不推荐这些物品（业务黑名单；未知 ID 忽略）
// 过滤后只要还有足够的物品，总是返回 top_k 个（近似索引会加大候选数重查，最后退回精确扫描）。
// 响应：recommended_item_ids（物品外部 ID 字符串）、scores（模型相似度；回退时为训练次数）、
//   strategy（"model" 或 "most_popular"）、user_known、unknown_clicks（被丢弃的未知点击）、
//   model_version（给出答案的模型版本）。
//
// 批量请求 POST /recommend/batch：{"requests": [单个请求, ...]}，响应 {"model_version", "results": [...]}，
// 结果与逐个请求相同（同一个模型版本回答整批），没有过滤条件的查询一起打分（一次矩阵乘法）。
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "serve/model_bundle.h"

namespace seqrec {

// 请求错误：字段名 + 说明，映射为 HTTP 400。
class RequestError : public std::runtime_error {
 public:
  RequestError(std::string field, const std::string& msg)
      : std::runtime_error(msg), field_(std::move(field)) {}
  const std::string& field() const { return field_; }

 private:
  std::string field_;
};

// 校验后的请求。
struct RecommendRequest {
  std::optional<std::string> user_id;  // 空表示匿名
  std::vector<std::string> recent_clicks;
  int top_k = 10;
  std::optional<bool> exclude_clicked;  // 空：用模型的默认值（ModelBundle::exclude_clicked）
  std::optional<std::vector<std::string>> allow_items;  // 白名单（有值时只从中推荐）
  std::vector<std::string> deny_items;                  // 黑名单
  // 按用户 ID 推荐时，存储历史里这些类型的物品不再推荐（空：用服务的 --consumed-types；给了空数组 = 都可以再推荐）。
  std::optional<std::vector<std::string>> consumed_types;
};

// 请求超过了允许的处理时间（映射为 HTTP 503）。
class RequestTimeout : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// 默认的 top_k 上限（可由 serve --max-top-k 修改）。
constexpr int kDefaultMaxTopK = 1000;
// recent_clicks 的最大长度（超出即视为异常请求；模型只使用最近 max_len 个）。
constexpr size_t kMaxClicks = 10000;
// allow_items / deny_items 的最大长度。
constexpr size_t kMaxFilterItems = 100000;

// 模型给出的前 k 个物品（内部下标与得分），不经过 JSON：user 为内部用户下标（-1 = 未知），clicks 为内部
// 物品下标（从旧到新）。向量模型编码后检索（不经合批器），生成式模型做约束束搜索。与 /recommend 在
// “用模型回答”时的结果相同。批处理（会话候选）用它。
std::vector<Hit> model_hits(const ModelBundle& b, int32_t user, const std::vector<int32_t>& clicks, int k,
                            const SearchFilter& filter);

// 把字符串或整数形式的 ID 统一成字符串；类型不对时返回 false（由调用方构造带字段名的错误）。
bool id_to_string(const nlohmann::json& v, std::string* out);

// JSON 对象 j 里有 known 之外的字段时抛出 RequestError：指明字段、给出最接近的已知字段（"did you mean"），
// 并列出 what（如 "a request"）的全部字段。
void check_fields(const nlohmann::json& j, const std::vector<std::string>& known, const std::string& what);

// 解析 JSON 文本为请求；任何问题抛出 RequestError（字段名 + 原因）。
RecommendRequest parse_recommend_request(const std::string& body, int max_top_k);
// 从已解析的 JSON 构造请求。
RecommendRequest request_from_json(const nlohmann::json& j, int max_top_k);

// 解析批量请求 {"requests": [...]}；条数超过 max_batch 或任一条有问题时抛出 RequestError（字段如 requests[3].top_k）。
std::vector<RecommendRequest> parse_batch_request(const std::string& body, int max_top_k, int max_batch);

// 处理请求，返回响应 JSON。线程安全。
nlohmann::ordered_json recommend(const ModelBundle& b, const RecommendRequest& req);

// 处理一批请求，返回 {"model_version", "results": [...]}。deadline（now_seconds() 的时刻，0 = 不限）
// 过后还没算完时抛出 RequestTimeout。线程安全。
nlohmann::ordered_json recommend_batch(const ModelBundle& b, const std::vector<RecommendRequest>& reqs,
                                       double deadline = 0);

}  // namespace seqrec
