// 导出模型目录：权重（model.safetensors）、item_embeddings.npy、user_map.json、item_map.json、
// popularity.json、train_log.jsonl 与 manifest.json。
// 所有文件先写入同级的临时目录，manifest.json 最后写，然后整体 rename 为目标目录：
// 任何时刻崩溃或被杀，都不会留下一个能被加载的残缺目录。
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "data/dataset.h"
#include "models/model_config.h"
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
};

// 原子地导出到 dir（已存在则整体替换）。
void export_model(const std::string& dir, const ExportInfo& info);

}  // namespace seqrec
