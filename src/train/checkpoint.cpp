// 训练检查点的读写与设置比对。
#include "train/checkpoint.h"

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <map>
#include <vector>

#include "core/error.h"
#include "core/files.h"
#include "train/loop.h"

namespace seqrec {

namespace {

constexpr int kFormat = 1;  // 检查点格式版本：字段含义改变时加一

// 张量分组的前缀（文件里的名字 = 前缀 + 参数名）。
const char* const kParam = "param/";
const char* const kAdamM = "adam_m/";
const char* const kAdamV = "adam_v/";
const char* const kBest = "best/";

// 把嵌套 JSON 展平为 "a.b" 路径 → 紧凑文本（数组整体作为一个值）。
void flatten(const nlohmann::json& j, const std::string& prefix, std::map<std::string, std::string>* out) {
  if (j.is_object() && !j.empty()) {
    for (auto it = j.begin(); it != j.end(); ++it)
      flatten(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
  } else {
    (*out)[prefix] = j.dump();
  }
}

}  // namespace

std::string checkpoint_path_for(const std::string& out) {
  std::string base = out;
  while (base.size() > 1 && base.back() == '/') base.pop_back();  // "model/" 与 "model" 是同一个目录
  return base + ".ckpt";
}

void TrainCheckpoint::save(const std::string& path) const {
  TensorMap all;
  auto add = [&all](const char* prefix, const TensorMap& m) {
    for (const auto& [name, t] : m) all.emplace(prefix + name, t);
  };
  add(kParam, params);
  add(kAdamM, adam_m);
  add(kAdamV, adam_v);
  add(kBest, best_weights);
  const nlohmann::json state = {{"format", kFormat},
                                {"identity", identity},
                                {"epoch", epoch},
                                {"finished", finished},
                                {"step", step},
                                {"adam_steps", adam_steps},
                                {"rng", rng},
                                {"order", order},
                                {"best", best},
                                {"since_best", since_best},
                                {"best_epoch", best_epoch},
                                {"best_valid", best_valid},
                                {"epoch_log", epoch_log},
                                {"train_seconds_sum", train_seconds_sum},
                                {"elapsed_seconds", elapsed_seconds}};
  write_file_atomic(path, safetensors_encode(all, {{"seqrec_checkpoint", state.dump()}}));
}

TrainCheckpoint TrainCheckpoint::load(const std::string& path) {
  std::map<std::string, std::string> meta;
  TensorMap all = safetensors_decode(read_file(path), path, &meta);
  auto it = meta.find("seqrec_checkpoint");
  if (it == meta.end()) throw Error(concat(path, ": not a seqrec training checkpoint (no seqrec_checkpoint metadata)"));
  TrainCheckpoint c;
  try {
    const nlohmann::json s = nlohmann::json::parse(it->second);
    const int format = s.at("format").get<int>();
    if (format != kFormat)
      throw Error(concat("checkpoint format ", format, " is not the one this build reads (", kFormat, ")"));
    c.identity = s.at("identity");
    c.epoch = s.at("epoch").get<int>();
    c.finished = s.at("finished").get<bool>();
    c.step = s.at("step").get<uint64_t>();
    c.adam_steps = s.at("adam_steps").get<int64_t>();
    c.rng = s.at("rng").get<std::string>();
    c.order = s.at("order").get<std::vector<int64_t>>();
    c.best = s.at("best").get<double>();
    c.since_best = s.at("since_best").get<int>();
    c.best_epoch = s.at("best_epoch").get<int>();
    c.best_valid = s.at("best_valid");
    c.epoch_log = s.at("epoch_log").get<std::string>();
    c.train_seconds_sum = s.at("train_seconds_sum").get<double>();
    c.elapsed_seconds = s.at("elapsed_seconds").get<double>();
    if (c.epoch < 1) throw Error(concat("epoch ", c.epoch, " (must be >= 1)"));
  } catch (const Error& e) {
    throw Error(concat(path, ": ", e.what()));
  } catch (const std::exception& e) {
    throw Error(concat(path, ": malformed checkpoint state: ", e.what()));
  }
  for (auto& [name, t] : all) {
    TensorMap* dst = nullptr;
    size_t skip = 0;
    for (auto [prefix, m] : {std::pair{kParam, &c.params}, std::pair{kAdamM, &c.adam_m}, std::pair{kAdamV, &c.adam_v},
                             std::pair{kBest, &c.best_weights}}) {
      const std::string p(prefix);
      if (name.compare(0, p.size(), p) == 0) {
        dst = m;
        skip = p.size();
        break;
      }
    }
    if (!dst) throw Error(concat(path, ": unexpected tensor '", name, "' in a training checkpoint"));
    dst->emplace(name.substr(skip), std::move(t));
  }
  if (c.params.empty()) throw Error(concat(path, ": the checkpoint holds no parameters"));
  return c;
}

void check_checkpoint_identity(const nlohmann::json& saved, const nlohmann::json& current, const std::string& path) {
  std::map<std::string, std::string> a, b;
  flatten(saved, "", &a);
  flatten(current, "", &b);
  std::vector<std::string> diffs;
  for (const auto& [key, v] : b) {
    auto it = a.find(key);
    if (it == a.end()) diffs.push_back(concat(key, " ", v, " (not in the checkpoint)"));
    else if (it->second != v) diffs.push_back(concat(key, " ", v, " (the checkpoint has ", it->second, ")"));
  }
  for (const auto& [key, v] : a)
    if (b.find(key) == b.end()) diffs.push_back(concat(key, " missing (the checkpoint has ", v, ")"));
  if (diffs.empty()) return;
  std::string list;
  const size_t shown = std::min<size_t>(diffs.size(), 8);
  for (size_t i = 0; i < shown; ++i) list += (i ? ", " : "") + diffs[i];
  if (diffs.size() > shown) list += concat(" and ", diffs.size() - shown, " more");
  throw Error(concat("--resume: ", path, " was written by a run with other settings: ", list,
                     "; run the command that wrote it with --resume added, or delete ", path, " to start over"));
}


// ---- 训练循环的检查点：把 LoopState、参数与 Adam 矩写进 TrainCheckpoint，或从中恢复 ----

namespace {

// 训练张量 → 连续的 float32 命名张量（写检查点用）。
Tensor plain_tensor(const torch::Tensor& x) {
  auto t = x.detach().to(torch::kFloat32).contiguous();
  Tensor out;
  out.shape.assign(t.sizes().begin(), t.sizes().end());
  out.data.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
  return out;
}

}  // namespace

void check_loop_parameters(const LoopSpec& spec) {
  // 检查点按参数名存取：named 与 spec.params 次序相同（调用方都取自 module->parameters()）。
  const auto named = spec.module->named_parameters();
  SEQREC_CHECK(named.size() == spec.params.size(), "loop parameters do not match the module's");
  for (size_t i = 0; i < named.size(); ++i)
    SEQREC_CHECK(named[i].value().is_same(spec.params[i]), "loop parameters are not in the module's order");
}

void save_loop_checkpoint(const LoopSpec& spec, const TrainOptions& opt, const LoopState& st, const FusedAdam& optim,
                          const TrainResult& res, int epoch, bool finished, const std::string& log) {
  const auto named = spec.module->named_parameters();
  TrainCheckpoint c;
  c.identity = opt.checkpoint_identity;
  c.epoch = epoch;
  c.finished = finished;
  c.step = st.step;
  c.adam_steps = optim.steps();
  std::ostringstream os;
  os << st.rng;
  c.rng = os.str();
  c.order = st.order;
  c.best = st.best;
  c.since_best = st.since_best;
  c.best_epoch = res.best_epoch;
  c.best_valid = res.best_valid;
  c.epoch_log = log;
  c.train_seconds_sum = st.train_time_sum;
  c.elapsed_seconds = st.elapsed();
  for (size_t i = 0; i < named.size(); ++i) {
    c.params.emplace(named[i].key(), plain_tensor(spec.params[i]));
    c.adam_m.emplace(named[i].key(), plain_tensor(optim.first_moments()[i]));
    c.adam_v.emplace(named[i].key(), plain_tensor(optim.second_moments()[i]));
  }
  c.best_weights = res.weights;
  try {
    c.save(opt.checkpoint);
  } catch (const std::exception& e) {
    // 写不了检查点（如磁盘已满）不应毁掉一次训练：警告后接着训练，上一轮的检查点（若有）保持原样。
    std::fprintf(stderr, "warning: could not write the checkpoint after epoch %d: %s; training goes on\n", epoch,
                 e.what());
  }
}

void restore_loop_checkpoint(const LoopSpec& spec, const TrainOptions& opt, LoopState* st, FusedAdam* optim,
                             TrainResult* res) {
  // 续训：设置必须与写检查点的那次一致；恢复之后的每一步与不中断的训练相同。
  const auto named = spec.module->named_parameters();
  TrainCheckpoint c = TrainCheckpoint::load(opt.checkpoint);
  check_checkpoint_identity(c.identity, opt.checkpoint_identity, opt.checkpoint);
  if (c.order.size() != st->order.size())
    throw Error(concat(opt.checkpoint, ": the checkpoint orders ", c.order.size(), " training units, this data has ",
                       st->order.size()));
  for (int64_t u : c.order)
    if (u < 0 || u >= spec.units) throw Error(concat(opt.checkpoint, ": training unit ", u, " out of range"));
  auto restore = [&](const TensorMap& from, const char* what, size_t i, const torch::Tensor& dst) {
    auto it = from.find(named[i].key());
    std::vector<int64_t> shape(dst.sizes().begin(), dst.sizes().end());
    if (it == from.end()) throw Error(concat(opt.checkpoint, ": ", what, " '", named[i].key(), "' is missing"));
    if (it->second.shape != shape)
      throw Error(concat(opt.checkpoint, ": ", what, " '", named[i].key(), "' has another shape than this model's"));
    torch::NoGradGuard ng;
    dst.copy_(torch::from_blob(const_cast<float*>(it->second.data.data()), shape, torch::kFloat32));
  };
  for (size_t i = 0; i < named.size(); ++i) {
    restore(c.params, "parameter", i, spec.params[i]);
    restore(c.adam_m, "Adam first moment", i, optim->first_moments()[i]);
    restore(c.adam_v, "Adam second moment", i, optim->second_moments()[i]);
  }
  if (c.params.size() != named.size())
    throw Error(concat(opt.checkpoint, ": the checkpoint has ", c.params.size(), " parameters, this model ",
                       named.size()));
  optim->set_steps(c.adam_steps);
  std::istringstream is(c.rng);
  is >> st->rng;
  if (!is) throw Error(concat(opt.checkpoint, ": unreadable random-number state"));
  st->order = std::move(c.order);
  st->step = c.step;
  st->best = c.best;
  st->since_best = c.since_best;
  res->best_epoch = c.best_epoch;
  res->best_valid = c.best_valid;
  res->weights = std::move(c.best_weights);
  res->epoch_log = c.epoch_log;
  res->epochs_run = c.epoch;
  res->resumed_after_epoch = c.epoch;
  st->train_time_sum = c.train_seconds_sum;
  st->elapsed_before = c.elapsed_seconds;
  st->first_epoch = c.finished ? opt.epochs + 1 : c.epoch + 1;  // 已结束的训练只差评估与导出
  std::fprintf(stderr, "resumed from %s after epoch %d of %d%s (best epoch so far %d)\n", opt.checkpoint.c_str(),
               c.epoch, opt.epochs, c.finished ? ", where training had ended" : "", c.best_epoch);
}

}  // namespace seqrec
