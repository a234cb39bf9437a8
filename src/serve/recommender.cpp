// 推荐请求处理实现。
#include "serve/recommender.h"

#include <algorithm>

#include "core/error.h"
#include "core/suggest.h"
#include "core/files.h"

namespace seqrec {

bool id_to_string(const nlohmann::json& v, std::string* out) {
  if (v.is_string()) *out = v.get<std::string>();
  else if (v.is_number_unsigned()) *out = std::to_string(v.get<uint64_t>());  // 比 dump() 快得多
  else if (v.is_number_integer()) *out = std::to_string(v.get<int64_t>());
  else return false;
  return true;
}

namespace {

// 类型错误时的统一消息。
RequestError bad_id(const std::string& field, const nlohmann::json& v) {
  return RequestError(field, concat("'", field, "' must be a string or an integer, got ", v.type_name()));
}

// 解析一个物品 ID 数组字段（recent_clicks、allow_items、deny_items）。
std::vector<std::string> parse_id_array(const nlohmann::json& j, const char* field, size_t max_size) {
  const auto& c = j[field];
  if (!c.is_array()) throw RequestError(field, concat("'", field, "' must be an array, got ", c.type_name()));
  if (c.size() > max_size)
    throw RequestError(field, concat("'", field, "' has ", c.size(), " entries; at most ", max_size, " are accepted"));
  std::vector<std::string> out;
  out.reserve(c.size());
  for (size_t i = 0; i < c.size(); ++i) {
    out.emplace_back();
    if (!id_to_string(c[i], &out.back())) throw bad_id(concat(field, "[", i, "]"), c[i]);
  }
  return out;
}

// 一个请求映射到内部下标之后的状态。
struct Plan {
  int32_t user = -1;
  std::vector<int32_t> clicks;  // 已知的点击（内部下标）
  nlohmann::json unknown = nlohmann::json::array();
  SearchFilter filter;          // exclude_clicked + deny_items → exclude；allow_items → allow
  bool use_model = false;       // false：没有可用信号，回退到最热门
  bool exclude_clicked = false; // 实际生效的 exclude_clicked（请求给出的，或模型的默认值）
};

Plan make_plan(const ModelBundle& b, const RecommendRequest& req) {
  Plan p;
  p.user = req.user_id ? b.users.find(*req.user_id) : -1;
  for (const auto& id : req.recent_clicks) {
    const int32_t it = b.items.find(id);
    if (it >= 0) p.clicks.push_back(it);
    else p.unknown.push_back(id);
  }
  p.exclude_clicked = req.exclude_clicked.value_or(b.exclude_clicked);
  if (p.exclude_clicked) p.filter.exclude = p.clicks;
  for (const auto& id : req.deny_items) {
    const int32_t it = b.items.find(id);
    if (it >= 0) p.filter.exclude.push_back(it);
  }
  if (req.allow_items) {
    p.filter.allow.emplace();
    for (const auto& id : *req.allow_items) {
      const int32_t it = b.items.find(id);
      if (it >= 0) p.filter.allow->push_back(it);
    }
  }
  // 没有可用的信号（无已知点击，且用户未知或模型不使用用户 ID）：回退到最热门物品，并明确标注。
  p.use_model = !(p.clicks.empty() && (p.user < 0 || !b.uses_user()));
  return p;
}

// 组装一个响应（不含 model_version，批量时由外层统一给出）。
nlohmann::ordered_json make_result(const ModelBundle& b, const std::vector<Hit>& hits, Plan& p, const char* strategy) {
  nlohmann::ordered_json out;
  nlohmann::json ids = nlohmann::json::array(), scores = nlohmann::json::array();
  for (const auto& h : hits) {
    ids.push_back(b.items.id(h.item));
    scores.push_back(h.score);
  }
  out["recommended_item_ids"] = std::move(ids);
  out["scores"] = std::move(scores);
  // 得分是什么：最热门回退是训练集次数；生成式模型是（束搜索与稠密头混合的）对数概率；
  // 向量模型按其相似度是余弦或内积。
  const bool popular = std::string(strategy) == "most_popular";
  out["score_type"] = popular ? "popularity" : b.generative ? "log_prob" : b.model->config().cosine() ? "cosine" : "dot";
  out["strategy"] = strategy;
  out["user_known"] = p.user >= 0;
  out["exclude_clicked"] = p.exclude_clicked;  // 实际生效的值：请求没给时是模型的默认值
  out["unknown_clicks"] = std::move(p.unknown);
  return out;
}

// 最热门回退（同样遵守过滤条件）。
std::vector<Hit> popular_hits(const ModelBundle& b, const Plan& p, int k) {
  const int64_t n = static_cast<int64_t>(b.popular.size());
  const std::vector<int32_t> ex = sorted_unique(p.filter.exclude, n);
  std::vector<int32_t> al;
  if (p.filter.allow) al = sorted_unique(*p.filter.allow, n);
  std::vector<Hit> hits;
  for (size_t i = 0; i < b.popular.size() && static_cast<int>(hits.size()) < k; ++i) {
    const int32_t it = b.popular[i];
    if (std::binary_search(ex.begin(), ex.end(), it)) continue;
    if (p.filter.allow && !std::binary_search(al.begin(), al.end(), it)) continue;
    hits.push_back({it, b.popular_score[i]});
  }
  return hits;
}

}  // namespace

void check_fields(const nlohmann::json& j, const std::vector<std::string>& known, const std::string& what) {
  // 别的推荐系统（TFRS、Gorse、自己的代码）里常见的叫法 → 这里的字段名。
  static const std::map<std::string, std::string> kAliases = {
      {"k", "top_k"},           {"n", "top_k"},          {"topn", "top_k"},           {"num_results", "top_k"},
      {"limit", "top_k"},       {"exclude_seen", "exclude_clicked"}, {"filter_seen", "exclude_clicked"},
      {"exclude_history", "exclude_clicked"}, {"user", "user_id"},  {"uid", "user_id"},
      {"clicks", "recent_clicks"}, {"history", "recent_clicks"},  {"item_ids", "recent_clicks"},
      {"items", "recent_clicks"},  {"allow", "allow_items"},      {"deny", "deny_items"},
      {"exclude_items", "deny_items"}, {"dir", "model_dir"},      {"model", "model_dir"}};
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (std::find(known.begin(), known.end(), it.key()) != known.end()) continue;
    const std::string guess = closest_name(it.key(), known, kAliases);
    const std::string key = nlohmann::json(it.key()).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    throw RequestError(it.key(), concat("unknown field ", key, guess.empty() ? "" : concat(" (did you mean \"", guess, "\"?)"),
                                        "; ", what, " has ", join_names(known)));
  }
}

