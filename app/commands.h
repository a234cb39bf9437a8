// 子命令注册函数：每个子命令一个文件（CLI11 的 subcom_in_files 模式）。
#pragma once

#include <CLI/CLI.hpp>

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

}  // namespace seqrec::app
