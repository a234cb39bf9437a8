// `seqrec retrain`：从事件存储（可再加原始数据文件）重新训练当前模型，在最近的事件上过质量门，
// 把候选写到 --out（带 lineage）。退出码：0 = 通过质量门（可以上线），3 = 被拒绝（候选仍写出，标为 rejected），
// 1 = 出错（什么也没写）。上线由调用方决定，例如 POST /admin/reload {"model_dir": OUT}。
#include <cstdio>
#include <memory>

#include "commands.h"
#include "core/error.h"
#include "core/progress.h"
#include "live/retrain.h"
#include "live/retrainer.h"
#include "store/open_store.h"

namespace seqrec::app {

namespace {

// retrain 子命令的全部选项。
struct RetrainFlags {
  std::string store;
  RetrainOptions opt;
  bool no_warm_start = false;
  bool quiet = false;
};

void run_retrain(RetrainFlags f) {
  f.opt.warm_start = !f.no_warm_start;
  f.opt.progress = !f.quiet && Progress::stderr_is_tty();
  f.opt.validate();
  SqliteStoreOptions reader;  // serve 可能正在写这个存储：只读，不取写者锁
  reader.reader = true;
  const std::unique_ptr<HistoryStore> store = open_history_store(f.store, reader, true);
  const RetrainResult r = retrain(*store, f.store, f.opt, stderr);
  std::printf("%s\n", r.lineage.dump(2).c_str());
  if (!r.promoted) set_exit_status(3);
}

}  // namespace

void install_retrain_support() {
  RetrainSupport& s = retrain_support();
  s.make = [](const HistoryStore& store, const std::string& name, ModelSlot& slot, const RetrainSchedule& sched) {
    return std::unique_ptr<RetrainHook>(std::make_unique<BackgroundRetrainer>(store, name, slot, sched));
  };
  s.resume_dir = &BackgroundRetrainer::resume_dir;
  s.validate = [](const RetrainSchedule& sched) {
    sched.validate();
    RetrainOptions o = sched.retrain;  // current / out 每次运行时填写；这里用占位值只检查其余选项
    o.current = sched.base_model;
    o.out = sched.dir + "/retrain-check";
    o.validate();
  };
}

// 注册 retrain 子命令。
void setup_retrain(CLI::App& app) {
  auto f = std::make_shared<RetrainFlags>();
  auto& o = f->opt;
  auto* cmd = app.add_subcommand(
      "retrain", "retrain the current model on the event store, gate it on the most recent events, write the candidate "
                 "(exit 0: gate passed, 3: refused)");
  cmd->add_option("--store", f->store, "event store: the directory seqrec serve --store writes, or redis://HOST:PORT[/PREFIX]")
      ->required();
  cmd->add_option("--model", o.current, "the current model directory (parent: architecture, options, warm start)")->required();
  cmd->add_option("--out", o.out, "candidate model directory (replaced atomically; written even when the gate refuses it)")
      ->required();
  cmd->add_option("--data", o.data, "also train on this interactions file (user, item, Unix-seconds timestamp columns); "
                                    "erased users are left out of it");
  cmd->add_option("--event-types", o.event_types,
                  "event types and their weights as training targets, e.g. click:1,cart:3,order:6,view:0 (0 = history "
                  "only); default: the current model's, else every type in the store with weight 1");
  cmd->add_option("--valid", o.valid_frac, "fraction of the events, just before the hold-out, that picks the best epoch")
      ->capture_default_str();
  cmd->add_option("--holdout", o.holdout_frac, "fraction of the most recent events that both models are compared on")
      ->capture_default_str();
  cmd->add_option("--gate-metric", o.gate_metric, "metric of the gate: HR@K or NDCG@K")->capture_default_str();
  cmd->add_option("--max-regression", o.max_regression,
                  "the candidate passes when its metric is at least the current model's times (1 - this)")
      ->capture_default_str();
  cmd->add_option("--gate-cases", o.gate_cases, "at most this many hold-out events are scored (evenly spaced)")
      ->capture_default_str();
  cmd->add_flag("--no-warm-start", f->no_warm_start, "train from random weights instead of the current model's");
  cmd->add_option("--epochs", o.epochs, "maximum epochs (0 = the current model's)")->capture_default_str();
  cmd->add_option("--patience", o.patience, "early stopping patience (-1 = the current model's)")->capture_default_str();
  cmd->add_option("--threads", o.threads, "training threads")->capture_default_str();
  cmd->add_option("--min-events", o.min_events, "refuse to train when the store holds fewer events")->capture_default_str();
  cmd->add_flag("--quiet", f->quiet, "no live progress line");
  cmd->callback([f] { run_retrain(*f); });
}

}  // namespace seqrec::app
