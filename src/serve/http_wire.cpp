// HTTP/1.1 请求解析的实现（RFC 9112）。输入是不可信的网络字节：每个分支都有上限，出错时给出状态码与
// 转义过的说明，绝不越界读取。
#include "serve/http_wire.h"

#include <algorithm>
#include <cstdio>

#include "core/error.h"

namespace seqrec::http {

using seqrec::printable;

namespace {

// 出错：填写状态码与说明，返回 kError。
Parse fail(WireError* err, int status, std::string msg) {
  err->status = status;
  err->message = std::move(msg);
  return Parse::kError;
}

// RFC 9110 的 token 字符（方法名、头名）。
bool is_tchar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

// 转为小写（只处理 ASCII）。
std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// 去掉首尾的空格与制表符（OWS）。
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// 按逗号切开的列表，每项去掉空白、转小写，空项跳过。
std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const size_t c = s.find(',');
    const std::string_view item = trim(s.substr(0, c));
    if (!item.empty()) out.push_back(lower(item));
    if (c == std::string_view::npos) break;
    s.remove_prefix(c + 1);
  }
  return out;
}

// 十六进制数字的值；不是时返回 -1。
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// 百分号解码路径；非法的 % 序列返回 false。
bool percent_decode(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

// 从 buf[pos] 起取一行（不含行尾的 LF 与可选的 CR）；没有完整的行时返回 false。
bool next_line(std::string_view buf, size_t* pos, std::string_view* line) {
  const size_t nl = buf.find('\n', *pos);
  if (nl == std::string_view::npos) return false;
  size_t end = nl;
  if (end > *pos && buf[end - 1] == '\r') --end;
  *line = buf.substr(*pos, end - *pos);
  *pos = nl + 1;
  return true;
}

// 十进制的 Content-Length；不是 1 到 19 位数字时返回 false。
bool parse_length(std::string_view s, uint64_t* v) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t x = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    x = x * 10 + static_cast<uint64_t>(c - '0');
  }
  *v = x;
  return true;
}

}  // namespace

const std::string* RequestHead::find(std::string_view name) const {
  for (const auto& h : headers)
    if (h.first == name) return &h.second;
  return nullptr;
}

Parse parse_head(std::string_view buf, size_t max_head_bytes, RequestHead* head, size_t* consumed, WireError* err) {
  *head = RequestHead();  // 出错时 head 里只有这个请求已解析出的部分（不会留着上一个请求的）
  // 跳过请求之前的空行（RFC 9112 §2.2 允许），最多跳过一小段。
  size_t start = 0;
  while (start < buf.size() && start < 64 && (buf[start] == '\r' || buf[start] == '\n')) ++start;
  // 找请求头结束的空行；没找到时看是否已超过上限。
  size_t pos = start;
  std::string_view line;
  size_t end = std::string_view::npos;
  for (size_t p = start; next_line(buf, &p, &line);) {
    if (p - start > max_head_bytes) break;
    if (line.empty() && p - 1 > start) {
      end = p;
      break;
    }
  }
  if (end == std::string_view::npos) {
    if (buf.size() - start > max_head_bytes)
      return fail(err, 431, "request head larger than " + std::to_string(max_head_bytes) + " bytes");
    return Parse::kNeedMore;
  }
  // 请求行：METHOD SP request-target SP HTTP-version。
  next_line(buf, &pos, &line);
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
    return fail(err, 400, "malformed request line '" + printable(line) + "'");
  const std::string_view method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1),
                         version = line.substr(sp2 + 1);
  if (method.empty() || !std::all_of(method.begin(), method.end(), [](char c) { return is_tchar(static_cast<unsigned char>(c)); }))
    return fail(err, 400, "malformed method '" + printable(method) + "'");
  head->method = std::string(method);
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' || version[5] < '0' || version[5] > '9' ||
      version[7] < '0' || version[7] > '9')
    return fail(err, 400, "malformed HTTP version '" + printable(version) + "'");
  if (version[5] != '1') return fail(err, 505, "HTTP version " + std::string(version.substr(5)) + " is not supported (use HTTP/1.1)");
  head->minor_version = version[7] - '0';
  if (target.empty() || target[0] != '/')
    return fail(err, 400, "request target must be a path starting with '/', got '" + printable(target) + "'");
  for (char c : target)
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f)
      return fail(err, 400, "request target has a byte that must be percent-encoded: '" + printable(target) + "'");
  const std::string_view path = target.substr(0, target.find('?'));
  if (!percent_decode(path, &head->path))
    return fail(err, 400, "request target has a malformed percent escape: '" + printable(target) + "'");

  // 头行：name ":" OWS value OWS。折叠行（以空白开头）、名字后的空白、控制字符都拒绝。
  std::vector<std::string> te;
  bool have_length = false;
  while (next_line(buf, &pos, &line) && !line.empty()) {
    if (line[0] == ' ' || line[0] == '\t') return fail(err, 400, "folded header lines (obs-fold) are not accepted");
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0)
      return fail(err, 400, "malformed header line '" + printable(line) + "'");
    const std::string_view name = line.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), [](char c) { return is_tchar(static_cast<unsigned char>(c)); }))
      return fail(err, 400, "malformed header name '" + printable(name) + "'");
    const std::string_view value = trim(line.substr(colon + 1));
    for (char c : value)
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f)
        return fail(err, 400, "header '" + printable(name) + "' has a control character in its value");
    std::string lname = lower(name);
    if (lname == "content-length") {
      uint64_t n = 0;
      if (!parse_length(value, &n))
        return fail(err, 400, "malformed Content-Length '" + printable(value) + "' (expected a decimal byte count)");
      if (have_length && n != head->content_length)
        return fail(err, 400, "conflicting Content-Length headers (" + std::to_string(head->content_length) + " and " +
                                  std::to_string(n) + ")");
      have_length = true;
      head->content_length = n;
    } else if (lname == "transfer-encoding") {
      for (auto& t : split_list(value)) te.push_back(std::move(t));
    }
    head->headers.emplace_back(std::move(lname), std::string(value));
  }

  // 分帧：Transfer-Encoding 与 Content-Length 同时出现是请求走私的典型手法，拒绝（RFC 9112 §6.3）。
  if (head->find("transfer-encoding")) {
    if (have_length) return fail(err, 400, "a request must not have both Content-Length and Transfer-Encoding");
    if (head->minor_version == 0) return fail(err, 400, "Transfer-Encoding is not allowed in an HTTP/1.0 request");
    if (te.size() != 1 || te[0] != "chunked") {
      std::string all;
      for (const auto& t : te) all += (all.empty() ? "" : ", ") + t;
      return fail(err, 501, "Transfer-Encoding '" + printable(all) + "' is not supported (only chunked)");
    }
    head->chunked = true;
  }
  // 连接是否保持：HTTP/1.1 默认保持，HTTP/1.0 只有明说 keep-alive 时保持。
  head->keep_alive = head->minor_version >= 1;
  for (const auto& h : head->headers) {
    if (h.first != "connection") continue;
    for (const auto& t : split_list(h.second)) {
      if (t == "close") head->keep_alive = false;
      if (t == "keep-alive" && head->minor_version == 0) head->keep_alive = true;
    }
  }
  if (const std::string* e = head->find("expect")) {
    if (lower(*e) != "100-continue") return fail(err, 417, "Expect '" + printable(*e) + "' is not supported");
    head->expect_continue = head->minor_version >= 1;
  }
  *consumed = end;
  return Parse::kDone;
}

