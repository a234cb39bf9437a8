// `seqrec report`：一个或几个模型目录 → 一个自包含的 HTML 报告（训练曲线、评估表与图、按历史长度分组；
// 几个模型时并排比较）。离线可看，不需要服务。
#include <cstdio>
#include <memory>

#include "commands.h"
#include "core/error.h"
#include "core/files.h"
#include "serve/report.h"

namespace seqrec::app {

namespace {

struct ReportFlags {
  std::vector<std::string> models;
  std::string out = "report.html";
  std::string title;
};

}  // namespace

// 注册 report 子命令。
void setup_report(CLI::App& app) {
  auto f = std::make_shared<ReportFlags>();
  auto* cmd = app.add_subcommand("report", "write a self-contained HTML report of one or more model directories "
                                           "(training curves, evaluation tables and charts, side by side)");
  cmd->add_option("--model", f->models, "model directory (repeat, or a,b, to compare several)")
      ->required()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->delimiter(',');
  cmd->add_option("--out", f->out, "the HTML file to write (replaced atomically)")->capture_default_str();
  cmd->add_option("--title", f->title, "page title (default: 'seqrec report: <model names>')");
  cmd->callback([f] {
    std::vector<ReportModel> models;
    for (const auto& d : f->models) models.push_back(read_report_model(d));
    std::string title = f->title;
    if (title.empty()) {
      title = "seqrec report:";
      for (size_t i = 0; i < models.size(); ++i) title += (i ? ", " : " ") + models[i].name;
    }
    const std::string html = model_report_html(models, title);
    write_file_atomic(f->out, html);
    std::printf("wrote %s (%zu model%s, %.0f KiB): open it in a browser, no server needed\n", f->out.c_str(),
                models.size(), models.size() == 1 ? "" : "s", static_cast<double>(html.size()) / 1024);
  });
}

}  // namespace seqrec::app
