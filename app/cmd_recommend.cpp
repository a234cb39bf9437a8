// `seqrec recommend`：命令行上得到与 POST /recommend 完全相同的答案（共用 serve/recommender）。
#include <cstdio>
#include <memory>
#include <sstream>

#include "commands.h"
#include "core/error.h"
#include "serve/model_bundle.h"
#include "serve/recommender.h"

namespace seqrec::app {

namespace {

// recommend 子命令的全部选项。
struct RecommendFlags {
  std::string model;
  std::string precision = "int8";
  std::string user;
  bool has_user = false;
  std::string clicks;
  int k = 10;
  bool exclude_clicked = false;  // --exclude-clicked
  bool include_clicked = false;  // --include-clicked
};

// 执行一次推荐：构造与 HTTP 请求相同的 JSON，走同一套校验与推荐逻辑，打印响应 JSON。
void run_recommend(const RecommendFlags& f) {
  auto bundle = ModelBundle::load(f.model, parse_scan_precision(f.precision));
  RecommendRequest r;
  if (f.has_user) r.user_id = f.user;
  std::stringstream ss(f.clicks);
  std::string tok;
  // "10, 31" 与 "10,31" 相同：每个 ID 去掉两端的空白（shell 里逗号后加空格很常见）；空项跳过。
  while (std::getline(ss, tok, ',')) {
    const size_t b = tok.find_first_not_of(" \t"), e = tok.find_last_not_of(" \t");
    if (b != std::string::npos) r.recent_clicks.push_back(tok.substr(b, e - b + 1));
  }
  // 与 HTTP 请求走同一套校验。
  nlohmann::json j = {{"user_id", r.user_id ? nlohmann::json(*r.user_id) : nlohmann::json()},
                      {"recent_clicks", r.recent_clicks},
                      {"top_k", f.k}};
  // 两个选项都没给：用模型的默认值（由训练数据的重复率得出），与不带这个字段的 HTTP 请求相同。
  if (f.exclude_clicked && f.include_clicked) throw Error("--exclude-clicked and --include-clicked contradict each other");
  if (f.exclude_clicked) j["exclude_clicked"] = true;
  if (f.include_clicked) j["exclude_clicked"] = false;
  try {
    r = request_from_json(j, kDefaultMaxTopK);
  } catch (const RequestError& e) {
    throw Error(e.what());
  }
  std::printf("%s\n", recommend(*bundle, r).dump().c_str());
}

}  // namespace

// 注册 recommend 子命令。
void setup_recommend(CLI::App& app) {
  auto f = std::make_shared<RecommendFlags>();
  auto* cmd = app.add_subcommand("recommend", "recommend from the command line (same answer as POST /recommend)");
  cmd->add_option("--model", f->model, "model directory")->required();
  cmd->add_option("--precision", f->precision, "scan of the item vectors: int8 (int8 scan + exact fp32 re-rank; same answers as fp32, 4x less memory traffic), fp32, or fp16 (approximate scores)")
      ->capture_default_str()
      ->check(CLI::IsMember({"fp32", "fp16", "int8"}));
  auto* u = cmd->add_option("--user", f->user, "user id (omit for an anonymous user)");
  cmd->add_option("--clicks", f->clicks, "recent clicks, oldest first, comma-separated item ids (spaces around each id are ignored)");
  cmd->add_option("-k,--top-k", f->k, "number of items")->capture_default_str();
  cmd->add_flag("--exclude-clicked", f->exclude_clicked,
                "leave out the clicked items (default: the model's, from how often its training data repeats items)");
  cmd->add_flag("--include-clicked", f->include_clicked, "allow the clicked items in the answer");
  cmd->callback([f, u] {
    f->has_user = u->count() > 0;
    run_recommend(*f);
  });
}

}  // namespace seqrec::app
