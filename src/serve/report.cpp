// seqrec report 的实现：读模型目录，把数据与网页文件拼成一个 HTML。
#include "serve/report.h"

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/files.h"
#include "core/manifest.h"
#include "core/version.h"
#include "serve/web_assets.h"

namespace seqrec {

namespace fs = std::filesystem;

ReportModel read_report_model(const std::string& dir) {
  ReportModel m;
  m.dir = dir;
  std::string raw;
  m.manifest = load_and_verify_manifest(dir, &raw);
  if (!m.manifest.contains("model_type"))
    throw Error(concat(dir, ": not a model directory (its manifest.json has no model_type)"));
  m.version = sha256_hex(raw).substr(0, 12);
  m.name = fs::path(dir).lexically_normal().filename().string();
  if (m.name.empty() || m.name == ".") m.name = fs::absolute(dir).lexically_normal().parent_path().filename().string();
  m.train_log = read_train_log(dir);
  return m;
}

nlohmann::json read_train_log(const std::string& dir) {
  nlohmann::json out = nlohmann::json::array();
  std::ifstream in(fs::path(dir) / "train_log.jsonl");
  for (std::string line; std::getline(in, line);) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object()) out.push_back(std::move(j));
  }
  return out;
}

namespace {

// 一个内嵌的网页文件（构建进程序的）；缺了就是构建错误。
std::string asset(const char* name) {
  const WebAsset* a = find_web_asset(name);
  SEQREC_CHECK(a != nullptr, "web asset missing from the build");
  return std::string(a->body);
}

// 放进 <script> 里的文本不能出现 "</script"：把 "</" 写成 "<\/"（JSON 与 JavaScript 里两者相同）。
std::string script_safe(std::string s) {
  for (size_t p = 0; (p = s.find("</", p)) != std::string::npos; p += 3) s.replace(p, 2, "<\\/");
  return s;
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else if (c == '"') out += "&quot;";
    else out += c;
  }
  return out;
}

}  // namespace

std::string model_report_html(const std::vector<ReportModel>& models, const std::string& title) {
  nlohmann::json data = nlohmann::json::array();
  // 同名目录（a/model 与 b/model）在图例里要分得开：重名时用完整路径。
  for (const auto& m : models) {
    const bool dup = std::count_if(models.begin(), models.end(), [&](const ReportModel& o) { return o.name == m.name; }) > 1;
    data.push_back({{"name", dup ? m.dir : m.name}, {"dir", m.dir}, {"version", m.version}, {"manifest", m.manifest}, {"train_log", m.train_log}});
  }
  const std::string json = data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string html;
  html += "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  html += "<meta name=\"generator\" content=\"seqrec " + std::string(kSeqrecVersion) + " (" + git_commit() + ")\">\n";
  html += "<title>" + html_escape(title) + "</title>\n<link rel=\"icon\" href=\"data:,\">\n<style>\n" + asset("seqrec.css") + "\n</style>\n</head>\n<body>\n";
  html += "<header><h1>" + html_escape(title) + "</h1><span class=\"meta\">seqrec report, " + utc_text(unix_now()) +
          "</span></header>\n<main id=\"report\"></main>\n";
  html += "<script>\n" + script_safe(asset("chart.umd.min.js")) + "\n</script>\n";
  html += "<script>\n" + script_safe(asset("seqrec_view.js")) + "\n</script>\n";
  html += "<script type=\"application/json\" id=\"seqrec-data\">" + script_safe(json) + "</script>\n";
  html += "<script>\nSeqrecView.renderModels(document.getElementById(\"report\"), "
          "JSON.parse(document.getElementById(\"seqrec-data\").textContent));\n</script>\n</body>\n</html>\n";
  return html;
}

}  // namespace seqrec
