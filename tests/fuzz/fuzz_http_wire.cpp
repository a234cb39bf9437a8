// libFuzzer 目标：HTTP/1.1 的线上格式解析（请求头与 chunked 请求体，src/serve/http_wire.cpp）。
// 输入就是客户端发来的原始字节：先当作请求头解析，成功后把剩下的字节当作 chunked 请求体逐段喂入。
// 任何崩溃、ASan/UBSan 报告，或违反下面的不变式（用掉的字节超过输入、未列出的状态码、超限的请求体）都算失败。
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "serve/http_wire.h"

using namespace seqrec::http;

namespace {

// 解析器只会给出这些状态码。
bool known_status(int s) {
  return s == 400 || s == 413 || s == 417 || s == 431 || s == 501 || s == 505;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  RequestHead head;
  size_t used = 0;
  WireError err;
  const Parse r = parse_head(in, 4096, &head, &used, &err);
  if (r == Parse::kError && !known_status(err.status)) std::abort();
  if (r != Parse::kDone) return 0;
  if (used > size || head.path.empty() || head.path[0] != '/') std::abort();
  if (head.chunked && head.content_length != 0) std::abort();  // 两种分帧不会同时成立
  // 请求体：分成长度不一的小段喂给 chunked 解码器（段长取自输入本身），未用完的字节留到下一段。
  ChunkedDecoder dec;
  std::string body, pending;
  size_t pos = used;
  while (pos < size) {
    const size_t step = 1 + static_cast<size_t>(data[pos]) % 7;
    pending.append(in.substr(pos, step));
    pos += step;
    size_t u = 0;
    const Parse c = dec.feed(pending, 256, &body, &u, &err);
    if (u > pending.size() || body.size() > 256) std::abort();
    if (c == Parse::kError) {
      if (!known_status(err.status)) std::abort();
      return 0;
    }
    pending.erase(0, u);
    if (c == Parse::kDone) return 0;
  }
  return 0;
}
