// 进度行实现：只写 stderr，使用 '\r' 回到行首覆盖。
#include "core/progress.h"

#include <unistd.h>

#include <cstdio>

#include "core/files.h"

namespace seqrec {

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
  std::fprintf(stderr, "\r%s %5.1f%%  %8.0f samples/s  loss %.4f  ETA %3dm%02ds   ", label_.c_str(),
               total_ > 0 ? 100.0 * done / total_ : 100.0, rate, loss, int(eta) / 60, int(eta) % 60);
  std::fflush(stderr);
}

void Progress::finish() {
  if (!enabled_) return;
  std::fprintf(stderr, "\r%*s\r", 100, "");
  std::fflush(stderr);
}

}  // namespace seqrec
