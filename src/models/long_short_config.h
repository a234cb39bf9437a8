// 长短期兴趣 Transformer 的结构选项（保存在 manifest 中，服务端据此重建模型）。
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace seqrec {

// 模型结构。num_users / num_items 来自数据，其余来自命令行。
struct ModelConfig {
  int num_users = 0;
  int num_items = 0;
  int dim = 64;        // 嵌入维度
  int layers = 1;      // Transformer 编码器层数（最后一层只为查询 token 计算，1 层最省）
  int heads = 2;       // 注意力头数（dim 必须能被整除）
  int ffn_dim = 256;   // 前馈层宽度
  int max_len = 20;    // 使用的最近点击数
  std::string similarity = "cosine";  // 训练时的打分："cosine"（与服务一致）或 "dot"

  // 校验取值范围，出错抛出 Error（消息指明是哪个选项）。
  void validate() const;
  nlohmann::json to_json() const;
  // 从 manifest 中的 JSON 读取；缺字段或类型不对时抛出 Error。
  static ModelConfig from_json(const nlohmann::json& j);
};

}  // namespace seqrec
