// 训练检查点的读写与设置比对。
#include "train/checkpoint.h"

#include <algorithm>
#include <map>
#include <vector>

#include "core/error.h"
#include "core/files.h"

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

}  // namespace seqrec
