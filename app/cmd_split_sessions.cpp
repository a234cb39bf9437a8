// `seqrec split-sessions`：OTTO 式切分（最晚开始的会话为测试会话，随机截断，其余为标签）。
#include <cstdio>
#include <memory>

#include "commands.h"
#include "session/split.h"
#include "session_flags.h"

namespace seqrec::app {

// 注册 split-sessions 子命令。
void setup_split_sessions(CLI::App& app) {
  struct Flags {
    SessionFlags data;
    std::string out = "split";
    double test_fraction = 0.1;
    uint64_t seed = 42;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand(
      "split-sessions", "split sessions by start time into train.jsonl, test_sessions.jsonl (truncated at a random "
                        "point) and test_labels.jsonl (next click, later carts and orders), as OTTO's evaluation does");
  f->data.add_to(cmd);
  cmd->add_option("--out", f->out, "output directory")->capture_default_str();
  cmd->add_option("--test-fraction", f->test_fraction, "share of sessions (the latest to start) used for testing")
      ->capture_default_str();
  cmd->add_option("--seed", f->seed, "seed of the truncation points")->capture_default_str();
  cmd->callback([f] {
    const SessionData d = f->data.load();
    const SessionSplit sp = split_sessions(d, f->test_fraction, f->seed);
    const auto st = write_split(d, sp, f->out);
    std::printf("wrote %s/{train.jsonl,test_sessions.jsonl,test_labels.jsonl}: %s\n", f->out.c_str(), st.dump().c_str());
  });
}

}  // namespace seqrec::app
