// LibTorch 训练模块共用的工具：快速、可复现的 dropout；模块参数与命名张量（safetensors）之间的转换。
//
// dropout：
// LibTorch 的 bernoulli_ 逐元素调用 mt19937，在 SASRec（注意力权重 [B,T,T] 也要 dropout）上占了训练时间的
// 四成以上；这里用计数器式哈希（SplitMix64）生成掩码：每 64 位随机数给出 4 个 16 位的均匀数，
// 结果只取决于（种子，调用次序），与线程数和调度无关。
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>

#include "core/safetensors.h"

namespace seqrec {

// dropout 的随机数源：每个数据并行分片一个。每次调用 dropout_with 取一段新的流。
struct DropoutRng {
  uint64_t seed = 0;
  uint64_t calls = 0;
};

// 训练模式且 p > 0 时：以概率 p 置 0，其余乘以 1/(1−p)（p 量化到 1/65536）；否则原样返回 x。
// rng 为空时使用线程局部的默认源。
torch::Tensor dropout_with(const torch::Tensor& x, double p, bool training, DropoutRng* rng);

// 多头缩放点积注意力（SASRec 与 BERT4Rec 的训练模块共用）：q、k、v 为 [B,T,d]，blocked 为 [B,1,T,T]
// （true = 不可见），注意力权重上做 dropout；返回各头拼回的 [B,T,d]（尚未经过输出投影）。
torch::Tensor multi_head_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, int heads,
                                   const torch::Tensor& blocked, double dropout, bool training, DropoutRng* gen);

// 参数名 → 导出名的映射：嵌入表（"item_emb.weight" 等）去掉 ".weight"，其余不变。
std::string export_name(const std::string& param_name);
// 把模块的全部参数导出为命名张量（float32，连续）。
TensorMap module_to_tensors(torch::nn::Module& m);
// 从命名张量载入模块的全部参数；缺失或形状不符时抛出 Error（指明张量名）。
void module_load_tensors(torch::nn::Module& m, const TensorMap& t);

}  // namespace seqrec
