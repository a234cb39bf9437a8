// 序列编码器接口：把（用户，最近点击）编码成一个查询向量，再与物品向量比较打分。
// 服务与评估只依赖这个窄接口，不关心具体是哪个模型（STYLE.md 第 5 条）。
#pragma once

#include <cstddef>
#include <cstdint>

namespace seqrec {

class SequenceEncoder {
 public:
  virtual ~SequenceEncoder() = default;
  // 查询向量维度（等于物品向量维度）。
  virtual int dim() const = 0;
  // user：内部用户下标，-1 表示未知用户；clicks：内部物品下标，按时间从旧到新，n 可以为 0。
  // 结果写入 out[0..dim)。实现必须是线程安全的（const，且只使用线程局部的临时缓冲）。
  virtual void encode(int32_t user, const int32_t* clicks, size_t n, float* out) const = 0;
};

}  // namespace seqrec
