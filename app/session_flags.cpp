// 会话文件的共用命令行选项。
#include "session_flags.h"

#include <cstdio>

#include "core/error.h"
#include "core/files.h"

namespace seqrec::app {

void SessionFlags::add_to(CLI::App* cmd) {
  cmd->add_option("--data", path, "sessions: OTTO JSONL ({\"session\",\"events\":[{\"aid\",\"ts\",\"type\"}]}) or CSV "
                                  "(session,aid,ts[,type]; Diginetica's session_id;user_id;item_id;timeframe;eventdate too)")
      ->required();
  cmd->add_option("--format", read.format, "auto (by extension: .jsonl/.json/.ndjson = jsonl, else csv), jsonl or csv")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "jsonl", "csv"}));
  cmd->add_flag("--skip-bad-lines", read.skip_bad_lines, "skip and count malformed lines instead of stopping at the first");
  cmd->add_option("--sep", read.sep, "CSV separator: auto, tab or one character")->capture_default_str();
  cmd->add_option("--session-col", read.session_col, "CSV session column [session, session_id, ...]");
  cmd->add_option("--aid-col", read.aid_col, "CSV item column [aid, item_id, ...]");
  cmd->add_option("--ts-col", read.ts_col, "CSV timestamp column [ts, timestamp, time, timeframe]");
  cmd->add_option("--type-col", read.type_col, "CSV event type column [type, event_type]; without one every event is a click");
  cmd->add_option("--date-col", read.date_col, "CSV date column (YYYY-MM-DD) added to the timestamp [eventdate, date]");
  cmd->add_option("--ts-unit", ts_unit, "unit of CSV timestamps: auto (s, or ms with a date column), s or ms; JSONL is ms")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "s", "ms"}));
}

SessionData SessionFlags::load() const {
  SessionReadOptions o = read;
  o.ts_scale = ts_unit == "s" ? 1000.0 : ts_unit == "ms" ? 1.0 : 0.0;
  const double t0 = now_seconds();
  SessionData d = read_sessions(path, o);
  const double secs = now_seconds() - t0;
  std::fprintf(stderr, "read %s: %s in %.2fs (%.1fM events/min)\n", path.c_str(), d.stats().dump().c_str(), secs,
               static_cast<double>(d.num_events()) / std::max(secs, 1e-9) * 60 / 1e6);
  return d;
}

std::array<float, kEventKinds> parse_type_weights(const std::string& s) {
  std::array<float, kEventKinds> w{};
  size_t start = 0;
  for (int k = 0; k < kEventKinds; ++k) {
    const size_t p = s.find(',', start);
    if ((k < kEventKinds - 1) != (p != std::string::npos))
      throw Error(concat("--type-weights must be three numbers clicks,carts,orders, got '", s, "'"));
    const std::string part = s.substr(start, p == std::string::npos ? std::string::npos : p - start);
    char* end = nullptr;
    const double v = std::strtod(part.c_str(), &end);
    if (part.empty() || end != part.c_str() + part.size() || !(v >= 0 && v < 1e6))
      throw Error(concat("--type-weights: '", part, "' is not a number in [0, 1e6)"));
    w[static_cast<size_t>(k)] = static_cast<float>(v);
    start = p + 1;
  }
  return w;
}

}  // namespace seqrec::app