RecommendRequest request_from_json(const nlohmann::json& j, int max_top_k) {
  if (!j.is_object()) throw RequestError("", "request body must be a JSON object");
  // 不认识的字段一律 400：拼错的 top_k 或别处的 exclude_seen 被悄悄忽略时，答案就不是所问的了。
  check_fields(j, {"user_id", "recent_clicks", "top_k", "exclude_clicked", "allow_items", "deny_items", "consumed_types"},
               "a request");
  RecommendRequest r;
  if (!j.contains("user_id")) throw RequestError("user_id", "missing field 'user_id' (string, integer or null)");
  if (!j["user_id"].is_null()) {
    std::string u;
    if (!id_to_string(j["user_id"], &u)) throw bad_id("user_id", j["user_id"]);
    r.user_id = std::move(u);
  }
  if (!j.contains("recent_clicks"))
    throw RequestError("recent_clicks", "missing field 'recent_clicks' (array of item ids, oldest first)");
  r.recent_clicks = parse_id_array(j, "recent_clicks", kMaxClicks);
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
  if (j.contains("allow_items")) r.allow_items = parse_id_array(j, "allow_items", kMaxFilterItems);
  if (j.contains("deny_items")) r.deny_items = parse_id_array(j, "deny_items", kMaxFilterItems);
  if (j.contains("consumed_types")) {
    // 名字是否是服务配置的类型由服务核对（http_server.cpp）；这里只看形状。
    const auto& a = j["consumed_types"];
    if (!a.is_array() || a.size() > 256)
      throw RequestError("consumed_types", "'consumed_types' must be an array of at most 256 event type names");
    std::vector<std::string> names;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!a[i].is_string())
        throw RequestError("consumed_types", concat("'consumed_types[", i, "]' must be a string, got ", a[i].type_name()));
      names.push_back(a[i].get<std::string>());
    }
    r.consumed_types = std::move(names);
  }
  return r;
}

