// 构建进程序的网页文件：控制台（/console）与 seqrec report 共用的脚本、样式，以及 npm 的 Chart.js。
// 内容在构建时由 CMake 从 web/ 生成（build/generated/web_assets.cpp），运行时不读磁盘、不联网。
#pragma once

#include <string_view>

namespace seqrec {

// 一个文件：名字（如 "console.js"）、Content-Type 与内容。
struct WebAsset {
  std::string_view name;
  std::string_view content_type;
  std::string_view body;
};

// 按名字找；没有时返回 nullptr。
const WebAsset* find_web_asset(std::string_view name);

}  // namespace seqrec
