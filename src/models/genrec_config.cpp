// 生成式检索模型的选项校验、JSON 转换与编码器输入的拼装。
#include "models/genrec_config.h"

#include <algorithm>

#include "core/error.h"

namespace seqrec {

void GenRecConfig::validate() const {
  auto bad = [](const char* flag, auto v, const char* want) {
    return Error(concat(flag, " must be ", want, " (got ", v, ")"));
  };
  if (num_items < 1) throw Error(concat("model needs at least one item (got ", num_items, ")"));
  if (num_users < 0) throw bad("num_users", num_users, ">= 0");
  if (content_vocab < 0) throw bad("content_vocab", content_vocab, ">= 0");
  if (content_len < 1 || content_len > 512) throw bad("--content-len", content_len, "in [1, 512]");
  if (max_len < 1 || max_len > 1024) throw bad("--max-len", max_len, "in [1, 1024]");
  if (index_users < 0 || index_users > 256) throw bad("--index-users", index_users, "in [0, 256]");
  if (dim < 8 || dim > 4096) throw bad("--dim", dim, "in [8, 4096]");
  if (heads < 1 || dim % heads != 0) throw bad("--heads", heads, "a divisor of --dim");
  if (ffn_dim < 1 || ffn_dim > 65536) throw bad("--ffn-dim", ffn_dim, "in [1, 65536]");
  if (enc_layers < 1 || enc_layers > 32) throw bad("--layers", enc_layers, "in [1, 32]");
  if (dec_layers < 1 || dec_layers > 32) throw bad("--dec-layers", dec_layers, "in [1, 32]");
  if (codebook_sizes.empty() || codebook_sizes.size() > 16)
    throw Error(concat("semantic ids must have 1 to 16 tokens (got ", codebook_sizes.size(), ")"));
  for (int32_t k : codebook_sizes)
    if (k < 1) throw Error(concat("semantic id codebook sizes must be >= 1 (got ", k, ")"));
  if (sid_input_only && !sid_input) throw Error("sid_input_only needs sid_input (--sid-input-only sets both)");
  if (content_pool && content_vocab == 0) throw Error("--content-pool needs item content (--content)");
}

nlohmann::json GenRecConfig::to_json() const {
  return {{"type", kColarecName},        {"num_items", num_items},     {"num_users", num_users},
          {"content_vocab", content_vocab}, {"content_len", content_len}, {"max_len", max_len},
          {"index_users", index_users}, {"dim", dim},               {"heads", heads},
          {"ffn_dim", ffn_dim},       {"enc_layers", enc_layers},   {"dec_layers", dec_layers},
          {"codebook_sizes", codebook_sizes}, {"sid_input", sid_input},
          {"sid_input_only", sid_input_only}, {"pos_from_end", pos_from_end}, {"content_pool", content_pool},
          {"dense_head", dense_head}};
}

GenRecConfig GenRecConfig::from_json(const nlohmann::json& j) {
  GenRecConfig c;
  try {
    c.num_items = j.at("num_items").get<int>();
    c.num_users = j.at("num_users").get<int>();
    c.content_vocab = j.at("content_vocab").get<int>();
    c.content_len = j.at("content_len").get<int>();
    c.max_len = j.at("max_len").get<int>();
    c.index_users = j.at("index_users").get<int>();
    c.dim = j.at("dim").get<int>();
    c.heads = j.at("heads").get<int>();
    c.ffn_dim = j.at("ffn_dim").get<int>();
    c.enc_layers = j.at("enc_layers").get<int>();
    c.dec_layers = j.at("dec_layers").get<int>();
    c.codebook_sizes = j.at("codebook_sizes").get<std::vector<int32_t>>();
    c.sid_input = j.value("sid_input", false);  // 早于此选项的模型没有这一项
    c.sid_input_only = j.value("sid_input_only", false);  // 同上
    c.pos_from_end = j.value("pos_from_end", false);  // 同上
    c.content_pool = j.value("content_pool", false);  // 同上
    c.dense_head = j.value("dense_head", false);  // 同上
  } catch (const nlohmann::json::exception& e) {
    throw Error(concat("generative model config in manifest.json is incomplete: ", e.what()));
  }
  c.validate();
  return c;
}

Tensor content_tokens_tensor(const GenRecConfig& c, const ItemTokens& content) {
  Tensor t;
  t.shape = {c.num_items, c.content_len};
  t.data.assign(static_cast<size_t>(c.num_items) * c.content_len, -1.0f);
  for (int i = 0; i < c.num_items && i < static_cast<int>(content.size()); ++i) {
    const auto& ct = content[static_cast<size_t>(i)];
    for (int k = 0; k < c.content_len && k < static_cast<int>(ct.size()); ++k)
      t.data[static_cast<size_t>(i) * c.content_len + k] = static_cast<float>(ct[static_cast<size_t>(k)]);
  }
  return t;
}

std::vector<int32_t> rec_input(const GenRecConfig& c, const ItemTokens& content, const int32_t* items, size_t n) {
  const size_t start = n > static_cast<size_t>(c.max_len) ? n - static_cast<size_t>(c.max_len) : 0;
  std::vector<int32_t> t = {GenRecConfig::kRec};
  for (size_t k = start; k < n; ++k) {
    const int32_t i = items[k];
    if (c.inline_content() > 0) {
      const auto& ct = content[static_cast<size_t>(i)];
      t.insert(t.end(), ct.begin(), ct.begin() + std::min<size_t>(ct.size(), static_cast<size_t>(c.content_len)));
    }
    t.push_back(c.item_offset() + i);
  }
  return t;
}

std::vector<int32_t> index_input(const GenRecConfig& c, const ItemTokens& content, int32_t item,
                                 const int32_t* users, size_t n_users) {
  std::vector<int32_t> t = {GenRecConfig::kIdx};
  if (c.inline_content() > 0) {
    const auto& ct = content[static_cast<size_t>(item)];
    t.insert(t.end(), ct.begin(), ct.begin() + std::min<size_t>(ct.size(), static_cast<size_t>(c.content_len)));
  }
  t.push_back(c.item_offset() + item);
  for (size_t k = 0; k < std::min<size_t>(n_users, static_cast<size_t>(c.index_users)); ++k)
    t.push_back(c.user_offset() + users[k]);
  return t;
}

}  // namespace seqrec
