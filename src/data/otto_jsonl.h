// OTTO JSONL 的一行：{"session":N,"events":[{"aid":N,"ts":MS,"type":"clicks"|"carts"|"orders"|0|1|2}, ...]}。
// 训练读交互文件（data/formats.cpp，--format otto）与会话命令读会话文件（session/sessions.cpp）共用这一个解析器，
// 两处接受完全相同的文件：session 与 aid 是整数或只含数字的字符串，ts 是数（小数四舍五入为整数），
// type 是三个类型名之一或 0 / 1 / 2。用 simdjson（Debian 的 libsimdjson-dev）的 DOM 解析器，运行时按 CPU 选 SIMD 实现。
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace seqrec {

// 一行（一个会话）解析出的事件。
struct OttoLine {
  int64_t session = 0;
  std::vector<int64_t> aids, times;
  std::vector<uint8_t> types;  // EventKind（data/events.h）
  void clear() {
    aids.clear();
    times.clear();
    types.clear();
  }
};

// 逐行解析器（持有 simdjson 的解析缓冲，一个线程一个）。
class OttoLineParser {
 public:
  OttoLineParser();
  ~OttoLineParser();
  // 解析 [p, p + len)；成功返回空串，否则返回错误说明（不含行号，由调用方加上）。
  // padded：行后至少还有 simdjson::SIMDJSON_PADDING 个可读字节（流式读取的块保证这一点），可以不复制。
  std::string parse(const char* p, size_t len, bool padded, OttoLine& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// 流式读取的块在数据之后要留出的可读字节数（simdjson::SIMDJSON_PADDING），行才可以不复制地解析。
size_t otto_line_padding();

// 解析整数文本（可带正负号，不溢出）；成功返回 true。
bool parse_int64(const char* p, size_t len, int64_t& out);

}  // namespace seqrec
