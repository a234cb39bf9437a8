// `seqrec train --model colarec` 的专用部分：物品内容与分词器、语义 ID、多任务训练、生成式评估与导出。
// 通用的数据读取、训练选项与逐轮日志由 cmd_train.cpp 负责。
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "data/dataset.h"
#include "data/item_content.h"
#include "data/tokenizer.h"
#include "models/semantic_ids.h"
#include "models/model_config.h"
#include "train/colarec_pipeline.h"
#include "train/genrec_trainer.h"
#include "train/trainer.h"

namespace seqrec::app {

// colarec 的选项即流水线的选项（train/colarec_pipeline.h）；这里只把命令行选项绑定到它的字段上。
using GenRecFlags = ColarecOptions;

// 注册 colarec 的选项（只对 --model colarec 生效）。
void add_genrec_flags(CLI::App* cmd, GenRecFlags& f);

// --model 不是 colarec 时，命令行上给出的 colarec 选项一律报错（列出它们），不默默忽略。在读数据之前调用。
void check_genrec_flags_unused(const CLI::App* cmd, const std::string& model_type);

// --init-from 时沿用来源的结构、内容与语义 ID：命令行上明确给出、且与来源不同的结构 / 内容 / 语义 ID 选项
// 一律报错（列出每个选项、给出的值与来源的值），与来源相同的值照常接受。在读数据之前调用，尽早失败。
// m 是解析后的 dim / layers / heads / ffn_dim / max_len。
void check_init_from_flags(const GenRecFlags& f, const ModelConfig& m, const CLI::App* cmd);

// 训练、评估并导出。m 提供 dim / layers（编码器层数）/ heads / ffn_dim / max_len。
void run_train_genrec(const GenRecFlags& f, const SequenceData& data, const ModelConfig& m, const TrainOptions& t,
                      const nlohmann::json& data_options, const std::string& out, const EpochCallback& on_epoch,
                      double t_start);

}  // namespace seqrec::app
