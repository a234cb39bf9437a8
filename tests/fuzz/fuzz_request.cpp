// libFuzzer 目标：请求解析与处理的整条路径（路由、方法、请求体 → HttpServer::handle → 推荐 / 批量 / 健康 /
// 指标 / 管理路由）。模型目录由环境变量 SEQREC_FUZZ_MODEL 给出（bench/fuzz.sh 先训练一个小模型）。
//
// 输入格式：第 1 个字节选路由与方法，第 2 个字节选是否带管理令牌，其余是请求体。任何崩溃、
// ASan/UBSan 报告，或者 500（说明有未预料的异常）都算失败。
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "serve/http_server.h"
#include "serve/model_bundle.h"
#include "serve/model_slot.h"
#include "serve/recommender.h"

using namespace seqrec;

namespace {

ModelSlot* g_slot = nullptr;
HttpServer* g_server = nullptr;

// 可选的路由（含未知路由与奇怪的路径）与方法。
const char* kUrls[] = {"/recommend", "/recommend/batch", "/health", "/health/live", "/health/ready",
                       "/metrics", "/admin/reload", "/admin/status", "/", "/recommend/", "/%00", ""};
const char* kMethods[] = {"POST", "GET", "HEAD", "PUT", "DELETE", "OPTIONS"};

}  // namespace

// 加载模型（一次）并建立服务对象（不监听端口，直接调用 handle）。模糊输入里的 reload 请求会指向任意路径：
// 这些目录多半不存在或不是模型目录（→ 422，旧模型继续服务），空请求体则重新加载同一个目录。
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  const char* dir = std::getenv("SEQREC_FUZZ_MODEL");
  if (!dir) {
    std::fprintf(stderr, "set SEQREC_FUZZ_MODEL to a model directory (bench/fuzz.sh does)\n");
    std::abort();
  }
  g_slot = new ModelSlot(dir, [](const std::string& d) { return std::shared_ptr<const ModelBundle>(ModelBundle::load(d)); });
  if (!g_slot->reload_now().ok) {
    std::fprintf(stderr, "cannot load %s\n", dir);
    std::abort();
  }
  ServeOptions o;
  o.admin_token = "fuzz-token";
  o.request_timeout_ms = 0;  // 检测工具下很慢，不让时限产生 503
  o.max_batch = 64;
  g_server = new HttpServer(*g_slot, o);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  HttpRequest req;
  const uint8_t sel = data[0];
  req.url = kUrls[(sel & 0x0f) % (sizeof kUrls / sizeof kUrls[0])];
  req.method = kMethods[(sel >> 4) % (sizeof kMethods / sizeof kMethods[0])];
  if (data[1] & 1) req.authorization = "Bearer fuzz-token";
  else if (data[1] & 2) req.authorization = "Bearer fuzz-tokeN";
  req.body.assign(reinterpret_cast<const char*>(data + 2), size - 2);
  const HttpResponse res = g_server->handle(req);
  if (res.status == 500) {
    std::fprintf(stderr, "500 for %s %s: %s\n", req.method.c_str(), req.url.c_str(), res.body.c_str());
    std::abort();
  }
  if (res.status == 202) g_slot->wait();  // 不留下后台加载线程
  return 0;
}
