// 模型结构选项（保存在 manifest 中，服务端据此重建模型）。向量检索的模型共用一个结构
// （每种模型的默认值与说明在模型表 models/registry.cpp）：
//   long_short：长短期兴趣 Transformer（用户嵌入 + 最近点击的 Transformer，基础版）；
//   sasrec：    SASRec（Kang & McAuley 2018），因果自注意力，每个位置预测下一个物品；
//   gru4rec：   GRU4Rec（Hidasi et al. 2016），物品嵌入 → GRU → 与物品嵌入打分；
//   lightgcn：  LightGCN（He et al. 2020），用户–物品图上的传播（layers = 传播层数），非序列模型。
// 字段对不同模型的含义见各字段注释；未用到的字段保持默认值即可。
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace seqrec {

// 模型结构。num_users / num_items 来自数据，其余来自命令行（apply_defaults 按模型填默认值）。
struct ModelConfig {
  std::string type = "long_short";  // 模型表中的名字（models/registry.h）
  int num_users = 0;
  int num_items = 0;
  int dim = 64;        // 嵌入维度（查询向量维度与物品向量相同）
  int layers = 1;      // Transformer 块数 / GRU 层数
  int heads = 2;       // 注意力头数（dim 必须能被整除）
  int ffn_dim = 256;   // 前馈层宽度（SASRec 论文中等于 dim）
  int max_len = 20;    // 使用的最近点击数
  int hidden = 0;      // GRU 隐状态宽度（gru4rec；0 = 与 dim 相同；不同时加一个线性投影回 dim）
  std::string norm = "paper";  // SASRec 的 LayerNorm 位置：paper | pre | post（见 sasrec_native.h）
  std::string similarity = "cosine";  // 打分："cosine"（除以范数）或 "dot"（内积）

  // 按模型类型取模型表中的结构默认值。
  static ModelConfig defaults_for(const std::string& type);
  // 校验取值范围，出错抛出 Error（消息指明是哪个选项）。
  void validate() const;
  nlohmann::json to_json() const;
  // 从 manifest 中的 JSON 读取；缺字段或类型不对时抛出 Error。没有 type 的旧 manifest 视为 long_short。
  static ModelConfig from_json(const nlohmann::json& j);
  // GRU 的实际隐状态宽度。
  int gru_hidden() const { return hidden > 0 ? hidden : dim; }
  bool cosine() const { return similarity == "cosine"; }
};

// manifest 中的 model_type（模型表的 manifest_name，如 long_short_transformer、sasrec）。
std::string model_type_name(const ModelConfig& cfg);
// 由 manifest 的 model_type 得到 ModelConfig::type；不认识或是生成式模型时返回空串。
std::string config_type_from_manifest(const std::string& model_type);

}  // namespace seqrec
