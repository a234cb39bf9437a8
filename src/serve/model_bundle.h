// 服务端加载的模型目录：一次性读入并校验全部文件，之后只读、可被多线程共享。
// 服务端代码不包含任何训练代码，也不依赖 LibTorch。
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/id_map.h"
#include "index/exact_index.h"
#include "models/encoder.h"

namespace seqrec {

// 已加载的模型及其映射、检索索引和流行度回退列表。
struct ModelBundle {
  std::string dir;
  nlohmann::json manifest;
  std::unique_ptr<SequenceEncoder> model;  // 按 manifest 的 model_type 构建的原生推理模型
  IdMap users;
  IdMap items;
  ExactIndex index;                 // 基于 item_embeddings.npy；余弦或内积取决于模型的 similarity
  std::vector<int32_t> popular;     // 按训练集流行度降序排列的物品
  std::vector<float> popular_score; // 对应的训练次数

  // 加载并校验：缺文件、sha256 不符、形状/数量不一致都会抛出 Error，指明文件与原因。
  // precision：检索扫描物品向量时的数值格式（见 ExactIndex / ScanPrecision）。
  static std::unique_ptr<ModelBundle> load(const std::string& dir, ScanPrecision precision = ScanPrecision::kFp32);
};

}  // namespace seqrec
