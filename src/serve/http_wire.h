// HTTP/1.1 请求的线上格式：请求头解析、请求体分帧（Content-Length 或 chunked）与响应序列化。
// 纯函数与小状态机，不碰套接字，便于单元测试与模糊测试；传输层（http_server.cpp）负责读写与时限。
//
// 解析按 RFC 9112 从严：同时带 Content-Length 与 Transfer-Encoding、多个不同的 Content-Length、
// 不是十进制数字的 Content-Length、溢出的块长度、折叠的头行都是 400（之后关闭连接，杜绝请求走私）；
// chunked 以外的传输编码是 501；请求头过大是 431；HTTP/1.x 以外的版本是 505。
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace seqrec::http {

// 一个解析错误：应答的状态码与说明（说明里的请求字节已经 printable 转义，可以安全地写进 JSON 与日志）。
struct WireError {
  int status = 400;
  std::string message;
};

// 解析好的请求头。
struct RequestHead {
  std::string method;
  std::string path;          // 百分号解码后的路径，不含查询串
  int minor_version = 1;     // HTTP/1.minor
  std::vector<std::pair<std::string, std::string>> headers;  // 名字转为小写，值去掉首尾空白
  bool chunked = false;      // Transfer-Encoding: chunked
  uint64_t content_length = 0;
  bool keep_alive = true;    // 回答后是否保持连接（HTTP/1.1 默认保持，1.0 默认关闭）
  bool expect_continue = false;  // Expect: 100-continue

  // 第一个名为 name（小写）的头的值；没有时为 nullptr。
  const std::string* find(std::string_view name) const;
  // 是否有请求体要读。
  bool has_body() const { return chunked || content_length > 0; }
};

// 解析的结果：还要更多字节、完成、或出错。
enum class Parse { kNeedMore, kDone, kError };

// 在 buf 的开头找一个完整的请求头（以空行结束）并解析到 *head，*consumed 为请求头的字节数（含空行）。
// 请求头超过 max_head_bytes 时出错（431）。请求之间多余的空行（RFC 9112 §2.2）被跳过并计入 consumed。
Parse parse_head(std::string_view buf, size_t max_head_bytes, RequestHead* head, size_t* consumed, WireError* err);

// chunked 请求体的增量解码器：每次喂入新到的字节，解出的数据追加到 body。
class ChunkedDecoder {
 public:
  // 从 in 的开头解码，*consumed 为用掉的字节数。数据累计超过 max_body 时出错（413）；
  // 块长度不是十六进制、超过 16 位、行尾不对时出错（400）。kDone 表示最后一块与尾部头都已读完。
  Parse feed(std::string_view in, size_t max_body, std::string* body, size_t* consumed, WireError* err);

 private:
  enum class State { kSize, kData, kDataEnd, kTrailer };
  State state_ = State::kSize;
  uint64_t left_ = 0;          // 当前块还没读的字节数
  size_t trailer_bytes_ = 0;   // 已读的尾部头字节（有上限）
};

// 状态码的原因短语（未列出的为 "Unknown"）。
const char* reason_phrase(int status);

}  // namespace seqrec::http
