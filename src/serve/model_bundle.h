// 服务端加载的模型目录：一次性读入并校验全部文件，之后只读、可被多线程共享。
// 服务端代码不包含任何训练代码，也不依赖 LibTorch。
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/id_map.h"
#include "index/exact_index.h"
#include "index/retriever.h"
#include "models/encoder.h"
#include "models/genrec_native.h"
#include "serve/coalescer.h"

namespace seqrec {

// 加载选项。
struct BundleOptions {
  ScanPrecision precision = ScanPrecision::kFp32;  // 精确检索扫描物品向量的数值格式
  std::string index = "auto";  // auto：目录里有 FAISS 索引就用它；exact：总用精确检索
  int ef_search = 0;           // >0 时覆盖 HNSW 索引的 ef_search
  int nprobe = 0;              // >0 时覆盖 IVF 索引的 nprobe
  int coalesce = 0;            // >0：并发的单个请求合批检索，每批至多这么多个（见 coalescer.h）；0 = 不合批
  int beam = 0;                // 生成式模型：>0 时覆盖训练时记录的束宽
  double dense_mix = -1;       // 带稠密头的生成式模型：>= 0 时覆盖训练时记录的混合比例
};

// 已加载的模型及其映射、检索索引和流行度回退列表。
struct ModelBundle {
  std::string dir;
  nlohmann::json manifest;
  std::string version;  // 模型版本：manifest.json 内容的 sha256 前 12 位（目录内容变了，版本就变）
  // 成员顺序有意义：exact 可能借用 model 的物品表，所以 model 必须在 exact / retriever / coalescer 之前声明（之后析构）。
  std::unique_ptr<SequenceEncoder> model;  // 按 manifest 的 model_type 构建的原生推理模型（生成式模型时为空）
  std::unique_ptr<GenRecModel> generative; // model_type = colarec：约束束搜索生成，没有向量检索（exact / retriever 为空）
  int beam = 20;                           // 生成式模型的束宽
  double dense_mix = 0;                    // 生成式模型稠密得分的混合比例（没有稠密头时为 0；见 genrec_native.h）
  IdMap users;
  IdMap items;
  std::shared_ptr<const ExactIndex> exact;    // 基于 item_embeddings.npy；余弦或内积取决于模型的 similarity
  std::shared_ptr<const Retriever> retriever; // 服务用的检索后端：exact 本身，或 FAISS 索引（以 exact 为退路）
  std::unique_ptr<Coalescer> coalescer;       // 非空时单个请求经它合批检索（属于这个模型版本）
  // 请求没有给 exclude_clicked 时的默认值：manifest 的 serving.exclude_clicked（由训练数据的重复率得出；
  // 没有这一段的旧模型为 false）；serve --exclude-clicked 可以覆盖。
  bool exclude_clicked = false;
  std::vector<int32_t> popular;     // 按训练集流行度降序排列的物品
  std::vector<float> popular_score; // 对应的训练次数

  // 模型是否使用用户 ID（生成式模型只读最近点击）。
  bool uses_user() const { return model && model->uses_user(); }
  // 检索后端的名字（日志与 /health）：向量检索后端，或生成式模型的 "beam_search"。
  std::string index_kind() const { return retriever ? retriever->kind() : "beam_search"; }

  // 加载并校验：缺文件、sha256 不符、形状/数量不一致都会抛出 Error，指明文件与原因。
  // precision：检索扫描物品向量时的数值格式（见 ExactIndex / ScanPrecision）。
  static std::unique_ptr<ModelBundle> load(const std::string& dir, const BundleOptions& opt = {});
  // 只指定扫描精度（其余选项默认）。
  static std::unique_ptr<ModelBundle> load(const std::string& dir, ScanPrecision precision) {
    BundleOptions o;
    o.precision = precision;
    return load(dir, o);
  }
};

}  // namespace seqrec
