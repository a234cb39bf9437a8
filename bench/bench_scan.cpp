// 基准程序：单个查询的全量检索耗时，fp32 / fp16 / int8（粗打分 + fp32 精排）三种扫描对比，单线程。
// 用法：seqrec_bench_scan [MODEL_DIR] [--items N --dim D]
//   给出模型目录时，查询是真实的用户向量（每个已知用户：只有长期兴趣、以及加上随机 20 次点击）；
//   否则用 N×D 的随机矩阵（默认 100000×64）与随机查询。打印每种扫描的 µs/查询，
//   以及 int8 与 fp32 结果逐位一致的比例、平均候选数与退回全量的次数。
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/kernels.h"
#include "index/exact_index.h"
#include "serve/model_bundle.h"

using namespace seqrec;

namespace {

// 一组查询跑若干轮，返回每个查询的平均微秒数。
double time_search(const ExactIndex& idx, const std::vector<std::vector<float>>& qs, int k, int rounds) {
  const auto t0 = std::chrono::steady_clock::now();
  size_t sink = 0;
  for (int r = 0; r < rounds; ++r)
    for (const auto& q : qs) sink += idx.search(q.data(), k).size();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (sink == 0) std::printf("(no results)\n");
  return 1e6 * s / (double(rounds) * qs.size());
}

}  // namespace

int main(int argc, char** argv) try {
  std::string model;
  int64_t n_items = 100000, dim = 64;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--items" && i + 1 < argc) n_items = std::stoll(argv[++i]);
    else if (a == "--dim" && i + 1 < argc) dim = std::stoll(argv[++i]);
    else model = a;
  }
  std::mt19937 rng(7);
  std::normal_distribution<float> g;
  Matrix items;
  std::vector<std::vector<float>> qs;
  if (!model.empty()) {
    auto b = ModelBundle::load(model);
    items = npy_load(model + "/item_embeddings.npy");
    std::uniform_int_distribution<int32_t> pick(0, static_cast<int32_t>(b->items.size()) - 1);
    for (size_t u = 0; u < b->users.size(); ++u) {
      std::vector<float> q(static_cast<size_t>(items.cols));
      b->model->encode(static_cast<int32_t>(u), nullptr, 0, q.data());
      qs.push_back(q);
      std::vector<int32_t> clicks(20);
      for (auto& c : clicks) c = pick(rng);
      b->model->encode(static_cast<int32_t>(u), clicks.data(), clicks.size(), q.data());
      qs.push_back(q);
    }
    std::printf("model %s: %lld items x %lld dims, %zu real queries\n", model.c_str(), (long long)items.rows,
                (long long)items.cols, qs.size());
  } else {
    items.rows = n_items;
    items.cols = dim;
    items.data.resize(static_cast<size_t>(n_items * dim));
    for (auto& v : items.data) v = g(rng);
    for (int i = 0; i < 1000; ++i) {
      std::vector<float> q(static_cast<size_t>(dim));
      for (auto& v : q) v = g(rng);
      qs.push_back(q);
    }
    std::printf("random: %lld items x %lld dims, %zu random queries\n", (long long)n_items, (long long)dim, qs.size());
  }
  std::printf("int8 kernel: %s\n", int8_kernel_name());
  const int k = 10;
  const int rounds = std::max<int>(1, static_cast<int>(3e10 / (double(items.rows) * items.cols * qs.size())));
  ExactIndex f32(items, true, ScanPrecision::kFp32), f16(items, true, ScanPrecision::kFp16),
      i8(items, true, ScanPrecision::kInt8);
  // 一致性：int8 与 fp32 的物品和得分逐位相同的查询比例。
  size_t same = 0;
  for (const auto& q : qs) {
    auto a = f32.search(q.data(), k), b = i8.search(q.data(), k);
    bool eq = a.size() == b.size();
    for (size_t i = 0; eq && i < a.size(); ++i) eq = a[i].item == b[i].item && a[i].score == b[i].score;
    same += eq;
  }
  const auto st = i8.int8_stats();
  std::printf("int8 == fp32 (items and scores, top-%d): %zu / %zu queries; mean candidates re-ranked %.1f; "
              "fallbacks to full fp32 %llu\n",
              k, same, qs.size(), st.searches > st.fallbacks ? double(st.candidates) / double(st.searches - st.fallbacks) : 0.0,
              (unsigned long long)st.fallbacks);
  for (auto [name, idx] : {std::pair<const char*, const ExactIndex*>{"fp32", &f32}, {"fp16", &f16}, {"int8", &i8}})
    std::printf("%s: %.2f us/query (top-%d, 1 thread, %d rounds)\n", name, time_search(*idx, qs, k, rounds), k, rounds);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
