// 错误处理约定（见 STYLE.md 第 8 条）：
//  - 用户输入的问题（文件、参数、请求）抛出 seqrec::Error，消息要指明文件/行号/字段以及期望的内容；
//  - 内部假设被破坏用 SEQREC_CHECK（同样抛异常，但消息标明是内部错误），库代码从不调用 exit()。
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace seqrec {

// 用户可见的错误：消息直接展示给用户，所以必须自解释。
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// 把任意可流式输出的参数拼成一个字符串，方便构造错误消息。
template <typename... Args>
std::string concat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

// 把任意字节串变成可以放进错误消息、日志与 JSON 的可打印 ASCII：控制字符、高位字节与反斜杠写成
// \xNN（反斜杠为 \\），超过 max_len 个字符时截断并加 "..."。用户文件与网络请求里的字节都先经过它。
inline std::string printable(std::string_view s, size_t max_len = 200) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (const char ch : s) {
    if (out.size() >= max_len) {
      out += "...";
      break;
    }
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c == '\\') {
      out += "\\\\";
    } else if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace seqrec

// 内部断言：条件不成立说明是程序缺陷而不是用户输入的问题。
#define SEQREC_CHECK(cond, ...)                                                        \
  do {                                                                                 \
    if (!(cond))                                                                       \
      throw ::seqrec::Error(::seqrec::concat("internal error at ", __FILE__, ":",      \
                                             __LINE__, ": ", #cond, " ", ##__VA_ARGS__)); \
  } while (0)
