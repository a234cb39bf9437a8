// 读取会话文件的共用命令行选项（covisit / candidates / split-sessions）。
#pragma once

#include <CLI/CLI.hpp>
#include <array>
#include <string>

#include "session/sessions.h"

namespace seqrec::app {

struct SessionFlags {
  std::string path;              // --data
  SessionReadOptions read;

  // 注册 --data、--format、--skip-bad-lines、CSV 的列名与 --ts-unit。
  void add_to(CLI::App* cmd);
  // 读文件并在 stderr 打印统计与耗时（事件/秒）。
  SessionData load() const;

 private:
  std::string ts_unit = "auto";
};

// 解析 "1,6,3" 形式的类型权重（clicks, carts, orders）。
std::array<float, kEventKinds> parse_type_weights(const std::string& s);

}  // namespace seqrec::app
