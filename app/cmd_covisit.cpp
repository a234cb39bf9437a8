// `seqrec covisit`：从会话数据构建三种共现表（clicks / carts_orders / buy2buy），保存为目录产物。
#include <cstdio>
#include <memory>

#include "commands.h"
#include "core/error.h"
#include "core/files.h"
#include "session/covisit.h"
#include "session_flags.h"

namespace seqrec::app {

namespace {

struct CovisitFlags {
  SessionFlags data;
  CovisitOptions opt;
  std::string out = "covisit";
  double window_hours = 24, buy_window_days = 14;
  std::string type_weights = "1,6,3";
  double memory_mib = 1024;
};

// 读数据 → 构建 → 原子保存，打印每种表的规模与耗时。
void run_covisit(const CovisitFlags& f) {
  const double t0 = now_seconds();
  CovisitOptions o = f.opt;
  if (!(f.window_hours > 0)) throw Error(concat("--window-hours must be > 0 (got ", f.window_hours, ")"));
  if (!(f.buy_window_days > 0)) throw Error(concat("--buy-window-days must be > 0 (got ", f.buy_window_days, ")"));
  if (!(f.memory_mib >= 1)) throw Error(concat("--memory-budget-mib must be >= 1 (got ", f.memory_mib, ")"));
  o.window_ms = static_cast<int64_t>(f.window_hours * 3600e3);
  o.buy_window_ms = static_cast<int64_t>(f.buy_window_days * 86400e3);
  o.type_weight = parse_type_weights(f.type_weights);
  o.memory_budget = static_cast<size_t>(f.memory_mib * 1024 * 1024);
  o.validate();
  check_output_dir(f.out);
  const SessionData d = f.data.load();
  const double t1 = now_seconds();
  CovisitModel m = build_covisit(d, o);
  const double build = now_seconds() - t1;
  m.save(f.out);
  std::printf("co-visitation built in %.2fs from %lld sessions, %lld events, %d items:\n", build,
              static_cast<long long>(d.num_sessions()), static_cast<long long>(d.num_events()), d.num_items());
  for (auto it = m.info["tables"].begin(); it != m.info["tables"].end(); ++it)
    std::printf("  %-13s %s\n", it.key().c_str(), it.value().dump().c_str());
  std::printf("saved to %s (%.1fs total, peak memory %.0f MiB)\n", f.out.c_str(), now_seconds() - t0, peak_rss_mib());
}

}  // namespace

// 注册 covisit 子命令。
void setup_covisit(CLI::App& app) {
  auto f = std::make_shared<CovisitFlags>();
  auto* cmd = app.add_subcommand("covisit", "build co-visitation tables (clicks, carts_orders, buy2buy) from sessions");
  f->data.add_to(cmd);
  cmd->add_option("--out", f->out, "output directory (replaced atomically)")->capture_default_str();
  cmd->add_option("--window-hours", f->window_hours, "pair window of clicks and carts_orders")->capture_default_str();
  cmd->add_option("--buy-window-days", f->buy_window_days, "pair window of buy2buy")->capture_default_str();
  cmd->add_option("--top-m", f->opt.top_m, "neighbours kept per item")->capture_default_str();
  cmd->add_option("--session-tail", f->opt.session_tail, "use the last N events of each session")->capture_default_str();
  cmd->add_option("--type-weights", f->type_weights, "carts_orders weights of clicks,carts,orders")->capture_default_str();
  cmd->add_option("--threads", f->opt.threads, "build threads (results do not depend on it)")->capture_default_str();
  cmd->add_option("--memory-budget-mib", f->memory_mib, "bound on the pair-count tables; more passes when exceeded")
      ->capture_default_str();
  cmd->callback([f] { run_covisit(*f); });
}

}  // namespace seqrec::app
