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
  bool exclude_clicked = false;
};

// 执行一次推荐：构造与 HTTP 请求相同的 JSON，走同一套校验与推荐逻辑，打印响应 JSON。
void run_recommend(const RecommendFlags& f) {
  auto bundle = ModelBundle::load(f.model, parse_scan_precision(f.precision));
  RecommendRequest r;
  if (f.has_user) r.user_id = f.user;
  std::stringstream ss(f.clicks);
  std::string tok;
  while (std::getline(ss, tok, ','))
    if (!tok.empty()) r.recent_clicks.push_back(tok);
  // 与 HTTP 请求走同一套校验。
  nlohmann::json j = {{"user_id", r.user_id ? nlohmann::json(*r.user_id) : nlohmann::json()},
                      {"recent_clicks", r.recent_clicks},
                      {"top_k", f.k},
                      {"exclude_clicked", f.exclude_clicked}};
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
  cmd->add_option("--clicks", f->clicks, "recent clicks, oldest first, comma-separated item ids");
  cmd->add_option("-k,--top-k", f->k, "number of items")->capture_default_str();
  cmd->add_flag("--exclude-clicked", f->exclude_clicked, "leave out the clicked items");
  cmd->callback([f, u] {
    f->has_user = u->count() > 0;
    run_recommend(*f);
  });
}

}  // namespace seqrec::app