Parse ChunkedDecoder::feed(std::string_view in, size_t max_body, std::string* body, size_t* consumed, WireError* err) {
  constexpr size_t kMaxLine = 1024;       // 块长度行（含扩展）的上限
  constexpr size_t kMaxTrailer = 8192;    // 尾部头的总上限
  size_t pos = 0;
  std::string_view line;
  for (;;) {
    switch (state_) {
      case State::kSize: {
        size_t p = pos;
        if (!next_line(in, &p, &line)) {
          *consumed = pos;
          if (in.size() - pos > kMaxLine) return fail(err, 400, "chunk size line too long");
          return Parse::kNeedMore;
        }
        // chunk-size [ BWS ";" chunk-ext ]：十六进制数字，去掉前导零后至多 15 位（小于 2^60）。
        const std::string_view digits = trim(line.substr(0, line.find(';')));
        uint64_t n = 0;
        size_t significant = 0;
        if (digits.empty()) return fail(err, 400, "malformed chunk size '" + printable(line) + "'");
        for (char c : digits) {
          const int v = hex_value(c);
          if (v < 0) return fail(err, 400, "malformed chunk size '" + printable(line) + "'");
          if (significant > 0 || v != 0) ++significant;
          if (significant > 15) return fail(err, 400, "chunk size '" + printable(digits) + "' is out of range");
          n = n * 16 + static_cast<uint64_t>(v);
        }
        pos = p;
        if (n == 0) {
          state_ = State::kTrailer;
          break;
        }
        if (n > max_body || body->size() + n > max_body)
          return fail(err, 413, "request body too large (limit " + std::to_string(max_body) + " bytes)");
        left_ = n;
        state_ = State::kData;
        break;
      }
      case State::kData: {
        const size_t take = static_cast<size_t>(std::min<uint64_t>(left_, in.size() - pos));
        body->append(in.data() + pos, take);
        pos += take;
        left_ -= take;
        if (left_ > 0) {
          *consumed = pos;
          return Parse::kNeedMore;
        }
        state_ = State::kDataEnd;
        break;
      }
      case State::kDataEnd: {
        // 块数据之后必须是 CRLF（或单独的 LF）。
        if (pos < in.size() && in[pos] == '\n') {
          ++pos;
        } else if (in.size() - pos >= 2 && in[pos] == '\r' && in[pos + 1] == '\n') {
          pos += 2;
        } else if (in.size() - pos < 2 && (pos == in.size() || in[pos] == '\r')) {
          *consumed = pos;
          return Parse::kNeedMore;
        } else {
          return fail(err, 400, "chunk data not followed by CRLF");
        }
        state_ = State::kSize;
        break;
      }
      case State::kTrailer: {
        size_t p = pos;
        if (!next_line(in, &p, &line)) {
          *consumed = pos;
          if (trailer_bytes_ + (in.size() - pos) > kMaxTrailer) return fail(err, 400, "chunked trailer too large");
          return Parse::kNeedMore;
        }
        trailer_bytes_ += p - pos;
        if (trailer_bytes_ > kMaxTrailer) return fail(err, 400, "chunked trailer too large");
        pos = p;
        if (line.empty()) {  // 尾部头结束：请求体读完（尾部字段不使用）
          *consumed = pos;
          state_ = State::kSize;
          trailer_bytes_ = 0;
          return Parse::kDone;
        }
        break;
      }
    }
  }
}

const char* reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 202: return "Accepted";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Content";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    case 507: return "Insufficient Storage";
    default: return "Unknown";
  }
}

}  // namespace seqrec::http
