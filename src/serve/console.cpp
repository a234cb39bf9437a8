// 控制台的路由（GET /console、GET /console/{file}）：静态文件来自构建进程序的 web_assets；
// 两个数据文件（model.json、catalog.json）由当前模型生成，服务有管理令牌时要求它。
#include <algorithm>

#include "core/error.h"
#include "core/files.h"
#include "serve/http_server.h"
#include "serve/report.h"
#include "serve/web_assets.h"

namespace seqrec {

namespace {

// 控制台一次给浏览器的物品与用户 ID 的上限（补全列表用；更大的目录只给前面这些，并写明总数）。
constexpr size_t kConsoleItems = 50000;
constexpr size_t kConsoleUsers = 10000;

// 200 与 JSON 体。
HttpResponse json_response(const nlohmann::json& j) {
  HttpResponse r;
  r.body = dump_json(j);
  return r;
}

}  // namespace

HttpResponse HttpServer::on_console(const HttpRequest& req) {
  HttpRequest file = req;
  file.param = "console.html";
  return on_console_file(file);
}

HttpResponse HttpServer::on_console_file(const HttpRequest& req) {
  if (!opt_.console) return error_response(404, "the console is turned off (seqrec serve --no-console)");
  if (const WebAsset* a = find_web_asset(req.param)) {
    HttpResponse r;
    r.content_type = std::string(a->content_type);
    r.body = std::string(a->body);
    return r;
  }
  if (req.param != "model.json" && req.param != "catalog.json")
    return error_response(404, concat("no console file '", req.param, "'"));
  // 数据文件：服务有管理令牌时要求它（控制台页面向用户要令牌，放在这个标签页的 sessionStorage 里）。
  if (!opt_.admin_token.empty() && !admin_authorized(req))
    return error_response(401, "the console's data needs the header 'Authorization: Bearer <admin token>'");
  const auto b = slot_.current();
  if (!b) return error_response(503, "model not loaded yet (see GET /health/ready)");
  if (req.param == "model.json") {
    nlohmann::json j = {{"dir", b->dir}, {"version", b->version}, {"manifest", b->manifest}, {"train_log", read_train_log(b->dir)}};
    auto r = json_response(j);
    r.model_version = b->version;
    return r;
  }
  // catalog.json：物品 ID（与标题，若模型目录里有 item_titles.json）、用户 ID。
  nlohmann::json items = nlohmann::json::array(), users = nlohmann::json::array(), titles;
  const size_t ni = std::min(b->items.size(), kConsoleItems), nu = std::min(b->users.size(), kConsoleUsers);
  for (size_t i = 0; i < ni; ++i) items.push_back(b->items.id(static_cast<int32_t>(i)));
  for (size_t i = 0; i < nu; ++i) users.push_back(b->users.id(static_cast<int32_t>(i)));
  if (b->manifest.contains("item_titles")) {
    const nlohmann::json all = nlohmann::json::parse(read_file(b->dir + "/item_titles.json"), nullptr, false);
    titles = nlohmann::json::array();
    for (const auto& id : items) titles.push_back(all.is_object() ? all.value(id.get<std::string>(), std::string()) : std::string());
  }
  auto r = json_response({{"items", items}, {"item_count", b->items.size()}, {"titles", titles},
                          {"users", users}, {"user_count", b->users.size()}});
  r.model_version = b->version;
  return r;
}

}  // namespace seqrec
