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
  std::fprintf(stderr, "best epoch %d of %d; %.1fs per epoch, %.0f rows/s, peak memory %.0f MiB\n", r.best_epoch,
               r.epochs_run, r.seconds_per_epoch, r.samples_per_second, peak_rss_mib());
  if (r.interrupted)
    std::fprintf(stderr, "training was stopped after epoch %d (a signal or --stop-after-epoch); the best epoch so far "
                 "is exported\n", r.epochs_run);
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
