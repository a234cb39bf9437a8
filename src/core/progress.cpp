// 进度行实现：只写 stderr，使用 '\r' 回到行首覆盖。
#include "core/progress.h"

#include <unistd.h>

#include <cstdio>

#include "core/error.h"
#include "core/files.h"

namespace seqrec {

namespace {
// 时长写成 "1h02m" / "3m05s" / "42s"。
std::string clock_text(double s) {
  const int t = static_cast<int>(s < 0 ? 0 : s);
  char buf[32];
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%dh%02dm", t / 3600, t / 60 % 60);
  else if (t >= 60) std::snprintf(buf, sizeof buf, "%dm%02ds", t / 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%ds", t);
  return buf;
}
}  // namespace

Progress::Progress(std::string label, int64_t total, bool enabled)
    : label_(std::move(label)), total_(total), enabled_(enabled), start_(now_seconds()) {}

bool Progress::stderr_is_tty() { return ::isatty(STDERR_FILENO) == 1; }

void Progress::update(int64_t done, double loss) {
  if (!enabled_) return;
  const double t = now_seconds();
  if (t - last_draw_ < 0.2 && done < total_) return;
  last_draw_ = t;
  const double elapsed = t - start_;
  const double rate = elapsed > 0 ? done / elapsed : 0.0;
  const double eta = rate > 0 ? (total_ - done) / rate : 0.0;
  std::string run;
  if (run_before_ >= 0) {
    // 整次训练：已用时间，以及按本轮速度估计的剩余训练时间（不含验证；早停可能提前结束，所以是“至多”）。
    const double epoch_s = elapsed + eta;
    const double left = eta + epochs_after_ * epoch_s;
    run = concat("  run ", clock_text(run_before_ + elapsed), ", ~", clock_text(left), " left at most");
  }
  std::fprintf(stderr, "\r%s %5.1f%%  %8.0f samples/s  loss %.4f  epoch ETA %s%s   ", label_.c_str(),
               total_ > 0 ? 100.0 * done / total_ : 100.0, rate, loss, clock_text(eta).c_str(), run.c_str());
  std::fflush(stderr);
}

void Progress::set_run(double elapsed_before, int epochs_after) {
  run_before_ = elapsed_before;
  epochs_after_ = epochs_after;
}

void Progress::phase(const std::string& what) {
  if (!enabled_) return;
  const std::string run = run_before_ >= 0 ? concat("  run ", clock_text(run_before_ + now_seconds() - start_)) : "";
  std::fprintf(stderr, "\r%*s\r%s  %s...%s", 100, "", label_.c_str(), what.c_str(), run.c_str());
  std::fflush(stderr);
}

void Progress::finish() {
  if (!enabled_) return;
  std::fprintf(stderr, "\r%*s\r", 100, "");
  std::fflush(stderr);
}

}  // namespace seqrec
