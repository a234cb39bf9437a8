// seqrec 程序入口：注册子命令，把库抛出的错误转换为退出码（库代码从不 exit）。
#include <cstdio>
#include <exception>

#include "commands.h"
#include "core/error.h"

// 解析命令行并运行选中的子命令；seqrec::Error → 退出码 1，其他异常 → 2。
int main(int argc, char** argv) {
  CLI::App app{"seqrec: sequential recommendation - prepare data, train, evaluate, export, serve"};
  app.require_subcommand(1);
  seqrec::app::setup_generate(app);
  seqrec::app::setup_train(app);
  seqrec::app::setup_eval(app);
  seqrec::app::setup_recommend(app);
  seqrec::app::setup_serve(app);
  seqrec::app::setup_index(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const seqrec::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
  return 0;
}
