// 序列编码器接口：把（用户，最近点击）编码成一个查询向量，再与物品向量比较打分。
// 服务与评估只依赖这个窄接口，不关心具体是哪个模型（STYLE.md 第 5 条）。
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/npy.h"
#include "core/safetensors.h"
#include "models/model_config.h"

namespace seqrec {

class SequenceEncoder {
 public:
  virtual ~SequenceEncoder() = default;
  // 查询向量维度（等于物品向量维度）。
  int dim() const { return config().dim; }
  // 模型结构（含 max_len、similarity）。
  virtual const ModelConfig& config() const = 0;
  // user：内部用户下标，-1 表示未知用户；clicks：内部物品下标，按时间从旧到新，n 可以为 0。
  // 结果写入 out[0..dim)。实现必须是线程安全的（const，且只使用线程局部的临时缓冲）。
  virtual void encode(int32_t user, const int32_t* clicks, size_t n, float* out) const = 0;
  // 模型是否使用用户 ID（不使用时，没有点击的请求无法个性化，由调用方回退到最热门）。
  virtual bool uses_user() const = 0;
  // 打分用的物品矩阵 [num_items, dim]（不含填充行；第 i 行 = item_map.json 中下标 i 的物品）。
  virtual Matrix item_embeddings() const = 0;
  // 同一个物品矩阵在模型内部的存储（item_embeddings() 的前 num_items 行，连续存放）；
  // 服务端借用它做精确检索，省去一份副本。没有这样的存储时返回空指针。
  virtual const float* item_table() const { return nullptr; }
};

// 按 cfg.type 从命名张量构建原生推理模型；名字或形状不符时抛出 Error。
std::unique_ptr<SequenceEncoder> make_encoder(const TensorMap& weights, const ModelConfig& cfg);

}  // namespace seqrec
