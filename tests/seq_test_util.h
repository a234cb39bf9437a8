// 序列模型测试（test_seqmodels.cpp、test_zoo.cpp）共用的小工具：随机初始化的训练模块、
// 训练模块对一批序列逐位置的输出、逐元素的近似比较。包含 LibTorch。
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "models/seq_torch.h"

namespace seqrec::test {

// 全部参数随机（包括 LayerNorm 与偏置），让比较覆盖每个参数；填充行清零，切到推理模式。
inline std::shared_ptr<SeqNetImpl> random_seq_net(const ModelConfig& c, uint64_t seed) {
  torch::manual_seed(seed);
  auto net = make_seq_net(c, 0.3);
  torch::NoGradGuard ng;
  for (auto& p : net->parameters()) p.normal_(0.0, 0.4);
  net->item_emb->weight[c.num_items].zero_();
  net->eval();
  return net;
}

// 训练模块对一批序列（按模块的填充方向补齐到 T）的输出；返回每行真实位置的输出 [len, d]。
inline std::vector<std::vector<float>> torch_rows(SeqNetImpl& net, const std::vector<std::vector<int32_t>>& rows,
                                                  int64_t T) {
  const int64_t B = static_cast<int64_t>(rows.size()), N = net.cfg.num_items, d = net.cfg.dim;
  auto seq = torch::full({B, T}, N, torch::kInt64);
  for (int64_t b = 0; b < B; ++b) {
    const int64_t len = static_cast<int64_t>(rows[b].size()), c0 = net.left_padded() ? T - len : 0;
    for (int64_t t = 0; t < len; ++t) seq[b][c0 + t] = rows[b][t];
  }
  torch::NoGradGuard ng;
  auto h = net.forward(seq, nullptr).contiguous();
  std::vector<std::vector<float>> out;
  for (int64_t b = 0; b < B; ++b) {
    const int64_t len = static_cast<int64_t>(rows[b].size()), c0 = net.left_padded() ? T - len : 0;
    auto r = h[b].slice(0, c0, c0 + len).contiguous();
    out.emplace_back(r.data_ptr<float>(), r.data_ptr<float>() + len * d);
  }
  return out;
}

// 逐元素 |a − b| <= tol·(1 + |b|)。
inline void expect_near(const std::vector<float>& a, const std::vector<float>& b, float tol, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], tol * (1 + std::fabs(b[i]))) << what << " at " << i;
}

}  // namespace seqrec::test
