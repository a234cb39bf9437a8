// 导出模型目录：权重（model.safetensors）、item_embeddings.npy、user_map.json、item_map.json、
// popularity.json、train_log.jsonl 与 manifest.json。
// 所有文件先写入同级的临时目录，manifest.json 最后写，然后整体 rename 为目标目录：
// 任何时刻崩溃或被杀，都不会留下一个能被加载的残缺目录。
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "data/dataset.h"
#include "models/encoder.h"
#include "models/model_config.h"
#include "data/tokenizer.h"
#include "models/semantic_ids.h"
#include "train/genrec_trainer.h"
#include "train/trainer.h"

namespace seqrec {

// 导出所需的全部信息。
struct ExportInfo {
  const SequenceData* data = nullptr;
  ModelConfig model;
  TrainOptions train;
  const TrainResult* result = nullptr;
  nlohmann::json data_options;  // 数据来源与读取/过滤选项
  nlohmann::json metrics;       // 验证/测试指标（模型与基线）
  nlohmann::json lineage;       // seqrec retrain 的来历（父模型、事件范围、热启动、质量门）；null = 不写
  nlohmann::json item_titles;   // 物品 ID → 标题（train --item-titles）；非空时写 item_titles.json（控制台显示）
  nlohmann::json titles_info;   // manifest 的 item_titles 段（来源文件、有标题的物品数）
};

// 训练数据的重复率低于这个值时（用户几乎不回头再看同一个物品，如 MovieLens），服务默认不推荐请求里点过的物品。
inline constexpr double kRepeatRateForExclusion = 0.05;
// manifest 的 "serving" 段：测得的重复率与由它得出的 exclude_clicked 默认值（及其规则的说明）。
nlohmann::ordered_json serving_defaults(const SequenceData& data);

// 导出时保存的真实查询样本数（queries.npy）。
constexpr int kQuerySample = 1000;

// 从训练历史中等间隔抽取至多 max_queries 个用户，编码其训练序列（最近 max_len 个点击），得到 [n, dim] 的查询。
Matrix sample_queries(const SequenceEncoder& enc, const SequenceData& data, int max_queries);

// 原子地导出到 dir（已存在则整体替换）。
void export_model(const std::string& dir, const ExportInfo& info);

// 生成式检索模型的导出信息。
struct GenRecExportInfo {
  const SequenceData* data = nullptr;
  GenRecConfig model;
  TrainOptions train;
  GenRecTrainOptions generative;
  const TrainResult* result = nullptr;
  const SemanticIds* sids = nullptr;
  const ContentTokenizer* tokenizer = nullptr;  // 没有内容时为空
  nlohmann::json content;       // 内容来源与统计
  nlohmann::json data_options;
  nlohmann::json metrics;
  nlohmann::json init_from;     // --init-from 的来源（目录与其版本）；null = 从随机初始化开始
};

// 导出生成式检索模型目录：model.safetensors（含 content_tokens）、semantic_ids.json、tokenizer.bin（有内容时）、
// item_embeddings.npy（物品记号的嵌入行）、user_map.json、item_map.json、popularity.json、train_log.jsonl、
// manifest.json（model_type = colarec）。同样先写临时目录再整体 rename。
void export_genrec_model(const std::string& dir, const GenRecExportInfo& info);

}  // namespace seqrec
