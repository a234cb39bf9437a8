// seqrec report 的 HTML：一个自包含的文件（Chart.js、视图脚本、样式与数据都内嵌），离线打开即可，
// 画训练曲线、评估表与图、按历史长度的分组，多个模型时并排比较。与控制台的 Model 页同一份视图代码。
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace seqrec {

// 一个模型目录里报告要用的东西。
struct ReportModel {
  std::string name;         // 表头与图例里的名字（目录名）
  std::string dir;
  std::string version;      // manifest.json 的 sha256 前 12 位
  nlohmann::json manifest;
  nlohmann::json train_log;  // train_log.jsonl 的各行（数组；没有日志时为空数组）
};

// 读一个模型目录（先检查 manifest 与文件校验和；旧目录没有的字段报告里写“未记录”）。
ReportModel read_report_model(const std::string& dir);

// train_log.jsonl 的各行（坏行跳过：日志只用来画曲线；没有文件时为空数组）。控制台的 model.json 也用它。
nlohmann::json read_train_log(const std::string& dir);

// 生成报告的 HTML 文本。
std::string model_report_html(const std::vector<ReportModel>& models, const std::string& title);

}  // namespace seqrec
