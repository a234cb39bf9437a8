// LightGCN 原生推理：查表（已知用户）或点击的平均（fold-in）。
#include "models/lightgcn_native.h"

#include <algorithm>

#include "core/error.h"
#include "models/native_ops.h"

namespace seqrec {

LightGcnModel LightGcnModel::from_tensors(const TensorMap& t, const ModelConfig& cfg) {
  cfg.validate();
  SEQREC_CHECK(cfg.type == "lightgcn", "model type is not lightgcn");
  LightGcnModel m;
  m.cfg_ = cfg;
  m.user_table_ = take_tensor(t, "user_table", {cfg.num_users, cfg.dim});
  m.item_table_ = take_tensor(t, "item_table", {cfg.num_items, cfg.dim});
  return m;
}

Matrix LightGcnModel::item_embeddings() const { return embedding_rows(item_table_, cfg_.num_items, cfg_.dim); }

void LightGcnModel::encode(int32_t user, const int32_t* clicks, size_t n_all, float* out) const {
  const int d = cfg_.dim;
  std::fill(out, out + d, 0.0f);
  if (user >= 0 && user < cfg_.num_users) {
    std::copy_n(&user_table_[static_cast<size_t>(user) * d], d, out);
    return;
  }
  const size_t n = std::min<size_t>(n_all, static_cast<size_t>(cfg_.max_len));
  if (n == 0) return;
  const int32_t* c = clicks + (n_all - n);
  for (size_t t = 0; t < n; ++t) {
    SEQREC_CHECK(c[t] >= 0 && c[t] < cfg_.num_items, "click index out of range");
    const float* r = &item_table_[static_cast<size_t>(c[t]) * d];
    for (int j = 0; j < d; ++j) out[j] += r[j];
  }
  const float inv = 1.0f / static_cast<float>(n);
  for (int j = 0; j < d; ++j) out[j] *= inv;
}

}  // namespace seqrec
