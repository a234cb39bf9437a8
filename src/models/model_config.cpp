// ModelConfig 的默认值、校验与 JSON 转换。
#include "models/model_config.h"

#include "core/error.h"
#include "models/registry.h"

namespace seqrec {

std::string model_type_name(const ModelConfig& cfg) { return model_kind(cfg.type).manifest_name; }

std::string config_type_from_manifest(const std::string& model_type) {
  const ModelKind* k = find_model_kind_by_manifest(model_type);
  return k && k->family != ModelFamily::kGenerative ? k->name : "";
}

ModelConfig ModelConfig::defaults_for(const std::string& type) {
  // 默认值在模型表里（models/registry.cpp）；不认识的类型得到基础默认值，由 validate() 报错。
  const ModelKind* k = find_model_kind(type);
  ModelConfig c = k ? k->model : ModelConfig{};
  c.type = type;
  return c;
}

void ModelConfig::validate() const {
  auto bad = [](const char* flag, auto v, const char* want) {
    return Error(concat(flag, " must be ", want, " (got ", v, ")"));
  };
  const ModelKind* kind = find_model_kind(type);
  if (!kind || kind->family == ModelFamily::kGenerative)
    throw bad("--model", type, join_or(model_kind_names(true)).c_str());
  if (dim < 2 || dim > 4096) throw bad("--dim", dim, "in [2, 4096]");
  if (layers < 1 || layers > 32) throw bad("--layers", layers, "in [1, 32]");
  if (heads < 1 || dim % heads != 0) throw bad("--heads", heads, "a divisor of --dim");
  if (ffn_dim < 1 || ffn_dim > 65536) throw bad("--ffn-dim", ffn_dim, "in [1, 65536]");
  if (max_len < 1 || max_len > 4096) throw bad("--max-len", max_len, "in [1, 4096]");
  if (type == "bert4rec" && max_len < 2) throw bad("--max-len", max_len, ">= 2 for bert4rec (history + [MASK])");
  if (hidden < 0 || hidden > 65536) throw bad("--hidden", hidden, "in [0, 65536] (0 = --dim)");
  if (norm != "paper" && norm != "pre" && norm != "post") throw bad("--norm", norm, "paper, pre or post");
  if (similarity != "cosine" && similarity != "dot") throw bad("--similarity", similarity, "cosine or dot");
  if (num_users < 0 || num_items < 1) throw Error(concat("model needs at least one item (got ", num_items, ")"));
}

nlohmann::json ModelConfig::to_json() const {
  return {{"type", type},       {"num_users", num_users}, {"num_items", num_items}, {"dim", dim},
          {"layers", layers},   {"heads", heads},         {"ffn_dim", ffn_dim},     {"max_len", max_len},
          {"hidden", hidden},   {"norm", norm},           {"similarity", similarity}};
}

ModelConfig ModelConfig::from_json(const nlohmann::json& j) {
  ModelConfig c;
  try {
    c.type = j.value("type", std::string("long_short"));
    c.num_users = j.at("num_users").get<int>();
    c.num_items = j.at("num_items").get<int>();
    c.dim = j.at("dim").get<int>();
    c.layers = j.at("layers").get<int>();
    c.heads = j.at("heads").get<int>();
    c.ffn_dim = j.at("ffn_dim").get<int>();
    c.max_len = j.at("max_len").get<int>();
    c.hidden = j.value("hidden", 0);
    c.norm = j.value("norm", std::string("paper"));
    c.similarity = j.at("similarity").get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(concat("model config in manifest.json is incomplete: ", e.what()));
  }
  c.validate();
  return c;
}

}  // namespace seqrec
