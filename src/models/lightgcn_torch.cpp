// LightGCN 训练模块：建图、归一化、传播。
#include "models/lightgcn_torch.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace seqrec {

LightGcnNetImpl::LightGcnNetImpl(const ModelConfig& c, const SequenceData& data) : cfg(c) {
  const int64_t U = cfg.num_users, I = cfg.num_items, d = cfg.dim;
  SEQREC_CHECK(U == data.num_users() && I == data.num_items(), "lightgcn: config does not match the data");
  user_emb = register_module("user_emb", torch::nn::Embedding(U, d));
  item_emb = register_module("item_emb", torch::nn::Embedding(I, d));
  // Xavier 均匀初始化（与 LightGCN 论文及 RecBole 相同）。
  torch::nn::init::xavier_uniform_(user_emb->weight);
  torch::nn::init::xavier_uniform_(item_emb->weight);
  // 边：每个用户训练部分的不同物品。
  std::vector<int64_t> rows, cols;
  std::vector<float> deg(static_cast<size_t>(U + I), 0.0f);
  std::vector<int32_t> items;
  for (int32_t u = 0; u < data.num_users(); ++u) {
    const auto& s = data.seqs[static_cast<size_t>(u)];
    items.assign(s.begin(), s.begin() + data.train_len(u));
    std::sort(items.begin(), items.end());
    items.erase(std::unique(items.begin(), items.end()), items.end());
    for (int32_t i : items) {
      rows.push_back(u);
      cols.push_back(U + i);
      deg[static_cast<size_t>(u)] += 1;
      deg[static_cast<size_t>(U + i)] += 1;
    }
  }
  edges = static_cast<int64_t>(rows.size());
  if (edges == 0) throw Error("lightgcn: no training interactions to build the graph from");
  // 对称的 Â：每条边 (u, i) 写两次，值 1/sqrt(deg_u · deg_i)。
  const int64_t nnz = 2 * edges;
  auto idx = torch::empty({2, nnz}, torch::kInt64);
  auto val = torch::empty({nnz}, torch::kFloat32);
  int64_t* ip = idx.data_ptr<int64_t>();
  float* vp = val.data_ptr<float>();
  for (int64_t e = 0; e < edges; ++e) {
    const float w = 1.0f / std::sqrt(deg[static_cast<size_t>(rows[static_cast<size_t>(e)])] *
                                     deg[static_cast<size_t>(cols[static_cast<size_t>(e)])]);
    ip[e] = rows[static_cast<size_t>(e)];
    ip[nnz + e] = cols[static_cast<size_t>(e)];
    vp[e] = w;
    ip[edges + e] = cols[static_cast<size_t>(e)];
    ip[nnz + edges + e] = rows[static_cast<size_t>(e)];
    vp[edges + e] = w;
  }
  adj = torch::sparse_coo_tensor(idx, val, {U + I, U + I}).coalesce();
}

std::pair<torch::Tensor, torch::Tensor> LightGcnNetImpl::propagate() {
  const int64_t U = cfg.num_users, I = cfg.num_items;
  torch::Tensor e = torch::cat({user_emb->weight, item_emb->weight}, 0);
  torch::Tensor sum = e;
  for (int l = 0; l < cfg.layers; ++l) {
    e = torch::mm(adj, e);
    sum = sum + e;
  }
  sum = sum / static_cast<double>(cfg.layers + 1);
  return {sum.slice(0, 0, U), sum.slice(0, U, U + I)};
}

TensorMap LightGcnNetImpl::to_tensors() {
  torch::NoGradGuard guard;
  auto [u, i] = propagate();
  auto copy = [](const torch::Tensor& t) {
    Tensor out;
    const auto c = t.contiguous();
    out.shape.assign(c.sizes().begin(), c.sizes().end());
    out.data.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    return out;
  };
  TensorMap m;
  m["user_table"] = copy(u);
  m["item_table"] = copy(i);
  return m;
}

}  // namespace seqrec
