// 子命令注册函数：每个子命令一个文件（CLI11 的 subcom_in_files 模式）。
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "live/retrainer.h"
#include "serve/model_slot.h"
#include "serve/retrain_hook.h"
#include "store/history_store.h"

namespace seqrec::app {

void setup_generate(CLI::App& app);
void setup_train(CLI::App& app);
void setup_eval(CLI::App& app);
void setup_recommend(CLI::App& app);
void setup_serve(CLI::App& app);
void setup_index(CLI::App& app);
void setup_generate_sessions(CLI::App& app);
void setup_split_sessions(CLI::App& app);
void setup_covisit(CLI::App& app);
void setup_candidates(CLI::App& app);
void setup_report(CLI::App& app);
void setup_retrain(CLI::App& app);
void setup_export(CLI::App& app);  // 只在带训练的 seqrec 里
void setup_launch(CLI::App& app);  // 同上

// 子命令可以要求一个非零的退出码（不是错误，如 retrain 的质量门拒绝了候选：3）；main 返回它。
void set_exit_status(int code);
// train 每轮结束时额外调用的函数（Python 的 seqrec.train(progress=...) 设置它；命令行不用）。参数是
// train_log.jsonl 的那一行。
std::function<void(const nlohmann::json&)>& train_epoch_hook();
int exit_status();
// --json 的结果：默认打印到 stdout；设置了钩子时（Python 的 seqrec.evaluate）交给钩子，不打印。
std::function<void(const nlohmann::ordered_json&)>& json_result_hook();
void emit_json(const nlohmann::ordered_json& j);

// serve 的后台重新训练。只有带训练的 seqrec 程序有（main.cpp 在 SEQREC_WITH_TRAIN 时调用
// install_retrain_support 填写它）；seqrec-serve 里两者为空，--retrain-* 选项以说明拒绝。
struct RetrainSupport {
  std::function<std::unique_ptr<RetrainHook>(const HistoryStore&, const std::string& store_name, ModelSlot&,
                                             const RetrainSchedule&)>
      make;
  std::function<std::string(const std::string& dir, const std::string& base_model)> resume_dir;
  std::function<void(const RetrainSchedule&)> validate;  // 选项检查（serve 绑定端口之前）
};
RetrainSupport& retrain_support();
void install_retrain_support();

}  // namespace seqrec::app
