// seqrec retrain 的实现：读存储 → 时间切分 → 热启动训练 → 留出集上的质量门 → 带 lineage 导出。
#include "live/retrain.h"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <thread>
#include <unordered_set>

#include "core/error.h"
#include "core/files.h"
#include "core/safetensors.h"
#include "data/dataset.h"
#include "eval/evaluator.h"
#include "eval/metrics.h"
#include "index/exact_index.h"
#include "models/registry.h"
#include "serve/model_bundle.h"
#include "train/exporter.h"
#include "train/trainer.h"
#include "train/warm_start.h"

namespace fs = std::filesystem;

namespace seqrec {

namespace {

// 解析 "NDCG@10" / "HR@10"：返回 K；不合法时返回 0。
int gate_k(const std::string& metric) {
  for (const char* name : {"HR@", "NDCG@"}) {
    const std::string p = name;
    if (metric.compare(0, p.size(), p) != 0) continue;
    const std::string k = metric.substr(p.size());
    if (k.empty() || k.size() > 4 || k.find_first_not_of("0123456789") != std::string::npos) return 0;
    return std::stoi(k);
  }
  return 0;
}

}  // namespace

void RetrainOptions::validate() const {
  if (current.empty()) throw Error("retrain needs --model (the current model directory)");
  if (out.empty()) throw Error("retrain needs --out (where the candidate model is written)");
  if (fs::weakly_canonical(current) == fs::weakly_canonical(out))
    throw Error(concat("--out ", out, " is the current model's directory; write the candidate somewhere else"));
  if (!(valid_frac > 0 && holdout_frac > 0 && valid_frac + holdout_frac < 0.9))
    throw Error(concat("--valid and --holdout must be > 0 with a sum below 0.9, got ", valid_frac, " and ", holdout_frac));
  if (gate_k(gate_metric) <= 0)
    throw Error(concat("--gate-metric must be HR@K or NDCG@K (e.g. NDCG@10), got '", gate_metric, "'"));
  if (!(max_regression >= 0 && max_regression < 1))
    throw Error(concat("--max-regression must be in [0, 1), a fraction of the current model's metric, got ", max_regression));
  if (gate_cases < 1) throw Error(concat("--gate-cases must be >= 1, got ", gate_cases));
  if (epochs < 0) throw Error(concat("--epochs must be >= 1 (or 0 for the current model's), got ", epochs));
  if (threads < 1) throw Error(concat("--threads must be >= 1, got ", threads));
  if (min_events < 0) throw Error(concat("--min-events must be >= 0, got ", min_events));
  if (!event_types.empty()) (void)EventTypes::parse(event_types, "--event-types");
  // 数据文件在读存储、训练之前就核对（serve 启动时也核对，而不是等到第一次后台训练才失败）。
  if (!data.empty() && !fs::is_regular_file(data))
    throw Error(concat("--data / --retrain-data ", data, ": no such file (an interactions CSV with user, item and "
                       "Unix-seconds timestamp columns)"));
}

namespace {

// 指标的短格式（4 位小数）。
std::string fmt_metric(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

// 新数据的 ID → 模型的下标（-1 = 模型不认识）。
std::vector<int32_t> map_ids(const IdMap& from, const IdMap& to) {
  std::vector<int32_t> m(from.size());
  for (size_t i = 0; i < from.size(); ++i) m[i] = to.find(from.id(static_cast<int32_t>(i)));
  return m;
}

// 当前模型在留出用例上的名次，与候选走同一条 rank_cases：先把用例换成它的视角——历史里它不认识的物品去掉，
// 用户换成它的下标（它不认识的用户排在它的用户之后，编码器按未知用户处理），目标是它不认识的物品时
// 记为没命中（名次 = 它的物品数），与服务的回答方式相同。
std::vector<int64_t> rank_with_parent(const ModelBundle& parent, const SequenceData& data,
                                      const std::vector<EvalCase>& cases, const EvalProtocol& proto, int threads) {
  const std::vector<int32_t> item_of = map_ids(data.items, parent.items), user_of = map_ids(data.users, parent.users);
  const int64_t n = static_cast<int64_t>(parent.items.size());
  SequenceData view;
  view.seqs.resize(parent.users.size());
  std::vector<int32_t> view_user(static_cast<size_t>(data.num_users()), -1);
  std::vector<EvalCase> known;  // 目标它认识的用例（在它的视角里）
  std::vector<size_t> where;    // known[k] 是 cases[where[k]]
  std::vector<int64_t> ranks(cases.size(), n);
  for (size_t k = 0; k < cases.size(); ++k) {
    const EvalCase& c = cases[k];
    const int32_t target = item_of[static_cast<size_t>(c.target)];
    if (target < 0) continue;  // 不认识的物品推荐不出来：没命中
    int32_t& vu = view_user[static_cast<size_t>(c.user)];
    if (vu < 0) {  // 这个用户的整条序列换成它认识的物品
      const int32_t pu = user_of[static_cast<size_t>(c.user)];
      vu = pu >= 0 ? pu : static_cast<int32_t>(view.seqs.size());
      if (pu < 0) view.seqs.emplace_back();
      for (int32_t it : data.seqs[static_cast<size_t>(c.user)])
        view.seqs[static_cast<size_t>(vu)].push_back(item_of[static_cast<size_t>(it)]);
    }
    // 位置 end 之前它认识的物品数，就是它视角里的 end。
    const auto& full = data.seqs[static_cast<size_t>(c.user)];
    int32_t end = 0;
    for (int32_t p = 0; p < c.end; ++p) end += item_of[static_cast<size_t>(full[static_cast<size_t>(p)])] >= 0;
    known.push_back({vu, end, target});
    where.push_back(k);
  }
  // 序列里留下的 -1（不认识的物品）去掉：之前按位置数过的 end 与去掉之后的下标一致。
  for (auto& seq : view.seqs) seq.erase(std::remove(seq.begin(), seq.end(), -1), seq.end());
  const CaseRanker ranker(view, proto);
  const std::vector<int64_t> r =
      rank_cases(*parent.model, *parent.exact, view, known, parent.model->config().max_len, &ranker, threads);
  for (size_t k = 0; k < r.size(); ++k) ranks[where[k]] = r[k];
  return ranks;
}

// 留出用例：多于 cap 个时等间隔抽取（确定性，两个模型用同一组）。
std::vector<EvalCase> gate_cases(const SequenceData& data, int cap) {
  std::vector<EvalCase> all = eval_cases(data, SplitPart::kTest);
  if (all.size() <= static_cast<size_t>(cap)) return all;
  std::vector<EvalCase> out;
  out.reserve(static_cast<size_t>(cap));
  for (int i = 0; i < cap; ++i) out.push_back(all[static_cast<size_t>(i) * all.size() / static_cast<size_t>(cap)]);
  return out;
}

}  // namespace

RetrainResult retrain(const HistoryStore& store, const std::string& store_name, const RetrainOptions& opt,
                      std::FILE* log) {
  opt.validate();
  const double t0 = now_seconds();
  auto say = [log](const std::string& line) {
    if (!log) return;
    std::fprintf(log, "retrain: %s\n", line.c_str());
    std::fflush(log);
  };

  // 1. 当前模型：完整校验后载入（权重另读一份给热启动）。
  BundleOptions bo;
  bo.index = "exact";
  const std::unique_ptr<ModelBundle> parent = ModelBundle::load(opt.current, bo);
  const std::string mtype = parent->manifest.value("model_type", std::string());
  const ModelKind* kind = find_model_kind_by_manifest(mtype);
  if (!kind) throw Error(concat("retrain: ", opt.current, " has model_type '", mtype, "', which this seqrec cannot train"));
  if (!kind->retrain_limit.empty())
    throw Error(concat("retrain: ", opt.current, " is a ", kind->name, " model, which retrain does not support: ",
                       kind->retrain_limit));
  ModelConfig cfg = ModelConfig::from_json(parent->manifest.at("model"));
  TrainOptions topt = TrainOptions::from_json(parent->manifest.value("training", nlohmann::json::object()), kind->name);

  // 2. 事件类型的权重：选项给的，或父模型记下的，或默认的；按存储登记的编号查（存储有、列表没有的类型权重为 0）。
  const std::vector<std::string> type_names = store.type_names();
  const nlohmann::json& pdata = parent->manifest.value("data", nlohmann::json::object());
  const EventTypes types = [&] {
    if (!opt.event_types.empty()) return EventTypes::parse(opt.event_types, "--event-types");
    if (pdata.contains("options") && pdata["options"].contains("event_types") && pdata["options"]["event_types"].is_string())
      return EventTypes::parse(pdata["options"]["event_types"].get<std::string>(),
                               concat(opt.current, "/manifest.json data.options.event_types"));
    // 都没有：存储登记的全部类型，权重都是 1（每个事件都是目标，与不区分类型相同）。
    std::string all;
    for (const auto& name : type_names)
      if (!name.empty()) all += (all.empty() ? "" : ",") + name;
    return EventTypes::parse(all.empty() ? std::string(kDefaultEventTypes) : all, "the store's event types");
  }();
  std::vector<float> code_weight(256, 0.0f);
  for (size_t c = 0; c < type_names.size(); ++c)
    if (const EventType* t = types.find(type_names[c])) code_weight[c] = static_cast<float>(t->weight);
  // 权重全为 1 且存储里没有列表之外的类型时不加权（与不配置类型的训练完全相同）。
  std::vector<int64_t> code_events(256, 0);

  // 3. 训练数据：可选的原始文件（去掉擦除名单里的用户）+ 存储中的全部事件（按到达次序）。
  Interactions raw;
  std::unordered_set<std::string> erased;
  for (auto& u : store.erased_users()) erased.insert(std::move(u));
  int64_t file_rows = 0, erased_rows = 0;
  if (!opt.data.empty()) {
    const Interactions file = read_interactions(opt.data, opt.csv);
    for (size_t i = 0; i < file.size(); ++i) {
      const std::string& u = file.users.id(file.user[i]);
      if (erased.count(u)) {
        ++erased_rows;
        continue;
      }
      raw.user.push_back(raw.users.add(u));
      raw.item.push_back(raw.items.add(file.items.id(file.item[i])));
      raw.time.push_back(file.time[i]);
      raw.weight.push_back(static_cast<float>(types.list().front().weight));  // 文件的交互算作第一个类型
      ++file_rows;
    }
    say(concat("read ", file_rows, " interactions from ", opt.data,
               erased_rows ? concat(" (", erased_rows, " of erased users left out)") : std::string()));
  }
  int64_t events = 0, first_ts = std::numeric_limits<int64_t>::max(), last_ts = std::numeric_limits<int64_t>::min();
  store.scan([&](const StoredEvent& e) {
    raw.user.push_back(raw.users.add(e.user_id));
    raw.item.push_back(raw.items.add(e.item_id));
    raw.time.push_back(static_cast<double>(e.ts_ms) / 1000.0);
    raw.weight.push_back(code_weight[e.type]);
    ++code_events[e.type];
    first_ts = std::min(first_ts, e.ts_ms);
    last_ts = std::max(last_ts, e.ts_ms);
    ++events;
    return true;
  });
  raw.lines = static_cast<int64_t>(raw.size());
  say(concat("read ", events, " events from ", store_name));
  // 每个类型的事件数与权重（lineage 里也记下）；列表之外的类型说一句。
  nlohmann::ordered_json type_counts = nlohmann::ordered_json::object();
  bool weighted = !types.uniform();
  for (size_t c = 0; c < code_events.size(); ++c) {
    if (code_events[c] == 0) continue;
    const std::string name = c < type_names.size() && !type_names[c].empty() ? type_names[c] : concat("type", c);
    type_counts[name] = {{"events", code_events[c]}, {"weight", code_weight[c]}};
    if (!types.find(name)) {
      weighted = true;
      say(concat(code_events[c], " events of type '", name, "', which is not in --event-types (", types.names(),
                 "), are history only (weight 0)"));
    }
  }
  if (!weighted) raw.weight.clear();
  else say(concat("event weights: ", types.spec()));
  if (events < opt.min_events)
    throw Error(concat("retrain: the event store holds ", events, " events, fewer than --min-events ", opt.min_events));
  if (raw.size() == 0) throw Error(concat("retrain: the event store ", store_name, " holds no events and no --data was given"));
  FilterOptions fo;
  fo.split = "temporal";
  fo.valid_frac = opt.valid_frac;
  fo.test_frac = opt.holdout_frac;
  const SequenceData data = build_sequences(raw, fo);
  const std::vector<EvalCase> cases = gate_cases(data, opt.gate_cases);
  if (cases.empty())
    throw Error(concat("retrain: no hold-out cases: no event in the most recent ", opt.holdout_frac * 100,
                       "% has an earlier event by the same user; raise --holdout or wait for more events"));
  say(concat(data.num_users(), " users, ", data.num_items(), " items, ", data.num_interactions(),
             " interactions; hold-out from ", utc_text(data.test_from), " (",
             cases.size(), " cases)"));

  // 4. 训练：结构沿用当前模型（用户数、物品数按新数据），训练选项沿用它的记录，可用 --epochs / --patience 改。
  cfg.num_users = data.num_users();
  cfg.num_items = data.num_items();
  cfg.validate();
  if (opt.epochs > 0 && opt.epochs != topt.epochs) {
    // 父模型的衰减段（--decay-epochs）按新的轮数等比缩放：衰减仍占训练的同一比例，
    // 而不会因为轮数变少而超出训练（那会被 validate 拒绝，报出用户没有输入过的选项）。
    topt.decay_epochs *= static_cast<double>(opt.epochs) / static_cast<double>(topt.epochs);
    topt.epochs = opt.epochs;
  }
  if (opt.patience >= 0) topt.patience = opt.patience;
  topt.threads = opt.threads;
  topt.progress = opt.progress;
  topt.checkpoint.clear();
  topt.resume = false;
  WarmStartStats ws;
  nlohmann::ordered_json warm;
  TensorMap old_weights;
  if (opt.warm_start && kind->warm_start_limit.empty()) {
    const std::string wpath = (fs::path(opt.current) / "model.safetensors").string();
    old_weights = safetensors_decode(read_file(wpath), wpath);
    topt.warm_start = [&](const TensorMap& fresh) {
      return warm_start_tensors(fresh, old_weights, parent->users, parent->items, data.users, data.items, &ws);
    };
  } else {
    warm = {{"used", false}, {"reason", opt.warm_start ? kind->warm_start_limit : std::string("--no-warm-start")}};
    if (opt.warm_start) say(concat("no warm start: ", kind->warm_start_limit));
  }
  const TrainResult res = train_model(data, cfg, topt, [&](const nlohmann::json& r) {
    std::string line = concat("epoch ", r.value("epoch", 0), ": loss ", r.value("loss", 0.0));
    if (r.contains("valid_NDCG@10")) line += concat(", valid NDCG@10 ", r["valid_NDCG@10"].get<double>());
    say(line);
  });
  if (topt.warm_start) warm = {{"used", true}, {"from", parent->version}, {"rows", ws.to_json()}};
  old_weights.clear();

  // 5. 质量门：候选与当前模型在同一组留出用例上、按服务的方式（历史排除规则与服务默认相同）数名次。
  const bool exclude = data.repeat_rate() < kRepeatRateForExclusion;
  const auto cand_enc = make_encoder(res.weights, cfg);
  const ExactIndex cand_index(cand_enc->item_embeddings(), cfg.cosine());
  EvalProtocol proto;  // 全量排序
  proto.exclude_history = exclude;
  const CaseRanker ranker(data, proto);
  const std::vector<int> ks = {gate_k(opt.gate_metric)};
  std::vector<int> report_ks = {1, 5, 10, 20};
  if (std::find(report_ks.begin(), report_ks.end(), ks[0]) == report_ks.end()) report_ks.push_back(ks[0]);
  // 按事件类型加权时，指标是按目标权重的加权平均（例如下单的用例比点击的重）。
  const std::vector<float> cw = case_weights(cases);
  const auto s_cand =
      summarize_ranks(rank_cases(*cand_enc, cand_index, data, cases, cfg.max_len, &ranker, opt.threads), report_ks, cw);
  const auto s_cur = summarize_ranks(rank_with_parent(*parent, data, cases, proto, opt.threads), report_ks, cw);
  const auto s_pop = summarize_ranks(rank_cases_static(popularity_scores(data), cases, &ranker), report_ks, cw);
  RetrainResult out;
  out.candidate = s_cand.at(opt.gate_metric).get<double>();
  out.current = s_cur.at(opt.gate_metric).get<double>();
  const double threshold = out.current * (1.0 - opt.max_regression);
  out.promoted = out.candidate >= threshold;
  out.reason = concat("candidate ", opt.gate_metric, " ", fmt_metric(out.candidate), out.promoted ? " >= " : " < ",
                      fmt_metric(threshold), " (current ", fmt_metric(out.current), " less --max-regression ",
                      opt.max_regression * 100, "%)");
  say(concat(out.promoted ? "gate passed: " : "gate refused: ", out.reason, "; most popular ",
             fmt_metric(s_pop.at(opt.gate_metric).get<double>())));

  // 6. lineage 与导出（候选总会导出，拒绝的也带着原因，便于查看）。
  nlohmann::ordered_json lin;
  lin["parent"] = {{"dir", fs::absolute(opt.current).lexically_normal().string()},
                   {"version", parent->version},
                   {"model_type", mtype}};
  lin["retrained_at"] = utc_text(unix_now());
  nlohmann::ordered_json ev = {{"store", store_name}, {"events", events}};
  if (events > 0) {
    ev["first_ts_ms"] = first_ts;
    ev["last_ts_ms"] = last_ts;
  }
  ev["erased_users"] = erased.size();
  ev["types"] = type_counts;
  if (!opt.data.empty()) {
    ev["data_file"] = opt.data;
    ev["data_rows"] = file_rows;
    ev["erased_rows_left_out"] = erased_rows;
  }
  lin["events"] = ev;
  lin["split"] = {{"valid_from_ts_ms", static_cast<int64_t>(data.valid_from * 1000)},
                  {"holdout_from_ts_ms", static_cast<int64_t>(data.test_from * 1000)},
                  {"valid_frac", opt.valid_frac},
                  {"holdout_frac", opt.holdout_frac}};
  lin["warm_start"] = warm;
  nlohmann::ordered_json gate = {
      {"metric", opt.gate_metric},
      {"protocol", concat("full ranking over each model's own items, ", exclude ? "history excluded" : "history kept",
                          "; a target the model does not know is a miss",
                          cw.empty() ? "" : "; cases weighted by their event type's weight")},
      {"cases", cases.size()},
      {"candidate", out.candidate},
      {"current", out.current},
      {"most_popular", s_pop.at(opt.gate_metric)},
      {"max_regression", opt.max_regression},
      {"threshold", threshold},
      {"decision", out.promoted ? "promoted" : "rejected"},
      {"reason", out.reason}};
  // 当前模型若是学过留出期事件的（它的 lineage 记录的事件晚于留出期的开始），门偏向它：写明。
  const auto& plin = parent->manifest.value("lineage", nlohmann::json::object());
  if (plin.contains("events") && plin["events"].value("last_ts_ms", int64_t{0}) >= static_cast<int64_t>(data.test_from * 1000))
    gate["note"] = "the current model was trained on events inside this hold-out, which favours it";
  lin["gate"] = gate;
  out.lineage = lin;

  ExportInfo info;
  info.data = &data;
  info.model = cfg;
  info.train = topt;
  info.result = &res;
  info.data_options = {{"source", "event store"}, {"store", store_name}, {"split_mode", "temporal"},
                       {"temporal_valid", opt.valid_frac}, {"temporal_test", opt.holdout_frac},
                       {"event_types", types.spec()}};
  if (!opt.data.empty()) info.data_options["data"] = opt.data;
  info.metrics = {{"holdout", {{"candidate", s_cand}, {"current", s_cur}, {"most_popular", s_pop}}}};
  info.lineage = lin;
  // 父模型的物品标题带到候选里（只留这次数据里有的物品）：控制台在重新训练之后仍按标题显示。
  if (parent->manifest.contains("item_titles")) {
    const nlohmann::json all = nlohmann::json::parse(read_file((fs::path(opt.current) / "item_titles.json").string()));
    info.item_titles = nlohmann::json::object();
    for (const auto& [id, t] : all.items())
      if (data.items.find(id) >= 0) info.item_titles[id] = t;
    info.titles_info = parent->manifest["item_titles"];
    info.titles_info["items_with_title"] = info.item_titles.size();
    info.titles_info["inherited_from"] = parent->version;
  }
  export_model(opt.out, info);
  out.seconds = now_seconds() - t0;
  out.peak_rss_mib = peak_rss_mib();
  say(concat("wrote ", opt.out, " (", out.promoted ? "promoted" : "rejected", ") in ", fmt_metric(out.seconds),
             " s, peak memory ", static_cast<int64_t>(out.peak_rss_mib), " MiB"));
  return out;
}

}  // namespace seqrec
