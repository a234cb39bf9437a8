// 训练工具的实现。dropout 是自定义 autograd 函数：前向按块生成掩码（每元素 1 字节）并用可向量化的
// masked_scale 写出结果，反向按同一掩码缩放梯度。
#include "models/torch_util.h"

#include "core/error.h"
#include "core/kernels.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace seqrec {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

// SplitMix64 的输出函数（对计数器做哈希）。
inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// y = x ⊙ keep · scale；keep 由（base，元素下标）决定。
struct FastDropout : public torch::autograd::Function<FastDropout> {
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x, int64_t thr, double scale, int64_t base) {
    x = x.contiguous();
    auto y = torch::empty_like(x);
    auto keep = torch::empty(x.sizes(), x.options().dtype(torch::kUInt8));
    const float* xp = x.data_ptr<float>();
    float* yp = y.data_ptr<float>();
    uint8_t* kp = keep.data_ptr<uint8_t>();
    const int64_t n = x.numel();
    const float s = static_cast<float>(scale);
    const uint32_t t = static_cast<uint32_t>(thr);
    // 按块处理：先生成一块掩码（第 c 个 64 位随机数给出第 4c..4c+3 个元素的 16 位均匀数），
    // 再对这块做可向量化的 y = keep ? x·s : 0；块留在 L1 中，掩码与逐元素写法完全相同。
    constexpr int64_t kBlock = 2048;  // 4 的倍数
    for (int64_t b0 = 0; b0 < n; b0 += kBlock) {
      const int64_t m = std::min(kBlock, n - b0);
      uint8_t* kb = kp + b0;
      uint64_t c = static_cast<uint64_t>(b0 / 4);
      int64_t j = 0;
      for (; j + 4 <= m; j += 4, ++c) {
        const uint64_t r = mix64(static_cast<uint64_t>(base) + c * 0x9e3779b97f4a7c15ULL);
        kb[j] = static_cast<uint32_t>(r & 0xffff) >= t;
        kb[j + 1] = static_cast<uint32_t>((r >> 16) & 0xffff) >= t;
        kb[j + 2] = static_cast<uint32_t>((r >> 32) & 0xffff) >= t;
        kb[j + 3] = static_cast<uint32_t>(r >> 48) >= t;
      }
      if (j < m) {  // 末尾不足 4 个：取下一个随机数的低位
        uint64_t r = mix64(static_cast<uint64_t>(base) + c * 0x9e3779b97f4a7c15ULL);
        for (; j < m; ++j, r >>= 16) kb[j] = static_cast<uint32_t>(r & 0xffff) >= t;
      }
      masked_scale(xp + b0, kb, s, yp + b0, m);
    }
    ctx->save_for_backward({keep});
    ctx->saved_data["scale"] = scale;
    return y;
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grad_out) {
    auto keep = ctx->get_saved_variables()[0];
    const float s = static_cast<float>(ctx->saved_data["scale"].toDouble());
    auto g = grad_out[0].contiguous();
    auto gx = torch::empty_like(g);
    const float* gp = g.data_ptr<float>();
    const uint8_t* kp = keep.data_ptr<uint8_t>();
    float* op = gx.data_ptr<float>();
    masked_scale(gp, kp, s, op, g.numel());
    return {gx, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor dropout_with(const torch::Tensor& x, double p, bool training, DropoutRng* rng) {
  if (!training || p <= 0) return x;
  static thread_local DropoutRng fallback{0x5eed, 0};
  if (!rng) rng = &fallback;
  const int64_t thr = static_cast<int64_t>(p * 65536.0 + 0.5);  // 16 位均匀数 < thr 时丢弃
  const double scale = 65536.0 / (65536.0 - static_cast<double>(thr));
  const uint64_t base = mix64(rng->seed * 0x9e3779b97f4a7c15ULL + (++rng->calls));
  return FastDropout::apply(x, thr, scale, static_cast<int64_t>(base));
}

torch::Tensor multi_head_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, int heads,
                                   const torch::Tensor& blocked, double dropout, bool training, DropoutRng* gen) {
  const int64_t B = q.size(0), T = q.size(1), d = q.size(2), dh = d / heads;
  auto split = [&](const torch::Tensor& t) { return t.reshape({B, T, heads, dh}).transpose(1, 2); };
  auto scores = torch::matmul(split(q), split(k).transpose(-2, -1)).mul_(1.0 / std::sqrt(double(dh)));
  scores = scores.masked_fill(blocked, -std::numeric_limits<float>::infinity());
  auto att = torch::matmul(dropout_with(torch::softmax(scores, -1), dropout, training, gen), split(v));  // [B,H,T,dh]
  return att.transpose(1, 2).reshape({B, T, d});
}

std::string export_name(const std::string& n) {
  for (const char* e : {"item_emb.weight", "user_emb.weight", "pos_emb.weight"})
    if (n == e) return n.substr(0, n.find('.'));
  return n;
}

TensorMap module_to_tensors(torch::nn::Module& m) {
  TensorMap out;
  for (const auto& p : m.named_parameters()) {
    auto t = p.value().detach().to(torch::kCPU).to(torch::kFloat32).contiguous();
    Tensor x;
    x.shape.assign(t.sizes().begin(), t.sizes().end());
    x.data.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
    out.emplace(export_name(p.key()), std::move(x));
  }
  return out;
}

void module_load_tensors(torch::nn::Module& m, const TensorMap& t) {
  torch::NoGradGuard ng;
  for (auto& p : m.named_parameters()) {
    const std::string name = export_name(p.key());
    auto it = t.find(name);
    if (it == t.end()) throw Error(concat("weights: tensor '", name, "' is missing"));
    std::vector<int64_t> shape(p.value().sizes().begin(), p.value().sizes().end());
    if (it->second.shape != shape) throw Error(concat("weights: tensor '", name, "' has the wrong shape"));
    p.value().copy_(torch::from_blob(const_cast<float*>(it->second.data.data()), shape, torch::kFloat32));
  }
}

}  // namespace seqrec
