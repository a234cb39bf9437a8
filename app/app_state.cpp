// 子命令共用的进程状态（退出码、后台重新训练的函数表、训练每轮的钩子、--json 结果的钩子）：程序与 Python 扩展（seqrec._train）
// 都链接它，所以不放在 main.cpp 里。
#include "commands.h"

#include <cstdio>

namespace seqrec::app {
namespace {
int g_exit_status = 0;  // 子命令要求的退出码（见 commands.h）
}  // namespace
void set_exit_status(int code) { g_exit_status = code; }
int exit_status() { return g_exit_status; }
RetrainSupport& retrain_support() {
  static RetrainSupport s;
  return s;
}
std::function<void(const nlohmann::json&)>& train_epoch_hook() {
  static std::function<void(const nlohmann::json&)> hook;
  return hook;
}
std::function<void(const nlohmann::ordered_json&)>& json_result_hook() {
  static std::function<void(const nlohmann::ordered_json&)> hook;
  return hook;
}
void emit_json(const nlohmann::ordered_json& j) {
  if (const auto& hook = json_result_hook()) return hook(j);
  std::printf("%s\n", j.dump(2).c_str());
}
}  // namespace seqrec::app
