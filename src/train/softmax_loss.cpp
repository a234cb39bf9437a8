// 分块全量 softmax 交叉熵：自定义 autograd 函数。
#include "train/softmax_loss.h"

#include <cmath>
#include <limits>

namespace seqrec {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

// 自定义 autograd 函数：前向在线计算每行的 log-sum-exp，反向逐块重算概率并累加梯度。
struct ChunkedSoftmaxCE : public torch::autograd::Function<ChunkedSoftmaxCE> {
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor u, torch::Tensor items, torch::Tensor targets,
                               double scale, int64_t chunk, torch::Tensor weights) {
    if (weights.numel() == 0) weights = torch::Tensor();  // 0 个元素的张量表示不加权（apply 不接受未定义的张量）
    u = u.contiguous();
    items = items.contiguous();
    const int64_t B = u.size(0), N = items.size(0);
    // 平移量：由 Cauchy-Schwarz，logit_bj <= scale·|u_b|·max_j|e_j|。上界不太大时（余弦打分总是如此）
    // 直接用它做平移，每块只需“矩阵乘 + exp + 求和”三遍；否则退回在线最大值。
    auto bound = u.norm(2, 1).mul_(scale * items.norm(2, 1).max().item<double>());
    const bool fixed_shift = bound.max().item<double>() <= 60.0;
    auto m = fixed_shift ? bound : torch::full({B}, -std::numeric_limits<float>::infinity(), u.options());
    auto s = torch::zeros({B}, u.options());
    // 固定平移且 [B, N] 不太大（≤ 256 MiB）时，把 exp(logit − 平移) 存下来，反向时不必重算矩阵乘与 exp。
    const bool keep = fixed_shift && B * N <= (int64_t(64) << 20);
    torch::Tensor P = keep ? torch::empty({B, N}, u.options()) : torch::Tensor();
    for (int64_t c0 = 0; c0 < N; c0 += chunk) {
      const int64_t C = std::min(chunk, N - c0);
      auto Ec = items.narrow(0, c0, C);
      if (keep) {
        auto Pc = P.narrow(1, c0, C);  // 行跨度为 N 的视图，BLAS 直接写入
        torch::addmm_out(Pc, m.neg().unsqueeze(1).expand({B, C}), u, Ec.t(), 1.0, scale);
        s.add_(Pc.exp_().sum(1));
      } else if (fixed_shift) {
        s.add_(torch::addmm(m.neg().unsqueeze(1).expand({B, C}), u, Ec.t(), 1.0, scale).exp_().sum(1));
      } else {
        auto S = torch::mm(u, Ec.t()).mul_(scale);  // [B, C]
        auto new_m = torch::maximum(m, std::get<0>(S.max(1)));
        s.mul_((m - new_m).exp_()).add_(S.sub_(new_m.unsqueeze(1)).exp_().sum(1));
        m = new_m;
      }
    }
    auto lse = m + s.log();
    auto target_logit = (u * items.index_select(0, targets)).sum(1).mul_(scale);
    ctx->save_for_backward({u, items, targets, lse, keep ? P : torch::Tensor(), keep ? s : torch::Tensor(), weights});
    ctx->saved_data["scale"] = scale;
    ctx->saved_data["chunk"] = chunk;
    return weights.defined() ? ((lse - target_logit) * weights).mean() : (lse - target_logit).mean();
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grad_out) {
    auto saved = ctx->get_saved_variables();
    auto u = saved[0], items = saved[1], targets = saved[2], lse = saved[3], P = saved[4], s = saved[5], w = saved[6];
    const double scale = ctx->saved_data["scale"].toDouble();
    const int64_t chunk = ctx->saved_data["chunk"].toInt();
    const int64_t B = u.size(0), N = items.size(0);
    // d loss / d logit_{b,j} = (softmax_{b,j} − [j = t_b]) / B；再乘以 scale 得到对内积的梯度。
    auto coef = grad_out[0] * (scale / static_cast<double>(B));
    auto gu = torch::zeros_like(u);
    auto gE = torch::empty_like(items);
    // P = coef·exp(scale·S − lse)；coef > 0 时把 log(coef) 并入偏置，一次 addmm + 一次 exp 完成。
    // 有权重时每行的系数是 coef·w_b：log(w_b) 也并入偏置（w_b = 0 得到 −inf，exp 之后为 0）。
    const double c = coef.item<double>();
    auto bias = c > 0 ? (std::log(c) - lse).unsqueeze(1) : (-lse).unsqueeze(1);
    if (w.defined()) bias = bias + w.log().unsqueeze(1);
    // 存了 exp(logit − 平移) 时，softmax = 它 / s，每行乘以 coef·w / s 即可。
    auto row_scale = P.defined() ? (w.defined() ? coef * w / s : coef / s).unsqueeze(1) : torch::Tensor();
    for (int64_t c0 = 0; c0 < N; c0 += chunk) {
      const int64_t C = std::min(chunk, N - c0);
      auto Ec = items.narrow(0, c0, C);
      torch::Tensor Pc;
      if (P.defined()) {
        Pc = P.narrow(1, c0, C).mul_(row_scale);
      } else {
        Pc = torch::addmm(bias.expand({B, C}), u, Ec.t(), 1.0, scale).exp_();  // [B, C]
        if (!(c > 0)) Pc.mul_(c);
      }
      gu.addmm_(Pc, Ec);
      auto gEc = gE.narrow(0, c0, C);
      torch::mm_out(gEc, Pc.t(), u);
    }
    // 目标项的 −1：gu_b −= coef·w_b·e_{t_b}，gE_{t_b} −= coef·w_b·u_b（同一物品可出现多次，用 index_add）。
    auto row_coef = w.defined() ? (coef * w).unsqueeze(1) : coef;
    gu.sub_(items.index_select(0, targets) * row_coef);
    gE.index_add_(0, targets, u * (-row_coef));
    return {gu, gE, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor chunked_softmax_cross_entropy(const torch::Tensor& u, const torch::Tensor& items,
                                            const torch::Tensor& targets, double scale, int64_t chunk,
                                            const torch::Tensor& weights) {
  return ChunkedSoftmaxCE::apply(u, items, targets, scale, chunk,
                                 weights.defined() ? weights.contiguous() : torch::empty({0}, u.options()));
}

}  // namespace seqrec
