// 基准工具（不是测试）：写一个合成的大目录模型（10 万、100 万物品），供服务延迟、FAISS 召回率与内存的基准使用。
//
// 物品向量有簇结构（真实的嵌入也是这样）：C 个高斯簇中心 + 各向同性噪声；模型是 1 层 SASRec，物品表换成
// 这些向量，注意力输出投影、第二个前馈层与位置嵌入置零，于是查询 = 最近一次点击的物品向量（经 LayerNorm），
// 落在物品所在的空间里，像训练好的模型那样“推荐与刚看过的相近的”。随机方向的查询（未训练的网络）会让
// 前 10 名成为一堆得分几乎相同的极端点，不代表真实的检索负载。用户的历史取自一两个簇。
// 目录经由与 `seqrec train` 相同的导出代码写出（manifest、校验和、queries.npy 都齐全）。
//
// 用法：seqrec_make_catalogue --items 1000000 --dim 64 --out /tmp/cat1m [--clusters 1000] [--users 5000] [--seed 1]
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <random>
#include <string>

#include "core/error.h"
#include "core/files.h"
#include "models/seq_torch.h"
#include "models/torch_util.h"
#include "train/exporter.h"

using namespace seqrec;

namespace {

// 命令行参数：--name value 形式。
struct Args {
  int64_t items = 100000;
  int dim = 64;
  int clusters = 0;  // 0 = items / 1000（至少 10）
  int users = 5000;
  uint64_t seed = 1;
  std::string out;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--items") a.items = std::stoll(v);
    else if (k == "--dim") a.dim = std::stoi(v);
    else if (k == "--clusters") a.clusters = std::stoi(v);
    else if (k == "--users") a.users = std::stoi(v);
    else if (k == "--seed") a.seed = std::stoull(v);
    else if (k == "--out") a.out = v;
    else throw Error(concat("unknown option ", k));
  }
  if (a.out.empty() || a.items < 100 || a.dim < 4 || a.users < 10)
    throw Error("usage: seqrec_make_catalogue --items N(>=100) --dim D --out DIR [--clusters C] [--users U] [--seed S]");
  if (a.clusters <= 0) a.clusters = static_cast<int>(std::max<int64_t>(10, a.items / 1000));
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Args a = parse(argc, argv);
    const double t0 = now_seconds();
    std::mt19937_64 g(a.seed);
    std::normal_distribution<float> nd;
    // 簇中心与物品所属的簇（簇的大小不均：按 Zipf 式的权重抽）。
    std::vector<float> centers(static_cast<size_t>(a.clusters) * a.dim);
    for (auto& x : centers) x = nd(g);
    std::vector<std::vector<int32_t>> members(static_cast<size_t>(a.clusters));
    std::vector<double> w(static_cast<size_t>(a.clusters));
    for (int c = 0; c < a.clusters; ++c) w[static_cast<size_t>(c)] = 1.0 / std::pow(c + 1.0, 0.6);
    std::discrete_distribution<int> pick(w.begin(), w.end());

    SequenceData data;
    for (int64_t i = 0; i < a.items; ++i) {
      data.items.add(concat("i", i));
      members[static_cast<size_t>(pick(g))].push_back(static_cast<int32_t>(i));
    }
    // 每个用户：一两个簇里的 20 次点击。
    for (int u = 0; u < a.users; ++u) {
      data.users.add(concat("u", u));
      std::vector<int32_t> seq;
      const int c1 = pick(g), c2 = pick(g);
      for (int t = 0; t < 20; ++t) {
        const auto& m = members[static_cast<size_t>((t % 3 == 2) ? c2 : c1)];
        if (!m.empty()) seq.push_back(m[g() % m.size()]);
      }
      if (seq.size() < 3) seq = {0, 1, 2};
      data.seqs.push_back(seq);
    }

    ModelConfig cfg = ModelConfig::defaults_for("sasrec");
    cfg.num_items = static_cast<int>(a.items);
    cfg.num_users = a.users;
    cfg.dim = a.dim;
    cfg.layers = 1;
    cfg.heads = 1;
    cfg.ffn_dim = a.dim;
    cfg.max_len = 20;
    auto net = make_seq_net(cfg, 0.0);
    TrainResult r;
    r.weights = module_to_tensors(*net);
    // 物品表（含最后一行填充）换成有簇结构的向量：中心 + 0.5 倍噪声。
    Tensor& emb = r.weights.at("item_emb");
    SEQREC_CHECK(emb.shape.size() == 2 && emb.shape[0] == a.items + 1 && emb.shape[1] == a.dim);
    for (int c = 0; c < a.clusters; ++c)
      for (int32_t i : members[static_cast<size_t>(c)])
        for (int j = 0; j < a.dim; ++j)
          emb.data[static_cast<size_t>(i) * a.dim + j] = centers[static_cast<size_t>(c) * a.dim + j] + 0.5f * nd(g);
    for (int j = 0; j < a.dim; ++j) emb.data[static_cast<size_t>(a.items) * a.dim + j] = 0;
    for (const char* name : {"blocks.0.out_proj.weight", "blocks.0.out_proj.bias", "blocks.0.ffn2.weight",
                             "blocks.0.ffn2.bias", "pos_emb"}) {
      Tensor& t = r.weights.at(name);
      std::fill(t.data.begin(), t.data.end(), 0.0f);
    }

    ExportInfo info;
    info.data = &data;
    info.model = cfg;
    info.train = TrainOptions::defaults_for("sasrec");
    info.train.epochs = 0;
    info.result = &r;
    info.data_options = {{"source", "synthetic catalogue (bench/make_catalogue.cpp)"},
                         {"items", a.items}, {"dim", a.dim}, {"clusters", a.clusters}, {"users", a.users}, {"seed", a.seed}};
    info.metrics = nlohmann::json::object();
    export_model(a.out, info);
    std::printf("wrote %s: %lld items, dim %d, %d clusters, %d users in %.1fs\n", a.out.c_str(),
                static_cast<long long>(a.items), a.dim, a.clusters, a.users, now_seconds() - t0);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
