// 推荐请求的解析、校验与处理。HTTP 服务和 `seqrec recommend` 共用这里的代码，保证两者给出相同答案。
//
// 请求（JSON）：
//   user_id          必填；字符串、整数或 null（null 表示匿名用户）
//   recent_clicks    必填；字符串或整数组成的数组，按时间从旧到新，可以为空
//   top_k            可选，默认 10，范围 [1, max_top_k]
//   exclude_clicked  可选，默认 false；为 true 时不推荐 recent_clicks 中的物品
// 响应：recommended_item_ids（物品外部 ID 字符串）、scores（余弦相似度；回退时为训练次数）、
//   strategy（"model" 或 "most_popular"）、user_known、unknown_clicks（被丢弃的未知点击）。
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
  bool exclude_clicked = false;
};

// 默认的 top_k 上限（可由 serve --max-top-k 修改）。
constexpr int kDefaultMaxTopK = 1000;
// recent_clicks 的最大长度（超出即视为异常请求；模型只使用最近 max_len 个）。
constexpr size_t kMaxClicks = 10000;

// 解析 JSON 文本为请求；任何问题抛出 RequestError（字段名 + 原因）。
RecommendRequest parse_recommend_request(const std::string& body, int max_top_k);
// 从已解析的 JSON 构造请求。
RecommendRequest request_from_json(const nlohmann::json& j, int max_top_k);

// 处理请求，返回响应 JSON。线程安全。
nlohmann::ordered_json recommend(const ModelBundle& b, const RecommendRequest& req);

}  // namespace seqrec