RecommendRequest parse_recommend_request(const std::string& body, int max_top_k) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw RequestError("", "request body is not valid JSON");
  return request_from_json(j, max_top_k);
}

std::vector<RecommendRequest> parse_batch_request(const std::string& body, int max_top_k, int max_batch) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw RequestError("", "request body is not valid JSON");
  if (!j.is_object()) throw RequestError("", "request body must be a JSON object {\"requests\": [...]}");
  check_fields(j, {"requests"}, "a batch request");
  if (!j.contains("requests")) throw RequestError("requests", "missing field 'requests' (array of recommend requests)");
  const auto& a = j["requests"];
  if (!a.is_array()) throw RequestError("requests", concat("'requests' must be an array, got ", a.type_name()));
  if (a.empty()) throw RequestError("requests", "'requests' is empty");
  if (a.size() > static_cast<size_t>(max_batch))
    throw RequestError("requests", concat("'requests' has ", a.size(), " entries; at most ", max_batch,
                                          " are accepted (--max-batch)"));
  std::vector<RecommendRequest> out;
  out.reserve(a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    try {
      out.push_back(request_from_json(a[i], max_top_k));
    } catch (const RequestError& e) {
      const std::string field = e.field().empty() ? concat("requests[", i, "]") : concat("requests[", i, "].", e.field());
      throw RequestError(field, concat("requests[", i, "]: ", e.what()));
    }
  }
  return out;
}

// 生成式模型：约束束搜索。exclude 与 deny 在搜索中排除；allow 名单表示排除名单之外的全部物品。
std::vector<Hit> generative_hits(const ModelBundle& b, const Plan& p, int k) {
  std::vector<int32_t> ex = p.filter.exclude;
  if (p.filter.allow) {
    std::vector<char> ok(static_cast<size_t>(b.items.size()), 0);
    for (int32_t i : *p.filter.allow) ok[static_cast<size_t>(i)] = 1;
    for (int32_t i = 0; i < static_cast<int32_t>(ok.size()); ++i)
      if (!ok[static_cast<size_t>(i)]) ex.push_back(i);
  }
  std::vector<Hit> hits;
  for (const auto& h : b.generative->generate(p.clicks.data(), p.clicks.size(), k, b.beam, ex.empty() ? nullptr : &ex,
                                                    b.dense_mix))
    hits.push_back({h.item, h.score});
  return hits;
}

std::vector<Hit> model_hits(const ModelBundle& b, int32_t user, const std::vector<int32_t>& clicks, int k,
                            const SearchFilter& filter) {
  if (b.generative) {
    Plan p;
    p.user = user;
    p.clicks = clicks;
    p.filter = filter;
    return generative_hits(b, p, k);
  }
  std::vector<float> query(static_cast<size_t>(b.model->dim()));
  b.model->encode(user, clicks.data(), clicks.size(), query.data());
  return b.retriever->retrieve(query.data(), k, filter);
}

