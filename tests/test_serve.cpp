// 端到端测试：用真实的 seqrec 程序训练一个小模型并导出，在回环端口上启动真实的 HTTP 服务，
// 发送合法与非法请求检查响应；并检查 CLI recommend 与服务给出相同答案、损坏的模型目录被拒绝。
#include <gtest/gtest.h>
#include <httplib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "core/error.h"
#include "core/files.h"
#include "data/synthetic.h"
#include "models/registry.h"
#include "serve/http_server.h"
#include "serve/model_bundle.h"
#include "serve/model_slot.h"
#include "serve/recommender.h"
#include "train/trainer.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace seqrec {
namespace {

using test::run_cli;

class ServeE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    model_ = dir_->file("model");
    auto [rc, out] = test::train_tiny(*dir_, 150, 80, 5, 12, model_, "--epochs 2");
    ASSERT_EQ(rc, 0) << out;
    train_output_ = new std::string(out);
    slot_ = new ModelSlot(model_, [](const std::string& d) { return std::shared_ptr<const ModelBundle>(ModelBundle::load(d)); });
    ASSERT_TRUE(slot_->reload_now().ok);
    bundle_ = slot_->current().get();
    ServeOptions o;
    o.port = 0;
    o.threads = 16;
    o.max_body_bytes = 4096;
    server_ = new HttpServer(*slot_, o);
    port_ = server_->bind();
    thread_ = new std::thread([] { server_->serve(); });
  }
  static void TearDownTestSuite() {
    server_->stop();
    thread_->join();
    delete thread_;
    delete server_;
    delete slot_;
    delete train_output_;
    delete dir_;
  }
  // 发送 POST /recommend，返回（状态码，JSON）。
  static std::pair<int, nlohmann::json> post(const std::string& body) {
    httplib::Client cli("127.0.0.1", port_);
    auto res = cli.Post("/recommend", body, "application/json");
    if (!res) return {-1, {}};
    auto j = nlohmann::json::parse(res->body, nullptr, false);
    return {res->status, j};
  }
  // 断言请求被拒绝为 400，且错误消息提到 field。
  static void expect_bad(const std::string& body, const std::string& field) {
    auto [status, j] = post(body);
    EXPECT_EQ(status, 400) << body;
    ASSERT_TRUE(j.is_object() && j.contains("error")) << body;
    EXPECT_NE(j["error"].get<std::string>().find(field), std::string::npos) << j.dump();
  }

  static test::TempDir* dir_;
  static std::string model_;
  static std::string* train_output_;
  static ModelSlot* slot_;
  static const ModelBundle* bundle_;
  static HttpServer* server_;
  static std::thread* thread_;
  static int port_;
};

test::TempDir* ServeE2E::dir_ = nullptr;
std::string ServeE2E::model_;
std::string* ServeE2E::train_output_ = nullptr;
ModelSlot* ServeE2E::slot_ = nullptr;
const ModelBundle* ServeE2E::bundle_ = nullptr;
HttpServer* ServeE2E::server_ = nullptr;
std::thread* ServeE2E::thread_ = nullptr;
int ServeE2E::port_ = 0;

TEST_F(ServeE2E, TrainPrintsModelAndBaselineAndWritesArtifacts) {
  EXPECT_NE(train_output_->find("most-popular"), std::string::npos);
  EXPECT_NE(train_output_->find("NDCG@10"), std::string::npos);
  for (const char* f : {"model.safetensors", "item_embeddings.npy", "user_map.json", "item_map.json", "manifest.json",
                        "popularity.json", "train_log.jsonl", "queries.npy"})
    EXPECT_TRUE(fs::exists(model_ + "/" + f)) << f;
  auto m = nlohmann::json::parse(read_file(model_ + "/manifest.json"));
  EXPECT_EQ(m["model"]["dim"], 16);
  EXPECT_EQ(m["training"]["epochs"], 2);
  EXPECT_EQ(m["training"]["user_dropout"], 0.1);  // long_short 的清单记下它专有的选项
  EXPECT_TRUE(m["metrics"]["valid"]["model"].contains("NDCG@10"));
  EXPECT_EQ(m["files"]["item_embeddings.npy"]["sha256"].get<std::string>().size(), 64u);
  // 目录旁没有残留的临时目录。
  for (auto& e : fs::directory_iterator(dir_->path()))
    EXPECT_EQ(e.path().filename().string().find(".model.staging"), std::string::npos);
}

