// 融合 Adam 实现。
#include "train/adam.h"

#include <cmath>
#include <thread>

#include "core/error.h"
#include "core/kernels.h"

namespace seqrec {


FusedAdam::FusedAdam(std::vector<torch::Tensor> params, double lr, double weight_decay, bool decoupled, int threads,
                     double beta1, double beta2, double eps)
    : params_(std::move(params)), lr_(lr), wd_(weight_decay), b1_(beta1), b2_(beta2), eps_(eps),
      decoupled_(decoupled), threads_(std::max(1, threads)) {
  for (const auto& p : params_) {
    SEQREC_CHECK(p.is_contiguous() && p.scalar_type() == torch::kFloat32);
    m_.push_back(torch::zeros_like(p));
    v_.push_back(torch::zeros_like(p));
  }
  decays_.assign(params_.size(), 1);
}

void FusedAdam::decay_matrices_only() {
  for (size_t i = 0; i < params_.size(); ++i) decays_[i] = params_[i].dim() >= 2 ? 1 : 0;
}

void FusedAdam::step(const std::vector<std::vector<torch::Tensor>>& shard_grads) {
  ++t_;
  const float b1 = static_cast<float>(b1_), b2 = static_cast<float>(b2_);
  const float step_size = static_cast<float>(lr_ / (1.0 - std::pow(b1_, static_cast<double>(t_))));
  const float inv_sqrt_bc2 = static_cast<float>(1.0 / std::sqrt(1.0 - std::pow(b2_, static_cast<double>(t_))));
  const float eps = static_cast<float>(eps_), wd = static_cast<float>(wd_);
  const float decay = decoupled_ ? static_cast<float>(1.0 - lr_ * wd_) : 1.0f;
  // 每个参数的各分片梯度指针（未定义的跳过）。
  std::vector<std::vector<const float*>> g(params_.size());
  for (size_t i = 0; i < params_.size(); ++i)
    for (const auto& sg : shard_grads)
      if (sg[i].defined()) {
        SEQREC_CHECK(sg[i].is_contiguous() && sg[i].numel() == params_[i].numel());
        g[i].push_back(sg[i].data_ptr<float>());
      }
  auto work = [&](int w) {
    for (size_t i = 0; i < params_.size(); ++i) {
      const int64_t n = params_[i].numel();
      const int64_t lo = n * w / threads_, hi = n * (w + 1) / threads_;
      const auto& gi = g[i];
      if (gi.empty()) continue;
      // 分片梯度按固定顺序累加到第一个分片的缓冲里（该缓冲由本步的反向传播新建，可以改写）。
      float* g0 = const_cast<float*>(gi[0]);
      for (size_t k = 1; k < gi.size(); ++k) add_into(g0 + lo, gi[k] + lo, hi - lo);
      // 不衰减的参数：L2 项为 0，解耦衰减的乘子为 1。
      adam_update(params_[i].data_ptr<float>() + lo, m_[i].data_ptr<float>() + lo, v_[i].data_ptr<float>() + lo,
                  g0 + lo, hi - lo, b1, b2, step_size, inv_sqrt_bc2, eps, decays_[i] ? wd : 0.0f,
                  decays_[i] ? decay : 1.0f, decoupled_);
    }
  };
  torch::NoGradGuard ng;
  std::vector<std::thread> pool;
  for (int w = 1; w < threads_; ++w) pool.emplace_back(work, w);
  work(0);
  for (auto& th : pool) th.join();
}

}  // namespace seqrec
