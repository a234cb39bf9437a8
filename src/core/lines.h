// 内存文本的逐行遍历（各读取器共用）。
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace seqrec {

// 逐行遍历文本，回调 f(行号从 1 开始, 去掉 '\r' 的行内容)。最后一行可以没有换行符。
template <typename F>
void for_each_line(const std::string& text, F&& f) {
  size_t start = 0;
  int64_t no = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++no;
    f(no, line);
    start = end + 1;
  }
}

}  // namespace seqrec
