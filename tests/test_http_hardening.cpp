// 传输层的加固：慢速请求头攻击（slowloris）下正常客户端仍被及时回答、请求头与请求体的总时限、
// 每个 IP 的连接上限、请求走私（Content-Length 与 Transfer-Encoding 并存、互相矛盾的长度）、畸形长度、
// 溢出的块长度、未知的传输编码、请求体里的 NUL、非 UTF-8 的路径。全部在回环地址上对真实服务检查，
// 两种并发模型（threads / epoll）各跑一遍；另有解析器本身的单元测试。
#include <gtest/gtest.h>
#include <httplib.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "core/files.h"
#include "serve/http_server.h"
#include "serve/http_wire.h"
#include "serve/model_bundle.h"
#include "serve/model_slot.h"
#include "test_util.h"

namespace seqrec {
namespace {

// 统计子串出现的次数。
size_t count_of(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

// 从 source（例如 127.0.0.2）连到 127.0.0.1:port；nonblock 时用非阻塞连接。失败返回 -1。
int connect_from(const char* source, int port, bool nonblock) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0);
  if (fd < 0) return -1;
  sockaddr_in src{};
  src.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &src.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) {
    ::close(fd);
    return -1;
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// 一个训练好的小模型，加载在槽里；每个测试按需要的选项起服务。
class HttpHardening : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    auto [rc, out] = test::train_tiny(*dir_, 80, 40, 4, 8, dir_->file("m"));
    ASSERT_EQ(rc, 0) << out;
    slot_ = new ModelSlot(dir_->file("m"), [](const std::string& d) {
      return std::shared_ptr<const ModelBundle>(ModelBundle::load(d));
    });
    ASSERT_TRUE(slot_->reload_now().ok);
  }
  static void TearDownTestSuite() {
    delete slot_;
    delete dir_;
  }
  // 一个运行中的服务（测试结束时停机）。
  struct Running {
    HttpServer server;
    int port = 0;
    std::thread t;
    explicit Running(ServeOptions o) : server(*slot_, std::move(o)) {
      port = server.bind();
      t = std::thread([this] { server.serve(); });
    }
    ~Running() {
      server.stop();
      t.join();
    }
  };
  ServeOptions opts() const {
    ServeOptions o;
    o.port = 0;
    o.io = GetParam();
    o.threads = 2;
    return o;
  }
  static test::TempDir* dir_;
  static ModelSlot* slot_;
};
test::TempDir* HttpHardening::dir_ = nullptr;
ModelSlot* HttpHardening::slot_ = nullptr;

const std::string kBody = R"({"user_id": null, "recent_clicks": [], "top_k": 3})";

// 在一个连接上发送 raw，读到对端关闭（或 timeout_s 秒）为止。
std::string raw_call(int port, const std::string& raw, int timeout_s = 3) {
  return test::raw_read_all(test::raw_open(port, raw, timeout_s));
}

