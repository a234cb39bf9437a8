// Python 扩展共用：在进程内运行一个 seqrec 子命令（seqrec.train / evaluate / covisit / candidates）。
// 与命令行同一个注册函数，所以选项、默认值、校验与错误消息都相同；解析与运行时不持有 GIL。
#pragma once

#include <pybind11/pybind11.h>

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "core/error.h"

namespace seqrec::pycli {

// 运行 `seqrec <name> <args...>`：setup 注册这个子命令（如 app::setup_eval）。
// 选项写错（拼错、缺值、类型不对）抛出 seqrec::Error，消息与命令行相同；子命令自己的错误照常抛出。
inline void run_subcommand(const std::function<void(CLI::App&)>& setup, const std::string& name,
                           const std::vector<std::string>& args) {
  CLI::App app{"seqrec"};
  app.require_subcommand(1);
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  setup(app);
  std::vector<std::string> argv = {"seqrec", name};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> ptrs;
  for (auto& a : argv) ptrs.push_back(a.data());
  std::string error;
  {
    pybind11::gil_scoped_release nogil;
    try {
      app.parse(static_cast<int>(ptrs.size()), ptrs.data());
    } catch (const CLI::ConversionError& e) {
      error = concat(printable(e.what()), ": not a valid value for this option");
    } catch (const CLI::ParseError& e) {
      error = e.what();  // 选项名拼错、缺少值、不认识的参数：CLI11 的消息（与命令行相同）
    }
  }
  if (!error.empty()) throw Error(error);
}

}  // namespace seqrec::pycli