TEST_F(ServeE2E, Health) {
  httplib::Client cli("127.0.0.1", port_);
  auto res = cli.Get("/health");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(nlohmann::json::parse(res->body)["status"], "ok");
}

TEST_F(ServeE2E, RecommendKnownUser) {
  const std::string user = bundle_->users.id(3);
  const std::string c1 = bundle_->items.id(1), c2 = bundle_->items.id(2);
  auto [status, j] = post(nlohmann::json{{"user_id", user}, {"recent_clicks", {c1, c2}}, {"top_k", 7}}.dump());
  ASSERT_EQ(status, 200) << j.dump();
  ASSERT_EQ(j["recommended_item_ids"].size(), 7u);
  ASSERT_EQ(j["scores"].size(), 7u);
  EXPECT_EQ(j["strategy"], "model");
  EXPECT_EQ(j["user_known"], true);
  for (size_t i = 1; i < 7; ++i) EXPECT_GE(j["scores"][i - 1].get<double>(), j["scores"][i].get<double>());
  for (const auto& s : j["scores"]) EXPECT_LE(std::abs(s.get<double>()), 1.0 + 1e-5);  // 余弦相似度
  std::set<std::string> uniq;
  for (const auto& id : j["recommended_item_ids"]) {
    EXPECT_GE(bundle_->items.find(id.get<std::string>()), 0);
    uniq.insert(id.get<std::string>());
  }
  EXPECT_EQ(uniq.size(), 7u);
}

TEST_F(ServeE2E, ExcludeClickedAndUnknownClicks) {
  std::vector<std::string> clicks;
  for (int i = 0; i < 5; ++i) clicks.push_back(bundle_->items.id(i));
  clicks.push_back("no-such-item");
  auto [status, j] = post(nlohmann::json{{"user_id", bundle_->users.id(0)}, {"recent_clicks", clicks},
                                         {"top_k", 20}, {"exclude_clicked", true}}.dump());
  ASSERT_EQ(status, 200);
  EXPECT_EQ(j["recommended_item_ids"].size(), 20u);
  for (const auto& id : j["recommended_item_ids"])
    EXPECT_EQ(std::find(clicks.begin(), clicks.end(), id.get<std::string>()), clicks.end());
  EXPECT_EQ(j["unknown_clicks"], nlohmann::json::array({"no-such-item"}));
}

TEST_F(ServeE2E, ColdStartCases) {
  // 未知用户、无已知点击：最热门，并标注。
  auto [s1, j1] = post(R"({"user_id": "stranger", "recent_clicks": ["nope"], "top_k": 5})");
  ASSERT_EQ(s1, 200);
  EXPECT_EQ(j1["strategy"], "most_popular");
  EXPECT_EQ(j1["user_known"], false);
  EXPECT_EQ(j1["recommended_item_ids"][0], bundle_->items.id(bundle_->popular[0]));
  // 未知用户但有点击：只用短期兴趣。
  auto [s2, j2] = post(nlohmann::json{{"user_id", nullptr}, {"recent_clicks", {bundle_->items.id(4)}}}.dump());
  ASSERT_EQ(s2, 200);
  EXPECT_EQ(j2["strategy"], "model");
  EXPECT_EQ(j2["recommended_item_ids"].size(), 10u);  // top_k 默认 10
  // 已知用户、没有点击：只用长期兴趣。
  auto [s3, j3] = post(nlohmann::json{{"user_id", bundle_->users.id(5)}, {"recent_clicks", nlohmann::json::array()}}.dump());
  ASSERT_EQ(s3, 200);
  EXPECT_EQ(j3["strategy"], "model");
  // 整数形式的物品 ID 也被接受（合成数据的物品 ID 是数字）。
  auto [s4, j4] = post(R"({"user_id": 12345, "recent_clicks": [1, 2, 3], "top_k": 3})");
  ASSERT_EQ(s4, 200);
  EXPECT_TRUE(j4["unknown_clicks"].empty());
}

