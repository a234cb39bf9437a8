// 后台重新训练的实现：一个等待触发条件的线程、一次运行（retrain → 质量门 → 热加载 → current.json）、目录清理。
#include "live/retrainer.h"

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "core/error.h"
#include "core/files.h"
#include "core/manifest.h"
#include "train/trainer.h"

namespace fs = std::filesystem;

namespace seqrec {

namespace {

// 目录的规范绝对路径（比较用；不存在的部分按字面）。
std::string canonical(const std::string& p) { return fs::weakly_canonical(fs::absolute(p)).string(); }

// 模型目录当前的版本（manifest.json 原文的 sha256 前 12 位）。
std::string dir_version(const std::string& dir) {
  std::string raw;
  (void)load_manifest(dir, &raw);
  return manifest_version(raw);
}

}  // namespace

void RetrainSchedule::validate() const {
  if (every_s < 0) throw Error(concat("--retrain-every must be >= 0 seconds, got ", every_s));
  if (after_events < 0) throw Error(concat("--retrain-after-events must be >= 0, got ", after_events));
  if (dir.empty()) throw Error("background retraining needs --retrain-dir (where candidate models are written)");
}

BackgroundRetrainer::BackgroundRetrainer(const HistoryStore& store, std::string store_name, ModelSlot& slot,
                                         RetrainSchedule schedule)
    : store_(store), store_name_(std::move(store_name)), slot_(slot), sched_(std::move(schedule)) {
  sched_.validate();
  last_start_ = unix_now();
  thread_ = std::thread([this] { loop(); });
}

BackgroundRetrainer::~BackgroundRetrainer() {
  bool running = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    running = running_;
  }
  cv_.notify_all();
  done_cv_.notify_all();
  if (running) request_training_stop();  // 正在训练：本轮结束后停下，不让停机等完全部轮数
  thread_.join();
  if (running) clear_training_stop();
}

std::string BackgroundRetrainer::resume_dir(const std::string& dir, const std::string& base_model) {
  const fs::path p = fs::path(dir) / "current.json";
  if (dir.empty() || !fs::exists(p)) return "";
  try {
    const nlohmann::json j = nlohmann::json::parse(read_file(p.string()));
    const std::string d = j.at("dir").get<std::string>();
    if (j.at("base_model").get<std::string>() != canonical(base_model)) return "";
    if (j.at("base_version").get<std::string>() != dir_version(base_model)) return "";
    (void)load_manifest(d);  // 目录完整（manifest 可读、格式认识）；文件的校验在加载时做
    return d;
  } catch (const std::exception&) {
    return "";
  }
}

void BackgroundRetrainer::note_events(int64_t n) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    events_since_ += n;
    wake = sched_.after_events > 0 && events_since_ >= sched_.after_events;
  }
  if (wake) cv_.notify_all();
}

bool BackgroundRetrainer::trigger() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_ || running_ || requested_) return false;
    requested_ = true;
  }
  cv_.notify_all();
  return true;
}

nlohmann::ordered_json BackgroundRetrainer::wait() {
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [&] { return stop_ || (!running_ && !requested_); });
  return last_;
}

nlohmann::ordered_json BackgroundRetrainer::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::ordered_json j;
  j["every_s"] = sched_.every_s;
  j["after_events"] = sched_.after_events;
  j["dir"] = sched_.dir;
  j["gate_metric"] = sched_.retrain.gate_metric;
  j["max_regression"] = sched_.retrain.max_regression;
  j["running"] = running_;
  j["events_since_last_start"] = events_since_;
  j["runs"] = {{"promoted", counters_.promoted}, {"rejected", counters_.rejected}, {"failed", counters_.failed}};
  j["last"] = last_;
  j["history"] = nlohmann::ordered_json::array();
  for (const auto& r : history_) j["history"].push_back(r);
  return j;
}

RetrainCounters BackgroundRetrainer::counters() const {
  std::lock_guard<std::mutex> lock(mu_);
  RetrainCounters c = counters_;
  c.running = running_;
  return c;
}

void BackgroundRetrainer::loop() {
  std::unique_lock<std::mutex> lock(mu_);
  auto due = [&] {
    if (stop_ || requested_) return true;
    if (sched_.after_events > 0 && events_since_ >= sched_.after_events) return true;
    // 按时间：只在上一次之后有新事件时才训练（没有新数据，候选只会是同一个模型）。
    return sched_.every_s > 0 && events_since_ > 0 && unix_now() - last_start_ >= sched_.every_s;
  };
  for (;;) {
    cv_.wait_for(lock, std::chrono::seconds(1), due);
    if (stop_) return;
    if (!due()) continue;
    requested_ = false;
    running_ = true;
    events_since_ = 0;
    last_start_ = unix_now();
    lock.unlock();
    nlohmann::ordered_json r = run_once();
    lock.lock();
    running_ = false;
    const std::string result = r.value("result", std::string("failed"));
    if (result == "promoted") ++counters_.promoted;
    else if (result == "rejected") ++counters_.rejected;
    else ++counters_.failed;
    counters_.last_finished_at = unix_now();
    counters_.last_seconds = r.value("seconds", 0.0);
    if (r.contains("gate")) {
      counters_.last_candidate = r["gate"].value("candidate", 0.0);
      counters_.last_current = r["gate"].value("current", 0.0);
    }
    history_.push_back(r);  // 最近 kRetrainHistory 次（控制台列出每次的质量门决定）
    while (history_.size() > kRetrainHistory) history_.pop_front();
    last_ = std::move(r);
    done_cv_.notify_all();
  }
}