// 慢速请求头攻击：1500 个连接从 127.0.0.2 每秒发一个字节的请求头；与此同时 127.0.0.1 上的正常客户端
// 至少 90% 的请求被回答，且每个在 100 ms 内。攻击连接受每 IP 上限限制，并在请求头时限到时被关闭。
TEST_P(HttpHardening, SlowlorisDoesNotStarveOtherClients) {
  ServeOptions o = opts();
  o.header_timeout_s = 2;
  o.max_connections_per_ip = 64;
  Running r(o);
  std::atomic<bool> stop{false};
  std::atomic<int> opened{0};
  std::thread attacker([&] {
    std::vector<int> fds;
    for (int i = 0; i < 1500; ++i) {
      const int fd = connect_from("127.0.0.2", r.port, true);
      if (fd >= 0) fds.push_back(fd);
    }
    opened = static_cast<int>(fds.size());
    const std::string head = "POST /recommend HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    size_t pos = 0;
    while (!stop.load()) {
      for (int fd : fds) ::send(fd, head.data() + (pos % head.size()), 1, MSG_NOSIGNAL | MSG_DONTWAIT);
      ++pos;
      for (int i = 0; i < 10 && !stop.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    for (int fd : fds) ::close(fd);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // 攻击已就位
  int answered = 0, fast = 0;
  const int n = 30;
  for (int i = 0; i < n; ++i) {
    const double t0 = now_seconds();
    httplib::Client cli("127.0.0.1", r.port);
    cli.set_connection_timeout(1);
    cli.set_read_timeout(1);
    auto res = cli.Post("/recommend", kBody, "application/json");
    const double dt = now_seconds() - t0;
    if (res && res->status == 200) {
      ++answered;
      if (dt < 0.1) ++fast;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const auto stats = r.server.connection_stats();
  stop = true;
  attacker.join();
  EXPECT_GT(opened.load(), 1000);
  EXPECT_GE(answered, n * 9 / 10);
  EXPECT_GE(fast, n * 9 / 10);
  EXPECT_GT(stats.refused_per_ip_limit, 0u);
}

// 请求头的总时限：每 300 ms 发一个字节的连接在 header_timeout 之后被 408 关闭（空闲时限不会因零星的字节而重置）。
TEST_P(HttpHardening, HeaderDeadlineClosesADrippingConnection) {
  ServeOptions o = opts();
  o.header_timeout_s = 1;
  Running r(o);
  const int fd = test::raw_open(r.port, "G", 5);
  ASSERT_GE(fd, 0);
  const double t0 = now_seconds();
  const std::string rest = "ET /health HTTP/1.1\r\nHost: x\r\nX-A: aaaaaaaaaaaaaaaaaaaaaaaa";
  std::string got;
  for (size_t i = 0; i < rest.size(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    if (::send(fd, rest.data() + i, 1, MSG_NOSIGNAL) < 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 0) > 0) break;
  }
  got = test::raw_read_all(fd);
  EXPECT_LT(now_seconds() - t0, 3.0);
  EXPECT_NE(got.find("HTTP/1.1 408"), std::string::npos) << got;
  EXPECT_NE(got.find("header-timeout"), std::string::npos) << got;
}

// 停住的请求体：request_timeout 到时回答 408（带 JSON 说明）并关闭，而不是等到空闲时限静默断开。
TEST_P(HttpHardening, StalledBodyGets408) {
  ServeOptions o = opts();
  o.request_timeout_ms = 400;
  Running r(o);
  const double t0 = now_seconds();
  const std::string got = raw_call(r.port, "POST /recommend HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"user", 5);
  EXPECT_LT(now_seconds() - t0, 2.5);
  EXPECT_NE(got.find("HTTP/1.1 408"), std::string::npos) << got;
  EXPECT_NE(got.find("request-timeout"), std::string::npos) << got;
  EXPECT_NE(got.find("Connection: close"), std::string::npos) << got;
}

// 每个 IP 的连接上限：第 N+1 个连接被立即关闭，别的地址不受影响。
TEST_P(HttpHardening, PerIpConnectionLimit) {
  ServeOptions o = opts();
  o.max_connections_per_ip = 3;
  Running r(o);
  std::vector<int> held;
  for (int i = 0; i < 3; ++i) held.push_back(connect_from("127.0.0.2", r.port, false));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const int extra = connect_from("127.0.0.2", r.port, false);
  ASSERT_GE(extra, 0);
  timeval tv{2, 0};
  ::setsockopt(extra, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const std::string req = "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n";
  ::send(extra, req.data(), req.size(), MSG_NOSIGNAL);
  EXPECT_EQ(test::raw_read_all(extra), "");  // 被关闭，没有回答
  EXPECT_NE(raw_call(r.port, "GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").find("HTTP/1.1 200"),
            std::string::npos);
  EXPECT_EQ(r.server.connection_stats().refused_per_ip_limit, 1u);
  for (int fd : held) ::close(fd);
}

// 请求走私：Content-Length 与 Transfer-Encoding 并存、两个不同的 Content-Length 都是 400 并关闭连接，
// 藏在后面的第二个请求不会被当作新请求回答。
TEST_P(HttpHardening, SmugglingAttemptsAreRejected) {
  Running r(opts());
  const std::string smuggled = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string te_cl = "POST /recommend HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                            "0\r\n\r\n" + smuggled;
  std::string got = raw_call(r.port, te_cl);
  EXPECT_EQ(count_of(got, "HTTP/1.1 "), 1u) << got;
  EXPECT_NE(got.find("HTTP/1.1 400"), std::string::npos) << got;
  EXPECT_NE(got.find("Connection: close"), std::string::npos) << got;
  const std::string two_cl = "POST /recommend HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(kBody.size()) +
                             "\r\nContent-Length: 3\r\n\r\n" + kBody + smuggled;
  got = raw_call(r.port, two_cl);
  EXPECT_EQ(count_of(got, "HTTP/1.1 "), 1u) << got;
  EXPECT_NE(got.find("HTTP/1.1 400"), std::string::npos) << got;
  EXPECT_NE(got.find("conflicting Content-Length"), std::string::npos) << got;
  // 相同的两个 Content-Length 是允许的（RFC 9110 §8.6）。
  const std::string same = "POST /recommend HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: " +
                           std::to_string(kBody.size()) + "\r\nContent-Length: " + std::to_string(kBody.size()) +
                           "\r\n\r\n" + kBody;
  EXPECT_NE(raw_call(r.port, same).find("HTTP/1.1 200"), std::string::npos);
}

// 畸形的 Content-Length：恰好一个 400 回答（以前状态行与头会发两遍），然后关闭。
TEST_P(HttpHardening, MalformedContentLengthGetsOneAnswer) {
  Running r(opts());
  for (const std::string cl : {"-5", "abc", "18446744073709551616", "1 2", "0x10", ""}) {
    const std::string got =
        raw_call(r.port, "POST /recommend HTTP/1.1\r\nHost: x\r\nContent-Length: " + cl + "\r\n\r\n" + kBody);
    EXPECT_EQ(count_of(got, "HTTP/1.1 "), 1u) << cl << "\n" << got;
    EXPECT_NE(got.find("HTTP/1.1 400"), std::string::npos) << cl << "\n" << got;
    EXPECT_NE(got.find("Content-Length"), std::string::npos) << got;
  }
}

// 块长度溢出是 400，未知的传输编码是 501，各自有回答（以前都没有回答）。
TEST_P(HttpHardening, BadChunkSizeAndUnknownEncodingAreAnswered) {
  Running r(opts());
  std::string got = raw_call(r.port, "POST /recommend HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                     "ffffffffffffffff\r\nabc");
  EXPECT_NE(got.find("HTTP/1.1 400"), std::string::npos) << got;
  EXPECT_NE(got.find("chunk size"), std::string::npos) << got;
  got = raw_call(r.port, "POST /recommend HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: zz\r\n\r\n0\r\n\r\n");
  EXPECT_NE(got.find("HTTP/1.1 501"), std::string::npos) << got;
  got = raw_call(r.port, "POST /recommend HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n");
  EXPECT_NE(got.find("HTTP/1.1 501"), std::string::npos) << got;
}

// 请求体里的 NUL 字节是 400（以前 NUL 之后的内容被忽略）；非 UTF-8 的路径是 404 + 合法 JSON（以前 500）。
TEST_P(HttpHardening, NulInBodyAndNonUtf8Path) {
  Running r(opts());
  const std::string body = kBody + std::string("\0garbage", 8);
  std::string got = raw_call(r.port, "POST /recommend HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: " +
                                         std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_NE(got.find("HTTP/1.1 400"), std::string::npos) << got;
  EXPECT_NE(got.find("NUL byte at offset " + std::to_string(kBody.size())), std::string::npos) << got;
  got = raw_call(r.port, "GET /%ff HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(got.find("HTTP/1.1 404"), std::string::npos) << got;
  const auto j = nlohmann::json::parse(got.substr(got.find("\r\n\r\n") + 4), nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << got;
  EXPECT_TRUE(j.contains("error"));
}

// 请求头过大是 431，HTTP/2 的前言或 HTTP/3.0 是 505，折叠的头行是 400；服务之后照常回答。
TEST_P(HttpHardening, OversizedHeadVersionAndFolding) {
  Running r(opts());
  std::string got = raw_call(r.port, "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n");
  EXPECT_NE(got.find("HTTP/1.1 431"), std::string::npos) << got.substr(0, 200);
  got = raw_call(r.port, "GET /health HTTP/3.0\r\nHost: x\r\n\r\n");
  EXPECT_NE(got.find("HTTP/1.1 505"), std::string::npos) << got;
  got = raw_call(r.port, "GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n");
  EXPECT_NE(got.find("HTTP/1.1 400"), std::string::npos) << got;
  // HTTP/1.0：默认回答后关闭；明说 keep-alive 时保持，回答里也说明。
  const std::string h10 = raw_call(r.port, "GET /health HTTP/1.0\r\n\r\n");
  EXPECT_NE(h10.find("HTTP/1.1 200"), std::string::npos) << h10;
  EXPECT_NE(h10.find("Connection: close"), std::string::npos) << h10;
  const std::string ka = raw_call(r.port, "GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                                          "GET /health HTTP/1.0\r\n\r\n");
  EXPECT_EQ(count_of(ka, "HTTP/1.1 200"), 2u) << ka;
  EXPECT_NE(ka.find("Connection: keep-alive"), std::string::npos) << ka;
}

INSTANTIATE_TEST_SUITE_P(IoModels, HttpHardening, ::testing::Values("threads", "epoll"));

// 解析器本身：逐字节喂入与一次喂入结果相同；各种畸形输入给出预期的状态码。
TEST(HttpWire, HeadAndChunkedParsing) {
  using namespace http;
  RequestHead h;
  size_t used = 0;
  WireError e;
  const std::string req = "\r\nPOST /a%2Fb?x=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\nExpect: 100-Continue\r\n\r\nbody...";
  for (size_t n = 0; n < req.find("body"); ++n)
    ASSERT_EQ(parse_head(std::string_view(req).substr(0, n), 16384, &h, &used, &e), Parse::kNeedMore) << n;
  ASSERT_EQ(parse_head(req, 16384, &h, &used, &e), Parse::kDone) << e.message;
  EXPECT_EQ(used, req.find("body"));
  EXPECT_EQ(h.method, "POST");
  EXPECT_EQ(h.path, "/a/b");
  EXPECT_EQ(h.content_length, 7u);
  EXPECT_TRUE(h.expect_continue);
  EXPECT_TRUE(h.keep_alive);
  auto status_of = [&](const std::string& head) {
    RequestHead hh;
    size_t u = 0;
    WireError ee;
    return parse_head(head, 16384, &hh, &u, &ee) == Parse::kError ? ee.status : 0;
  };
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nContent-Length : 1\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"), 501);
  EXPECT_EQ(status_of("GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nExpect: 200-ok\r\n\r\n"), 417);
  EXPECT_EQ(status_of("GET http://x/ HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET /%zz HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET /%f HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nX: a\x01\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/2.0\r\n\r\n"), 505);
  EXPECT_EQ(status_of("GET  / HTTP/1.1\r\n\r\n"), 400);
  // 错误消息里的请求字节被转义。
  RequestHead hh;
  ASSERT_EQ(parse_head("G\xff\x01T / HTTP/1.1\r\n\r\n", 16384, &hh, &used, &e), Parse::kError);
  EXPECT_NE(e.message.find("\\xff\\x01"), std::string::npos) << e.message;

  // chunked：逐字节与一次喂入结果相同；尾部头被读掉；超限 413；长度溢出 400。
  const std::string body = "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\nNEXT";
  ChunkedDecoder whole;
  std::string out;
  ASSERT_EQ(whole.feed(body, 1000, &out, &used, &e), Parse::kDone) << e.message;
  EXPECT_EQ(out, "hello world");
  EXPECT_EQ(body.substr(used), "NEXT");
  ChunkedDecoder bytewise;
  std::string out2, pending;
  Parse last = Parse::kNeedMore;
  for (char c : body.substr(0, body.size() - 4)) {
    pending.push_back(c);
    last = bytewise.feed(pending, 1000, &out2, &used, &e);
    ASSERT_NE(last, Parse::kError) << e.message;
    pending.erase(0, used);
  }
  EXPECT_EQ(last, Parse::kDone);
  EXPECT_EQ(out2, "hello world");
  ChunkedDecoder big;
  out.clear();
  EXPECT_EQ(big.feed("400\r\n", 100, &out, &used, &e), Parse::kError);
  EXPECT_EQ(e.status, 413);
  ChunkedDecoder overflow;
  EXPECT_EQ(overflow.feed("10000000000000000\r\n", 100, &out, &used, &e), Parse::kError);
  EXPECT_EQ(e.status, 400);
  ChunkedDecoder no_crlf;
  EXPECT_EQ(no_crlf.feed("1\r\nab\r\n", 100, &out, &used, &e), Parse::kError);
  EXPECT_EQ(e.status, 400);
}

}  // namespace
}  // namespace seqrec
