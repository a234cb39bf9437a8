// 会话切分与标签文件（见 split.h）。
#include "session/split.h"

#include <algorithm>
#include <filesystem>
#include <numeric>
#include <random>

#include "core/error.h"
#include "core/files.h"
#include "core/lines.h"

namespace seqrec {

namespace fs = std::filesystem;

SessionLabels labels_after(const SessionData& d, int64_t s, int64_t cut) {
  SessionLabels l;
  l.session = d.session[static_cast<size_t>(s)];
  for (int64_t i = cut; i < d.end(s); ++i) {
    const int64_t aid = d.raw_aid(i);
    const uint8_t ty = d.type[static_cast<size_t>(i)];
    if (ty == 0) {
      if (l.click < 0) l.click = aid;
    } else {
      auto& v = ty == 1 ? l.carts : l.orders;
      if (std::find(v.begin(), v.end(), aid) == v.end()) v.push_back(aid);
    }
  }
  return l;
}

SessionSplit split_sessions(const SessionData& d, double test_fraction, uint64_t seed) {
  if (!(test_fraction > 0 && test_fraction < 1))
    throw Error(concat("--test-fraction must be in (0, 1) (got ", test_fraction, ")"));
  const int64_t S = d.num_sessions();
  // 按开始时间排序，第 (1 − f)·S 个会话的开始时间为切分时刻。
  std::vector<int64_t> start(static_cast<size_t>(S));
  for (int64_t s = 0; s < S; ++s) start[static_cast<size_t>(s)] = d.ts[static_cast<size_t>(d.begin(s))];
  std::vector<int64_t> sorted = start;
  const size_t at = std::min(sorted.size() - 1, static_cast<size_t>(static_cast<double>(S) * (1.0 - test_fraction)));
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(at), sorted.end());
  SessionSplit sp;
  sp.cutoff_ms = sorted[at];
  std::mt19937_64 rng(seed);
  for (int64_t s = 0; s < S; ++s) {
    const int64_t b = d.begin(s), e = d.end(s);
    if (start[static_cast<size_t>(s)] < sp.cutoff_ms) {
      int64_t keep = b;
      while (keep < e && d.ts[static_cast<size_t>(keep)] < sp.cutoff_ms) ++keep;
      sp.train.push_back(s);
      sp.train_end.push_back(keep);
    } else if (e - b >= 2) {
      const int64_t cut = b + 1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(e - b - 1));
      sp.test.push_back(s);
      sp.test_cut.push_back(cut);
      sp.labels.push_back(labels_after(d, s, cut));
    }
  }
  if (sp.train.empty() || sp.test.empty())
    throw Error(concat("the split left ", sp.train.size(), " training and ", sp.test.size(),
                       " test sessions; every session may start at the same time, or too few have 2 events"));
  return sp;
}

nlohmann::ordered_json write_split(const SessionData& d, const SessionSplit& sp, const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(concat("cannot create directory '", dir, "': ", ec.message()));
  write_sessions_jsonl((fs::path(dir) / "train.jsonl").string(), d, sp.train, &sp.train_end);
  write_sessions_jsonl((fs::path(dir) / "test_sessions.jsonl").string(), d, sp.test, &sp.test_cut);
  AtomicWriter w((fs::path(dir) / "test_labels.jsonl").string());
  int64_t n[3] = {0, 0, 0};
  for (const auto& l : sp.labels) {
    nlohmann::ordered_json j;
    j["session"] = l.session;
    nlohmann::ordered_json lab = nlohmann::ordered_json::object();
    if (l.click >= 0) lab["clicks"] = l.click, ++n[0];
    if (!l.carts.empty()) lab["carts"] = l.carts, ++n[1];
    if (!l.orders.empty()) lab["orders"] = l.orders, ++n[2];
    j["labels"] = lab;
    w.write(j.dump() + "\n");
  }
  w.commit();
  int64_t train_events = 0;
  for (size_t k = 0; k < sp.train.size(); ++k) train_events += sp.train_end[k] - d.begin(sp.train[k]);
  nlohmann::ordered_json st;
  st["cutoff_ms"] = sp.cutoff_ms;
  st["train_sessions"] = sp.train.size();
  st["train_events"] = train_events;
  st["test_sessions"] = sp.test.size();
  st["test_sessions_with_click_label"] = n[0];
  st["test_sessions_with_cart_labels"] = n[1];
  st["test_sessions_with_order_labels"] = n[2];
  return st;
}

std::vector<SessionLabels> read_labels(const std::string& path) {
  const std::string text = read_file(path);
  std::vector<SessionLabels> out;
  for_each_line(text, [&](int64_t no, std::string_view line) {
    if (line.find_first_not_of(" \t") == std::string_view::npos) return;
    auto fail = [&](const std::string& why) { return Error(concat(path, ":", no, ": ", why)); };
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw fail("not a JSON object");
    if (!j.contains("session") || !j["session"].is_number_integer()) throw fail("'session' must be an integer");
    if (!j.contains("labels") || !j["labels"].is_object()) throw fail("'labels' must be an object");
    SessionLabels l;
    l.session = j["session"].get<int64_t>();
    const auto& lab = j["labels"];
    auto ids = [&](const char* key, std::vector<int64_t>& v) {
      if (!lab.contains(key)) return;
      const auto& x = lab[key];
      if (x.is_number_integer()) {
        v.push_back(x.get<int64_t>());
        return;
      }
      if (!x.is_array()) throw fail(concat("labels.", key, " must be an integer or an array of integers"));
      for (const auto& y : x) {
        if (!y.is_number_integer()) throw fail(concat("labels.", key, " must hold integers"));
        if (std::find(v.begin(), v.end(), y.get<int64_t>()) == v.end()) v.push_back(y.get<int64_t>());
      }
    };
    std::vector<int64_t> clicks;
    ids("clicks", clicks);
    if (clicks.size() > 1) throw fail("labels.clicks must be a single item (the next click)");
    if (!clicks.empty()) l.click = clicks[0];
    ids("carts", l.carts);
    ids("orders", l.orders);
    out.push_back(std::move(l));
  });
  if (out.empty()) throw Error(concat(path, ": no labels"));
  return out;
}

}  // namespace seqrec
