// safetensors 格式（https://huggingface.co/docs/safetensors）的 float32 子集读写。
// 布局：8 字节小端头长度 N，N 字节 JSON 头 {名字: {dtype, shape, data_offsets:[起, 止]}, "__metadata__": {...}}，
// 然后是紧密排列的小端数据。选它作为权重格式：标准、简单、Python 可直接读取，且服务端无需 LibTorch 即可加载。
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace seqrec {

// 一个命名张量：形状 + 行优先 float32 数据。
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> data;
  int64_t numel() const;
};

using TensorMap = std::map<std::string, Tensor>;

// 序列化为 safetensors 字节串；metadata 写入 "__metadata__"（字符串到字符串）。
std::string safetensors_encode(const TensorMap& tensors,
                               const std::map<std::string, std::string>& metadata = {});
// 解析 safetensors；只接受 F32。所有偏移与形状都会被校验，出错时消息带上 what。
// metadata 非空时写入 "__metadata__" 的内容（没有时为空表；值不是字符串时报错）。
TensorMap safetensors_decode(const std::string& bytes, const std::string& what,
                             std::map<std::string, std::string>* metadata = nullptr);

// 每个张量的每个元素都是有限数，否则抛出 Error（指明张量名与位置）：含 NaN / 无穷的权重训练时不导出，
// 服务时不加载（它们只会给出空的或错误的推荐）。
void check_finite_tensors(const TensorMap& tensors, const std::string& what);

}  // namespace seqrec