// 不认识的字段是 400：指明字段并给出最接近的已知字段（拼错的与别处的叫法），批量请求与重载请求同样。
TEST_F(ServeE2E, UnknownFieldsAre400WithSuggestion) {
  expect_bad(R"({"user_id": "u1", "recent_clicks": [], "topk": 3})", R"(unknown field "topk" (did you mean "top_k"?))");
  expect_bad(R"({"user_id": "u1", "recent_clicks": ["3"], "exclude_seen": true})",
             R"(unknown field "exclude_seen" (did you mean "exclude_clicked"?))");
  expect_bad(R"({"user_id": "u1", "recent_clicks": [], "colour": "red"})", R"(unknown field "colour"; a request has user_id)");
  auto [status, j] = post(R"({"user_id": "u1", "recent_clicks": [], "topk": 3})");
  EXPECT_EQ(j.value("field", ""), "topk") << j.dump();
  httplib::Client cli("127.0.0.1", port_);
  auto r = cli.Post("/recommend/batch", R"({"requests": [{"user_id": null, "recent_clicks": [], "k": 2}]})",
                    "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("requests[0]"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("did you mean \\\"top_k\\\""), std::string::npos) << r->body;
  r = cli.Post("/recommend/batch", R"({"request": []})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("did you mean \\\"requests\\\""), std::string::npos) << r->body;
}

// 每个答案说明得分是什么：long_short 模型是余弦，最热门回退是训练次数。
TEST_F(ServeE2E, ScoreTypeSaysWhatScoresAre) {
  auto [s1, model] = post(R"({"user_id": "u1", "recent_clicks": []})");
  ASSERT_EQ(s1, 200) << model.dump();
  EXPECT_EQ(model.value("strategy", ""), "model");
  EXPECT_EQ(model.value("score_type", ""), "cosine");
  auto [s2, cold] = post(R"({"user_id": null, "recent_clicks": []})");
  ASSERT_EQ(s2, 200) << cold.dump();
  EXPECT_EQ(cold.value("strategy", ""), "most_popular");
  EXPECT_EQ(cold.value("score_type", ""), "popularity");
}

TEST_F(ServeE2E, BadRequestsAre400WithField) {
  expect_bad("{not json", "JSON");
  expect_bad("[1,2]", "object");
  expect_bad(R"({"recent_clicks": []})", "user_id");
  expect_bad(R"({"user_id": "u1"})", "recent_clicks");
  expect_bad(R"({"user_id": [1], "recent_clicks": []})", "user_id");
  expect_bad(R"({"user_id": "u1", "recent_clicks": "a,b"})", "recent_clicks");
  expect_bad(R"({"user_id": "u1", "recent_clicks": ["a", 1.5]})", "recent_clicks[1]");
  expect_bad(R"({"user_id": "u1", "recent_clicks": [], "top_k": "10"})", "top_k");
  expect_bad(R"({"user_id": "u1", "recent_clicks": [], "top_k": 0})", "top_k");
  expect_bad(R"({"user_id": "u1", "recent_clicks": [], "top_k": -3})", "top_k");
  expect_bad(R"({"user_id": "u1", "recent_clicks": [], "top_k": 1001})", "top_k");
  expect_bad(R"({"user_id": "u1", "recent_clicks": [], "top_k": 99999999999999999999})", "top_k");
  expect_bad(R"({"user_id": "u1", "recent_clicks": [], "exclude_clicked": 1})", "exclude_clicked");
  // 过大的请求体：413 + JSON 说明。
  std::string big = R"({"user_id": "u1", "recent_clicks": [")" + std::string(5000, 'x') + R"("]})";
  auto [s, j] = post(big);
  EXPECT_EQ(s, 413);
  EXPECT_TRUE(j.contains("error"));
  // 未知路由：404 + JSON。
  httplib::Client cli("127.0.0.1", port_);
  auto r = cli.Get("/nope");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_TRUE(nlohmann::json::parse(r->body).contains("error"));
  // 服务仍然正常。
  EXPECT_EQ(post(R"({"user_id": "u1", "recent_clicks": []})").first, 200);
}

// 在一个原始 TCP 连接上发送 raw，读到对端关闭或超时为止，返回收到的全部字节。
std::string raw_exchange(int port, const std::string& raw) { return test::raw_read_all(test::raw_open(port, raw, 2)); }

