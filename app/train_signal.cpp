// 训练摘要与 Ctrl-C 处理的实现。
#include "train_signal.h"

#include <unistd.h>

#include <csignal>
#include <cstdio>

#include "core/files.h"

namespace seqrec::app {

void print_train_summary(const TrainResult& r) {
  std::fprintf(stderr, "best epoch %d of %d; %.1fs per epoch, %.0f rows/s, peak memory %.0f MiB\n", r.best_epoch,
               r.epochs_run, r.seconds_per_epoch, r.samples_per_second, peak_rss_mib());
  if (r.interrupted)
    std::fprintf(stderr, "training was stopped by a signal after epoch %d; the best epoch so far is exported\n",
                 r.epochs_run);
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
