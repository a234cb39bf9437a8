// 推荐请求处理实现。
#include "serve/recommender.h"

#include <algorithm>

#include "core/error.h"

namespace seqrec {

namespace {

// 把字符串或整数形式的 ID 统一成字符串；类型不对时返回 false（由调用方构造带字段名的错误）。
bool id_to_string(const nlohmann::json& v, std::string* out) {
  if (v.is_string()) *out = v.get<std::string>();
  else if (v.is_number_unsigned()) *out = std::to_string(v.get<uint64_t>());  // 比 dump() 快得多
  else if (v.is_number_integer()) *out = std::to_string(v.get<int64_t>());
  else return false;
  return true;
}

// 类型错误时的统一消息。
RequestError bad_id(const std::string& field, const nlohmann::json& v) {
  return RequestError(field, concat("'", field, "' must be a string or an integer, got ", v.type_name()));
}

}  // namespace

RecommendRequest request_from_json(const nlohmann::json& j, int max_top_k) {
  if (!j.is_object()) throw RequestError("", "request body must be a JSON object");
  RecommendRequest r;
  if (!j.contains("user_id")) throw RequestError("user_id", "missing field 'user_id' (string, integer or null)");
  if (!j["user_id"].is_null()) {
    std::string u;
    if (!id_to_string(j["user_id"], &u)) throw bad_id("user_id", j["user_id"]);
    r.user_id = std::move(u);
  }
  if (!j.contains("recent_clicks"))
    throw RequestError("recent_clicks", "missing field 'recent_clicks' (array of item ids, oldest first)");
  const auto& c = j["recent_clicks"];
  if (!c.is_array()) throw RequestError("recent_clicks", concat("'recent_clicks' must be an array, got ", c.type_name()));
  if (c.size() > kMaxClicks)
    throw RequestError("recent_clicks", concat("'recent_clicks' has ", c.size(), " entries; at most ", kMaxClicks, " are accepted"));
  r.recent_clicks.reserve(c.size());
  for (size_t i = 0; i < c.size(); ++i) {
    r.recent_clicks.emplace_back();
    if (!id_to_string(c[i], &r.recent_clicks.back())) throw bad_id(concat("recent_clicks[", i, "]"), c[i]);
  }
  if (j.contains("top_k")) {
    const auto& k = j["top_k"];
    if (!k.is_number_integer()) throw RequestError("top_k", concat("'top_k' must be an integer, got ", k.type_name()));
    const int64_t v = k.get<int64_t>();
    if (v < 1 || v > max_top_k)
      throw RequestError("top_k", concat("'top_k' must be between 1 and ", max_top_k, ", got ", k.dump()));
    r.top_k = static_cast<int>(v);
  }
  if (j.contains("exclude_clicked")) {
    if (!j["exclude_clicked"].is_boolean())
      throw RequestError("exclude_clicked", "'exclude_clicked' must be true or false");
    r.exclude_clicked = j["exclude_clicked"].get<bool>();
  }
  return r;
}

RecommendRequest parse_recommend_request(const std::string& body, int max_top_k) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw RequestError("", "request body is not valid JSON");
  return request_from_json(j, max_top_k);
}

nlohmann::ordered_json recommend(const ModelBundle& b, const RecommendRequest& req) {
  static thread_local std::vector<float> query;
  const int32_t user = req.user_id ? b.users.find(*req.user_id) : -1;
  std::vector<int32_t> clicks;
  nlohmann::json unknown = nlohmann::json::array();
  for (const auto& id : req.recent_clicks) {
    const int32_t it = b.items.find(id);
    if (it >= 0) clicks.push_back(it);
    else unknown.push_back(id);
  }
  nlohmann::ordered_json out;
  nlohmann::json ids = nlohmann::json::array(), scores = nlohmann::json::array();
  if (clicks.empty() && (user < 0 || !b.model->uses_user())) {
    // 没有可用的信号（无已知点击，且用户未知或模型不使用用户 ID）：返回最热门物品，并明确标注。
    const size_t k = std::min<size_t>(static_cast<size_t>(req.top_k), b.popular.size());
    for (size_t i = 0; i < k; ++i) {
      ids.push_back(b.items.id(b.popular[i]));
      scores.push_back(b.popular_score[i]);
    }
    out["recommended_item_ids"] = std::move(ids);
    out["scores"] = std::move(scores);
    out["strategy"] = "most_popular";
  } else {
    query.resize(static_cast<size_t>(b.model->dim()));
    b.model->encode(user, clicks.data(), clicks.size(), query.data());
    static const std::vector<int32_t> kNone;
    auto hits = b.index.search(query.data(), req.top_k, req.exclude_clicked ? clicks : kNone);
    for (const auto& h : hits) {
      ids.push_back(b.items.id(h.item));
      scores.push_back(h.score);
    }
    out["recommended_item_ids"] = std::move(ids);
    out["scores"] = std::move(scores);
    out["strategy"] = "model";
  }
  out["user_known"] = user >= 0;
  out["unknown_clicks"] = std::move(unknown);
  return out;
}

}  // namespace seqrec
