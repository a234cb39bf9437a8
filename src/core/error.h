// 错误处理约定（见 STYLE.md 第 8 条）：
//  - 用户输入的问题（文件、参数、请求）抛出 seqrec::Error，消息要指明文件/行号/字段以及期望的内容；
//  - 内部假设被破坏用 SEQREC_CHECK（同样抛异常，但消息标明是内部错误），库代码从不调用 exit()。
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

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

}  // namespace seqrec

// 内部断言：条件不成立说明是程序缺陷而不是用户输入的问题。
#define SEQREC_CHECK(cond, ...)                                                        \
  do {                                                                                 \
    if (!(cond))                                                                       \
      throw ::seqrec::Error(::seqrec::concat("internal error at ", __FILE__, ":",      \
                                             __LINE__, ": ", #cond, " ", ##__VA_ARGS__)); \
  } while (0)