// 数出现次数。
size_t count_of(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

// HTTP/1.1 的细节：流水线请求按序回答、分块上传、HEAD、方法不对时 405、Connection: close 生效。
void check_http11(int port_) {
  const std::string body = R"({"user_id": null, "recent_clicks": [], "top_k": 3})";
  const std::string one = "POST /recommend HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n" + body;
  const std::string got = raw_exchange(port_, one + one + "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(count_of(got, "HTTP/1.1 200"), 3u) << got;
  EXPECT_EQ(count_of(got, "recommended_item_ids"), 2u) << got;
  EXPECT_EQ(count_of(got, "\"status\":\"ok\""), 1u) << got;

  // 分块上传（没有 Content-Length）。
  std::string chunked = "POST /recommend HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
  const std::string half1 = body.substr(0, 10), half2 = body.substr(10);
  char hex[16];
  std::snprintf(hex, sizeof hex, "%zx", half1.size());
  chunked += std::string(hex) + "\r\n" + half1 + "\r\n";
  std::snprintf(hex, sizeof hex, "%zx", half2.size());
  chunked += std::string(hex) + "\r\n" + half2 + "\r\n0\r\n\r\n";
  const std::string got2 = raw_exchange(port_, chunked);
  EXPECT_NE(got2.find("HTTP/1.1 200"), std::string::npos) << got2;
  EXPECT_NE(got2.find("recommended_item_ids"), std::string::npos) << got2;

  // 分块上传超过上限：读完后 413。
  std::string big = "POST /recommend HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
  for (int i = 0; i < 5; ++i) big += "400\r\n" + std::string(0x400, ' ') + "\r\n";
  big += "0\r\n\r\n";
  EXPECT_NE(raw_exchange(port_, big).find("HTTP/1.1 413"), std::string::npos);

  // 方法不对：405 + Allow；HEAD /health 只有头。
  const std::string got3 = raw_exchange(port_, "GET /recommend HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(got3.find("HTTP/1.1 405"), std::string::npos) << got3;
  EXPECT_NE(got3.find("Allow: POST"), std::string::npos) << got3;
  const std::string got4 = raw_exchange(port_, "HEAD /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(got4.find("HTTP/1.1 200"), std::string::npos) << got4;
  EXPECT_EQ(got4.find("\"status\""), std::string::npos) << got4;

  // 乱码请求行：连接被拒绝或得到 4xx，服务继续工作。
  const std::string got5 = raw_exchange(port_, "\x01\x02garbage\r\n\r\n");
  EXPECT_EQ(got5.find("HTTP/1.1 2"), std::string::npos) << got5;
  EXPECT_NE(raw_exchange(port_, one.substr(0, one.find("POST")) + "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .find("HTTP/1.1 200"),
            std::string::npos);
}

TEST_F(ServeE2E, Http11PipeliningChunkedAndMethods) { check_http11(port_); }

// 同样的检查，换成 epoll 事件循环模型（--io epoll）。
TEST_F(ServeE2E, EpollModelBehavesTheSame) {
  ServeOptions o;
  o.port = 0;
  o.io = "epoll";
  o.threads = 2;
  o.max_body_bytes = 4096;
  HttpServer s(*slot_, o);
  const int port = s.bind();
  std::thread t([&] { s.serve(); });
  check_http11(port);
  httplib::Client cli("127.0.0.1", port);
  auto r = cli.Post("/recommend", R"({"user_id": "u1", "recent_clicks": [], "top_k": 0})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  s.stop();
  t.join();
}

TEST_F(ServeE2E, ConcurrentRequestsAgree) {
  const std::string body = nlohmann::json{{"user_id", bundle_->users.id(2)},
                                          {"recent_clicks", {bundle_->items.id(7), bundle_->items.id(9)}},
                                          {"top_k", 10}}.dump();
  const auto expected = post(body).second;
  std::atomic<int> bad{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 8; ++t)
    ts.emplace_back([&] {
      httplib::Client cli("127.0.0.1", port_);
      for (int i = 0; i < 40; ++i) {
        auto res = cli.Post("/recommend", body, "application/json");
        if (!res || res->status != 200 || nlohmann::json::parse(res->body) != expected) ++bad;
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST_F(ServeE2E, CliRecommendMatchesService) {
  const std::string user = bundle_->users.id(4);
  const std::string a = bundle_->items.id(3), b = bundle_->items.id(8);
  auto [rc, out] = run_cli("recommend --model " + model_ + " --user " + user + " --clicks " + a + "," + b +
                           ",unknown-x -k 6 --exclude-clicked");
  ASSERT_EQ(rc, 0) << out;
  auto cli_json = nlohmann::json::parse(out);
  auto [status, http_json] = post(nlohmann::json{{"user_id", user}, {"recent_clicks", {a, b, "unknown-x"}},
                                                 {"top_k", 6}, {"exclude_clicked", true}}.dump());
  ASSERT_EQ(status, 200);
  EXPECT_EQ(cli_json, http_json);
  auto [rc2, out2] = run_cli("recommend --model " + model_ + " -k 0");
  EXPECT_NE(rc2, 0);
  EXPECT_NE(out2.find("top_k"), std::string::npos);
}

TEST_F(ServeE2E, EvalReportsModelAndBaseline) {
  auto [rc, out] = run_cli("eval --model " + model_ + " --ks 1,10");
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("most-popular"), std::string::npos);
  EXPECT_NE(out.find("NDCG@10"), std::string::npos);
  // stdout 只有 JSON（日志如 "data: read from cache" 在 stderr）：只取 stdout 解析。
  auto [rc2, out2] = run_cli("eval --model " + model_ + " --json", true);
  ASSERT_EQ(rc2, 0) << out2;
  auto j = nlohmann::json::parse(out2);
  EXPECT_TRUE(j["model"].contains("MRR@50"));
  EXPECT_EQ(j["model"]["cases"], bundle_->users.size());
  EXPECT_EQ(j["protocol"]["candidates"], "full");
  EXPECT_FALSE(j["eval_commit"].get<std::string>().empty());
  // 采样协议：HR@10 不低于全量协议（候选更少）
  auto [rc3, out3] = run_cli("eval --model " + model_ + " --json --protocol sampled --negatives 20", true);
  ASSERT_EQ(rc3, 0) << out3;
  auto js = nlohmann::json::parse(out3);
  EXPECT_EQ(js["protocol"]["negatives"], 20);
  EXPECT_GE(js["model"]["HR@10"].get<double>(), j["model"]["HR@10"].get<double>());
}

TEST_F(ServeE2E, CorruptOrIncompleteModelIsRefused) {
  test::TempDir d;
  const std::string copy = d.file("m");
  fs::copy(model_, copy);
  {
    std::fstream f(copy + "/item_embeddings.npy", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(200);
    f.put('\x7f');
  }
  try {
    ModelBundle::load(copy);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("corrupt"), std::string::npos) << e.what();
  }
  auto [rc, out] = run_cli("serve --model " + copy + " --port 0");
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out.find("item_embeddings.npy"), std::string::npos) << out;
  fs::remove(copy + "/item_embeddings.npy");
  EXPECT_THROW(ModelBundle::load(copy), Error);
  fs::remove(copy + "/manifest.json");
  EXPECT_THROW(ModelBundle::load(copy), Error);
}

// train 的帮助里每个按模型而定的默认值都与 TrainOptions::defaults_for 一致：
// 解析 "[基值; 模型/模型 值; ...]"，未列出的模型取基值，逐个模型与代码中的默认值比较。
TEST(Cli, TrainHelpGivesEachModelsDefaults) {
  auto [rc, help] = run_cli("train --help", true);
  ASSERT_EQ(rc, 0) << help;
  const std::vector<std::string> kModels = model_kind_names();  // 模型表中的全部模型
  // 取某个选项说明末尾方括号里的默认值，按模型展开。
  auto defaults_in_help = [&help = help, &kModels](const std::string& flag) {
    std::map<std::string, std::string> by_model;
    const size_t at = help.find("  " + flag + " ");
    EXPECT_NE(at, std::string::npos) << flag;
    if (at == std::string::npos) return by_model;
    // 说明可能折到下一行：取到下一个选项为止。
    const std::string line = help.substr(at, help.find("\n  -", at + 1) - at);
    const size_t open = line.rfind('['), close = line.rfind(']');
    EXPECT_TRUE(open != std::string::npos && close > open) << line;
    if (open == std::string::npos || close < open) return by_model;
    std::string base;
    std::istringstream parts(line.substr(open + 1, close - open - 1));
    for (std::string part; std::getline(parts, part, ';');) {
      if (!part.empty() && part[0] == ' ') part.erase(0, 1);
      const size_t sp = part.find(' ');
      if (base.empty()) {
        base = part;
        continue;
      }
      std::istringstream models(part.substr(0, sp));
      for (std::string m; std::getline(models, m, '/');) by_model[m] = part.substr(sp + 1);
    }
    for (const auto& m : kModels) by_model.emplace(m, base);
    return by_model;
  };
  auto str = [](auto v) {
    std::ostringstream os;
    os << v;
    return os.str();
  };
  for (const auto& m : kModels) {
    const ModelConfig c = ModelConfig::defaults_for(m);
    EXPECT_EQ(defaults_in_help("--dim")[m], str(c.dim)) << m;
    EXPECT_EQ(defaults_in_help("--layers")[m], str(c.layers)) << m;
    EXPECT_EQ(defaults_in_help("--max-len")[m], str(c.max_len)) << m;
    const TrainOptions o = TrainOptions::defaults_for(m);
    EXPECT_EQ(defaults_in_help("--epochs")[m], str(o.epochs)) << m;
    EXPECT_EQ(defaults_in_help("--batch")[m], str(o.batch_size)) << m;
    EXPECT_EQ(defaults_in_help("--lr")[m], str(o.lr)) << m;
    EXPECT_EQ(defaults_in_help("--beta2")[m], str(o.beta2)) << m;
    EXPECT_EQ(defaults_in_help("--dropout")[m], str(o.dropout)) << m;
    EXPECT_EQ(defaults_in_help("--eval-every")[m], str(o.eval_every)) << m;
    EXPECT_EQ(defaults_in_help("--patience")[m], str(o.patience)) << m;
    EXPECT_EQ(defaults_in_help("--loss")[m], o.loss) << m;
  }
}

// 同一个选项给了两次：取最后一次，而不是报解析错误。
TEST(Cli, RepeatedOptionTakesTheLast) {
  // 最后一次是非法值：报的是这个值的错
  auto [rc, out] = run_cli("train --epochs 3 --epochs 0 --out /tmp/never");
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("--epochs"), std::string::npos) << out;
  EXPECT_EQ(out.find("At Most"), std::string::npos) << out;
  // 最后一次合法：越过选项检查，停在（不存在的）数据文件上
  auto [rc2, out2] = run_cli("train --epochs 0 --epochs 1 --data /nonexistent/ratings.csv --out /tmp/never");
  EXPECT_EQ(rc2, 1) << out2;
  EXPECT_NE(out2.find("/nonexistent/ratings.csv"), std::string::npos) << out2;
  EXPECT_FALSE(fs::exists("/tmp/never"));
}

TEST(Cli, BadInputGivesClearErrors) {
  auto [rc, out] = run_cli("train --data /nonexistent/ratings.csv --out /tmp/never");
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out.find("/nonexistent/ratings.csv"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists("/tmp/never"));
  auto [rc2, out2] = run_cli("train --epochs 0 --out /tmp/never");
  EXPECT_EQ(rc2, 1);
  EXPECT_NE(out2.find("--epochs"), std::string::npos) << out2;
  auto [rc3, out3] = run_cli("train --heads 3 --out /tmp/never");
  EXPECT_EQ(rc3, 1);
  EXPECT_NE(out3.find("--heads"), std::string::npos) << out3;
  write_file_atomic("/tmp/seqrec-test-not-a-dir", "keep");
  auto [rc6, out6] = run_cli("train --out /tmp/seqrec-test-not-a-dir");
  EXPECT_EQ(rc6, 1);
  EXPECT_NE(out6.find("not a directory"), std::string::npos) << out6;
  EXPECT_EQ(read_file("/tmp/seqrec-test-not-a-dir"), "keep");
  std::remove("/tmp/seqrec-test-not-a-dir");
  auto [rc4, out4] = run_cli("serve --model /nonexistent --port 0");
  EXPECT_EQ(rc4, 1);
  EXPECT_NE(out4.find("does not exist"), std::string::npos) << out4;
  test::TempDir d;
  write_file_atomic(d.file("bad.csv"), "user_id,item_id,timestamp\nu,i,1\nu,j,soon\n");
  auto [rc5, out5] = run_cli("train --data " + d.file("bad.csv") + " --out " + d.file("m"));
  EXPECT_EQ(rc5, 1);
  EXPECT_NE(out5.find("bad.csv:3"), std::string::npos) << out5;
  EXPECT_FALSE(fs::exists(d.file("m")));
}

}  // namespace
}  // namespace seqrec