nlohmann::ordered_json BackgroundRetrainer::run_once() {
  const double t0 = unix_now();
  nlohmann::ordered_json r;
  r["started_at"] = utc_text(t0);
  const auto cur = slot_.current();
  std::string serving = cur ? cur->dir : std::string(), rejected;
  try {
    if (!cur) throw Error("no model is being served");
    fs::create_directories(sched_.dir);
    // 目录名带时间与序号；已存在（同一秒内重启过）时换下一个序号，绝不覆盖一个已有的模型目录。
    std::string out;
    do {
      out = (fs::path(sched_.dir) / concat("retrain-", utc_text(t0, true), "-", ++runs_)).string();
    } while (fs::exists(out));
    RetrainOptions o = sched_.retrain;
    o.current = cur->dir;
    o.out = out;
    o.progress = false;
    r["parent"] = {{"dir", cur->dir}, {"version", cur->version}};
    r["candidate_dir"] = out;
    const RetrainResult res = retrain(store_, store_name_, o, stderr);
    r["gate"] = res.lineage["gate"];
    r["warm_start"] = res.lineage["warm_start"];
    r["events"] = res.lineage["events"];
    if (!res.promoted) {
      r["result"] = "rejected";
      rejected = out;
    } else {
      // 上线：与 /admin/reload 相同的加载（失败时旧模型继续服务）。别的加载正在进行时等它结束再试。
      ModelSlot::Outcome oc;
      oc.error = "other reloads kept starting";
      for (int attempt = 0; attempt < 5; ++attempt) {
        if (slot_.start_reload(out)) {
          oc = slot_.wait();
          break;
        }
        (void)slot_.wait();
      }
      if (!oc.ok) {
        r["result"] = "failed";
        r["error"] = concat("the candidate passed the gate but did not load, still serving ", cur->dir, ": ", oc.error);
        rejected = out;
      } else {
        r["result"] = "promoted";
        r["version"] = oc.version;
        serving = out;
        slot_.set_default_dir(out);
        // 重启时沿用：记下上线的目录与它所基于的 --model（路径与版本）。
        const nlohmann::ordered_json ptr = {{"dir", canonical(out)},
                                            {"base_model", canonical(sched_.base_model)},
                                            {"base_version", dir_version(sched_.base_model)},
                                            {"promoted_at", utc_text(unix_now())}};
        write_file_atomic((fs::path(sched_.dir) / "current.json").string(), ptr.dump(2) + "\n");
      }
    }
  } catch (const std::exception& e) {
    r["result"] = "failed";
    r["error"] = e.what();
  }
  r["seconds"] = unix_now() - t0;
  r["finished_at"] = utc_text(unix_now());
  std::fprintf(stderr, "retrain: %s%s (%.1fs)\n", r["result"].get<std::string>().c_str(),
               r.contains("error") ? concat(": ", r["error"].get<std::string>()).c_str() : "", r["seconds"].get<double>());
  try {
    prune(serving, rejected);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "retrain: could not clean %s: %s\n", sched_.dir.c_str(), e.what());
  }
  return r;
}

void BackgroundRetrainer::prune(const std::string& serving, const std::string& last_rejected) const {
  if (!fs::exists(sched_.dir)) return;
  std::vector<std::string> keep;
  if (!serving.empty()) {
    keep.push_back(canonical(serving));
    try {  // 正在服务的模型的父模型也留着（回退用）
      const nlohmann::json m = load_manifest(serving);
      if (m.contains("lineage")) keep.push_back(canonical(m["lineage"]["parent"].value("dir", std::string())));
    } catch (const std::exception&) {
    }
  }
  if (!last_rejected.empty()) keep.push_back(canonical(last_rejected));
  for (const auto& e : fs::directory_iterator(sched_.dir)) {
    const std::string name = e.path().filename().string();
    if (!e.is_directory() || name.rfind("retrain-", 0) != 0) continue;
    const std::string p = canonical(e.path().string());
    if (std::find(keep.begin(), keep.end(), p) != keep.end()) continue;
    std::error_code ec;
    fs::remove_all(e.path(), ec);
  }
}

}  // namespace seqrec
