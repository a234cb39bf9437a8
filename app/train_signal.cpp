// 训练摘要与 Ctrl-C 处理的实现。
#include "train_signal.h"

#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <cstdio>

#include "core/error.h"
#include "core/files.h"

namespace seqrec::app {

void print_train_summary(const TrainResult& r) {
  std::fprintf(stderr, "best epoch %d of %d; %.1fs per epoch, %.0f samples/s, peak memory %.0f MiB\n", r.best_epoch,
               r.epochs_run, r.seconds_per_epoch, r.samples_per_second, peak_rss_mib());
  if (r.interrupted)
    std::fprintf(stderr, "training was stopped after epoch %d (a signal or --stop-after-epoch); the best epoch so far "
                 "is exported\n", r.epochs_run);
}

bool warn_if_below_baseline(const nlohmann::ordered_json& metrics, const TrainResult& r, const TrainOptions& t) {
  if (!metrics.contains("valid")) return false;
  const auto& v = metrics["valid"];
  const auto& m = v["model"]["NDCG@10"];
  const auto& p = v["most_popular"]["NDCG@10"];
  if (!m.is_number() || !p.is_number() || m.get<double>() >= p.get<double>()) return false;
  std::string why;
  if (r.best_epoch == r.epochs_run && !r.interrupted)
    why = concat("validation was still improving at the last epoch (", r.epochs_run, " of --epochs ", t.epochs,
                 "): train longer with a larger --epochs");
  else if (r.interrupted)
    why = concat("training was stopped after epoch ", r.epochs_run, ": continue it with --resume");
  else
    why = concat("validation stopped improving at epoch ", r.best_epoch, ": try another --lr (now ", t.lr,
                 "), more --dropout, or another --model");
  std::fprintf(stderr, "warning: the model is below the most-popular baseline on validation (NDCG@10 %.4f < %.4f); %s\n",
               m.get<double>(), p.get<double>(), why.c_str());
  return true;
}

void check_checkpoint_file(const std::string& path, bool resume) {
  const bool exists = std::filesystem::exists(path);
  if (resume && !exists)
    throw Error(concat("--resume: no checkpoint ", path, " (training writes it after every epoch and deletes it "
                       "once the model is exported)"));
  if (!resume && exists)
    throw Error(concat(path, " holds an unfinished training run for this --out: add --resume to continue it, "
                       "or delete the file to start over"));
}

void finish_checkpoint(const TrainResult& r, const std::string& path) {
  std::fflush(stdout);  // 先让“saved model”一行出现，提示在它之后
  if (r.interrupted) {
    std::fprintf(stderr, "checkpoint kept: %s; run the same command with --resume to continue from epoch %d\n",
                 path.c_str(), r.epochs_run + 1);
    return;
  }
  if (std::remove(path.c_str()) != 0)
    std::fprintf(stderr, "warning: could not delete the checkpoint %s\n", path.c_str());
}

namespace {

// 信号处理函数：只做异步信号安全的事（write、signal、写无锁原子量）。
extern "C" void on_stop_signal(int sig) {
  static const char msg[] =
      "\nsignal received: training stops after this epoch and exports the best epoch so far; send it again to abort\n";
  const ssize_t ignored = ::write(STDERR_FILENO, msg, sizeof(msg) - 1);
  (void)ignored;
  request_training_stop();
  std::signal(sig, SIG_DFL);
}

}  // namespace

StopTrainingOnSignal::StopTrainingOnSignal() {
  clear_training_stop();
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
}

StopTrainingOnSignal::~StopTrainingOnSignal() {
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

}  // namespace seqrec::app