nlohmann::ordered_json recommend(const ModelBundle& b, const RecommendRequest& req) {
  std::vector<float> query;  // 查询向量（dim 个数，很小）：每次请求一份
  Plan p = make_plan(b, req);
  nlohmann::ordered_json out;
  if (!p.use_model) {
    out = make_result(b, popular_hits(b, p, req.top_k), p, "most_popular");
  } else if (b.generative) {
    out = make_result(b, generative_hits(b, p, req.top_k), p, "model");
  } else {
    query.resize(static_cast<size_t>(b.model->dim()));
    b.model->encode(p.user, p.clicks.data(), p.clicks.size(), query.data());
    auto hits = b.coalescer ? b.coalescer->retrieve(query.data(), req.top_k, p.filter)
                            : b.retriever->retrieve(query.data(), req.top_k, p.filter);
    out = make_result(b, hits, p, "model");
  }
  out["model_version"] = b.version;
  return out;
}

nlohmann::ordered_json recommend_batch(const ModelBundle& b, const std::vector<RecommendRequest>& reqs,
                                       double deadline) {
  const size_t n = reqs.size();
  if (b.generative) {
    // 生成式模型没有可以合并的向量检索：逐个生成，结果与单个请求相同。
    nlohmann::ordered_json results = nlohmann::ordered_json::array();
    for (size_t i = 0; i < n; ++i) {
      Plan p = make_plan(b, reqs[i]);
      results.push_back(p.use_model ? make_result(b, generative_hits(b, p, reqs[i].top_k), p, "model")
                                    : make_result(b, popular_hits(b, p, reqs[i].top_k), p, "most_popular"));
      if (deadline > 0 && now_seconds() > deadline)
        throw RequestTimeout(concat("batch exceeded the request time limit after ", i + 1, " of ", n, " requests"));
    }
    nlohmann::ordered_json out;
    out["model_version"] = b.version;
    out["results"] = std::move(results);
    return out;
  }
  const int64_t d = b.model->dim();
  std::vector<Plan> plans;
  plans.reserve(n);
  std::vector<size_t> model_rows;  // 用模型回答的请求
  std::vector<float> queries;
  std::vector<SearchFilter> filters;
  int max_k = 0;
  for (size_t i = 0; i < n; ++i) {
    plans.push_back(make_plan(b, reqs[i]));
    if (!plans.back().use_model) continue;
    model_rows.push_back(i);
    queries.resize(queries.size() + static_cast<size_t>(d));
    b.model->encode(plans[i].user, plans[i].clicks.data(), plans[i].clicks.size(), queries.data() + queries.size() - d);
    filters.push_back(plans[i].filter);
    max_k = std::max(max_k, reqs[i].top_k);
    if (deadline > 0 && now_seconds() > deadline)
      throw RequestTimeout(concat("batch exceeded the request time limit after encoding ", i + 1, " of ", n, " requests"));
  }
  bool any_filter = false;
  for (const auto& f : filters) any_filter |= !f.empty();
  // 一次批量检索；每个请求从 max_k 个结果里取自己的 top_k（结果按得分降序，前缀即其 top-k）。
  const auto hits = model_rows.empty() ? std::vector<std::vector<Hit>>()
                                       : b.retriever->retrieve_batch(queries.data(), static_cast<int>(model_rows.size()),
                                                                     max_k, any_filter ? filters : std::vector<SearchFilter>());
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  size_t m = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!plans[i].use_model) {
      results.push_back(make_result(b, popular_hits(b, plans[i], reqs[i].top_k), plans[i], "most_popular"));
      continue;
    }
    std::vector<Hit> h = hits[m++];
    if (h.size() > static_cast<size_t>(reqs[i].top_k)) h.resize(static_cast<size_t>(reqs[i].top_k));
    results.push_back(make_result(b, h, plans[i], "model"));
  }
  nlohmann::ordered_json out;
  out["model_version"] = b.version;
  out["results"] = std::move(results);
  return out;
}

}  // namespace seqrec
