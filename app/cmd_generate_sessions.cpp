// `seqrec generate-sessions`：写出合成的电商会话（OTTO JSONL），用于测试与规模测试。
#include <cstdio>
#include <memory>

#include "commands.h"
#include "core/files.h"
#include "session/generator.h"

namespace seqrec::app {

// 注册 generate-sessions 子命令。
void setup_generate_sessions(CLI::App& app) {
  auto o = std::make_shared<SessionGenOptions>();
  auto out = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("generate-sessions",
                                 "write synthetic e-commerce sessions (click -> cart -> order funnels, co-occurrence "
                                 "structure, popularity skew) as OTTO JSONL");
  cmd->add_option("--out", *out, "output JSONL path")->required();
  cmd->add_option("--sessions", o->sessions, "number of sessions")->capture_default_str();
  cmd->add_option("--items", o->items, "number of items")->capture_default_str();
  cmd->add_option("--topic-size", o->topic_size, "items per topic (co-occurrence cluster)")->capture_default_str();
  cmd->add_option("--mean-length", o->mean_length, "mean events per session")->capture_default_str();
  cmd->add_option("--zipf", o->zipf, "popularity skew (Zipf exponent)")->capture_default_str();
  cmd->add_option("--cart-rate", o->cart_rate, "probability that a click is followed by a cart")->capture_default_str();
  cmd->add_option("--order-rate", o->order_rate, "probability that a carted item is ordered")->capture_default_str();
  cmd->add_option("--days", o->days, "time span of session starts")->capture_default_str();
  cmd->add_option("--seed", o->seed, "random seed")->capture_default_str();
  cmd->callback([o, out] {
    const double t0 = now_seconds();
    const auto st = generate_sessions_jsonl(*out, *o);
    std::printf("wrote %s: %s in %.1fs\n", out->c_str(), st.dump().c_str(), now_seconds() - t0);
  });
}

}  // namespace seqrec::app
