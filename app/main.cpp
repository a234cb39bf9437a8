// seqrec 程序入口：注册子命令，把库抛出的错误转换为退出码（库代码从不 exit）。
// 同一个文件编出两个程序：seqrec（全部子命令，链接 LibTorch）与 seqrec-serve（没有 train，不链接 LibTorch：
// 启动时常驻内存约 10 MiB 而不是 170 MiB，生产服务用它）。SEQREC_WITH_TRAIN 区分两者。
#include <cstdio>
#include <exception>
#include <filesystem>

#include "commands.h"
#include "core/blas_core.h"
#include "core/error.h"
#include "core/version.h"

// 解析命令行并运行选中的子命令；用户的问题（seqrec::Error、文件系统错误、选项值无法转换）→ 退出码 1，
// 其他异常（程序缺陷或资源耗尽）→ 2。
int main(int argc, char** argv) {
  // 先于一切 BLAS 调用与线程：OpenBLAS 不认识的新 CPU 会被退回通用内核，这里按指令集改正（见 blas_core.h；
  // 说明由 train 写进它的日志）。
  seqrec::ensure_blas_core();
#ifdef SEQREC_WITH_TRAIN
  CLI::App app{"seqrec: sequential recommendation - prepare data, train, evaluate, export, serve"};
#else
  CLI::App app{"seqrec-serve: seqrec without training and without LibTorch - serve, recommend, index, evaluate"};
#endif
  app.require_subcommand(1);
  // seqrec --version：版本号与构建所用的提交（有未提交改动时带 -dirty）。
  app.set_version_flag("--version", std::string("seqrec ") + seqrec::kSeqrecVersion + " (commit " + seqrec::git_commit() + ")",
                       "print the version and the commit it was built from, and exit");
  // 同一个选项给了两次时取最后一次（与 GNU 工具、git、curl 的习惯相同）：文档里 "seqrec train $C ... --threads 2"
  // 这种先放一组公共选项、再覆盖其中一个的写法才能用。子命令在创建时继承这个默认设置，所以要在注册子命令之前设。
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  seqrec::app::setup_generate(app);
#ifdef SEQREC_WITH_TRAIN
  seqrec::app::setup_train(app);
  seqrec::app::setup_retrain(app);
  seqrec::app::setup_export(app);
  seqrec::app::setup_launch(app);
  seqrec::app::install_retrain_support();
#endif
  seqrec::app::setup_eval(app);
  seqrec::app::setup_recommend(app);
  seqrec::app::setup_serve(app);
  seqrec::app::setup_index(app);
  seqrec::app::setup_generate_sessions(app);
  seqrec::app::setup_split_sessions(app);
  seqrec::app::setup_covisit(app);
  seqrec::app::setup_candidates(app);
  seqrec::app::setup_report(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ConversionError& e) {
    // CLI11 的原文只有 "Could not convert: --dim = 1099511627776"：补上原因（多半是超出了选项类型的范围）。
    std::fprintf(stderr, "error: %s: not a valid value for this option (a number too large or too small for it, "
                 "or not a number; see --help for its range)\n",
                 seqrec::printable(e.what()).c_str());
    return 1;
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const seqrec::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  } catch (const std::filesystem::filesystem_error& e) {
    // 路径本身的问题（符号链接成环、权限、不存在）是用户输入的问题，不是程序缺陷。
    std::fprintf(stderr, "error: '%s': %s\n", seqrec::printable(e.path1().string()).c_str(), e.code().message().c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
  return seqrec::app::exit_status();
}
