// 模型目录与训练输出的加固：只读普通文件（FIFO、指向 /dev/zero 的链接不会让加载卡住）、manifest 列出的
// 文件不能在目录之外、先比大小再算哈希、错误消息不回显文件内容与哈希、映射文件有大小上限且流式解析、
// NaN 权重加载与导出都被拒绝、加载有时限且不挡住停机与后续热加载；`train --out` 不删除不属于它的文件、
// 写不进去时在读数据之前就报错、发布是一步原子交换、残留的临时目录与文件在下次运行时清理。
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/error.h"
#include "core/files.h"
#include "core/manifest.h"
#include "core/npy.h"
#include "core/safetensors.h"
#include "serve/http_server.h"
#include "serve/model_bundle.h"
#include "serve/model_slot.h"
#include "test_util.h"
#include "train/exporter.h"

namespace fs = std::filesystem;

namespace seqrec {
namespace {

// 改写 manifest 的 files 表。
void edit_files(const std::string& dir, const std::function<void(nlohmann::json&)>& f) {
  nlohmann::json m = nlohmann::json::parse(read_file(dir + "/manifest.json"));
  f(m["files"]);
  write_file_atomic(dir + "/manifest.json", m.dump(2));
}

// 改写模型目录里的文件后，把 manifest 里它的 sha256 与大小更新成新内容的（模拟“校验和一致的坏文件”）。
void refresh_checksum(const std::string& dir, const std::string& file) {
  edit_files(dir, [&](nlohmann::json& f) { f[file] = file_checksums(dir, {file})[file]; });
}

// 加载 dir，返回错误消息（加载成功时为空）与耗时。
std::pair<std::string, double> load_error(const std::string& dir) {
  const double t0 = now_seconds();
  try {
    ModelBundle::load(dir);
  } catch (const std::exception& e) {
    return {e.what(), now_seconds() - t0};
  }
  return {"", now_seconds() - t0};
}

class ModelDirHardening : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    auto [rc, out] = test::train_tiny(*dir_, 80, 40, 4, 8, dir_->file("base"));
    ASSERT_EQ(rc, 0) << out;
  }
  static void TearDownTestSuite() { delete dir_; }
  // 复制一份训练好的模型，供测试改坏。
  static std::string copy_model(const std::string& name) {
    const std::string to = dir_->file(name);
    fs::remove_all(to);
    fs::copy(dir_->file("base"), to, fs::copy_options::recursive);
    return to;
  }
  static test::TempDir* dir_;
};
test::TempDir* ModelDirHardening::dir_ = nullptr;

// FIFO、指向设备的链接：立即拒绝并说明是什么，而不是卡住（以前 recommend 卡住、serve 空转 100% CPU）。
TEST_F(ModelDirHardening, SpecialFilesAreRefusedAtOnce) {
  const std::string zero = copy_model("zero");
  fs::remove(zero + "/item_map.json");
  fs::create_symlink("/dev/zero", zero + "/item_map.json");
  auto [e1, t1] = load_error(zero);
  EXPECT_NE(e1.find("symbolic link that leaves the model directory"), std::string::npos) << e1;
  EXPECT_LT(t1, 2.0);

  const std::string fifo = copy_model("fifo");
  fs::remove(fifo + "/user_map.json");
  ASSERT_EQ(::mkfifo((fifo + "/user_map.json").c_str(), 0644), 0);
  auto [e2, t2] = load_error(fifo);
  EXPECT_NE(e2.find("is a FIFO, expected a regular file"), std::string::npos) << e2;
  EXPECT_LT(t2, 2.0);
  // 命令行同样立即失败（以前一直卡住）。
  auto [rc, out] = test::run_cli("recommend --model " + fifo + " --clicks 1 -k 3", false, 30);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("FIFO"), std::string::npos) << out;

  // 目录之内的符号链接照常可用。
  const std::string inside = copy_model("inside");
  fs::rename(inside + "/item_map.json", inside + "/item_map.real");
  fs::create_symlink("item_map.real", inside + "/item_map.json");
  EXPECT_EQ(load_error(inside).first, "");

  // 运行中的服务：热加载到坏目录立即失败（422），之后的热加载照常（以前之后全是 409）。
  ModelSlot slot(dir_->file("base"), [](const std::string& d) { return std::shared_ptr<const ModelBundle>(ModelBundle::load(d)); }, 5);
  ASSERT_TRUE(slot.reload_now().ok);
  ServeOptions o;
  o.admin_token = "tok";
  HttpServer server(slot, o);
  auto reload = [&](const std::string& d) {
    HttpRequest r;
    r.method = "POST";
    r.url = "/admin/reload";
    r.authorization = "Bearer tok";
    r.body = nlohmann::json{{"model_dir", d}}.dump();
    r.start = now_seconds();
    return server.handle(r);
  };
  EXPECT_EQ(reload(fifo).status, 422);
  EXPECT_EQ(reload(zero).status, 422);
  EXPECT_EQ(reload(dir_->file("base")).status, 200);
}

// manifest 里的文件名只能是目录里的普通名字；错误回答里没有目录外文件的内容或哈希。
TEST_F(ModelDirHardening, ManifestNamesStayInsideTheDirectory) {
  const std::string m = copy_model("names");
  const std::string passwd_sha = sha256_file("/etc/passwd");
  for (const std::string bad : {"/etc/passwd", "../../../../etc/passwd", "sub/x", ".", ".."}) {
    edit_files(m, [&](nlohmann::json& f) { f[bad] = {{"sha256", std::string(64, '0')}, {"bytes", 1}}; });
    auto [e, t] = load_error(m);
    EXPECT_NE(e.find("only plain file names inside the model directory"), std::string::npos) << bad << ": " << e;
    EXPECT_EQ(e.find(passwd_sha), std::string::npos);
    edit_files(m, [&](nlohmann::json& f) { f.erase(bad); });
  }
  // 指向目录之外的符号链接，即使 manifest 的哈希与它一致。
  fs::create_symlink("/etc/passwd", m + "/extra.txt");
  edit_files(m, [&](nlohmann::json& f) { f["extra.txt"] = {{"sha256", passwd_sha}, {"bytes", fs::file_size("/etc/passwd")}}; });
  EXPECT_NE(load_error(m).first.find("leaves the model directory"), std::string::npos);
  // 通过 /admin/reload：422 的回答体里既没有哈希，也没有文件内容。
  ModelSlot slot(dir_->file("base"), [](const std::string& d) { return std::shared_ptr<const ModelBundle>(ModelBundle::load(d)); });
  ASSERT_TRUE(slot.reload_now().ok);
  ServeOptions o;
  o.admin_token = "tok";
  HttpServer server(slot, o);
  HttpRequest r;
  r.method = "POST";
  r.url = "/admin/reload";
  r.authorization = "Bearer tok";
  r.body = nlohmann::json{{"model_dir", m}}.dump();
  const HttpResponse res = server.handle(r);
  EXPECT_EQ(res.status, 422);
  EXPECT_EQ(res.body.find(passwd_sha), std::string::npos) << res.body;
  EXPECT_EQ(res.body.find("root:"), std::string::npos) << res.body;
  // 内容被改坏的文件：消息说哈希不符，但不给出算出的哈希。
  const std::string c = copy_model("corrupt");
  std::fstream f(c + "/popularity.json", std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(2);
  f.put('#');
  f.close();
  const std::string got_sha = sha256_file(c + "/popularity.json");
  auto [e, t] = load_error(c);
  EXPECT_NE(e.find("sha256 does not match manifest.json"), std::string::npos) << e;
  EXPECT_EQ(e.find(got_sha), std::string::npos) << e;
}

// 先比大小再算哈希：大小不符时不读文件。
TEST_F(ModelDirHardening, SizeIsCheckedBeforeHashing) {
  const std::string m = copy_model("size");
  edit_files(m, [](nlohmann::json& f) { f["item_embeddings.npy"]["bytes"] = 5; });
  auto [e, t] = load_error(m);
  EXPECT_NE(e.find("bytes; manifest.json says 5"), std::string::npos) << e;
  edit_files(m, [](nlohmann::json& f) { f["item_embeddings.npy"].erase("bytes"); });
  EXPECT_NE(load_error(m).first.find("has no byte count"), std::string::npos);
}

// 映射文件：大小上限按条数计（超出不读），嵌套与多余的条目在流式解析中立即报错；校验和都一致。
TEST_F(ModelDirHardening, MapFilesAreBoundedAndStreamed) {
  const std::string m = copy_model("bigmap");
  {
    std::ofstream out(m + "/item_map.json");
    out << std::string(25 << 20, '[') << std::string(25 << 20, ']');
  }
  refresh_checksum(m, "item_map.json");
  auto [e, t] = load_error(m);
  EXPECT_NE(e.find("allowed for it"), std::string::npos) << e.substr(0, 300);
  EXPECT_LT(t, 5.0);
  write_file_atomic(m + "/item_map.json", R"({"a": {"b": 1}})");
  refresh_checksum(m, "item_map.json");
  EXPECT_NE(load_error(m).first.find("entry 1 has an object"), std::string::npos);
  write_file_atomic(m + "/item_map.json", std::string(2000, '['));
  refresh_checksum(m, "item_map.json");
  EXPECT_NE(load_error(m).first.find("expected a JSON object"), std::string::npos);
  // 比模型的物品多：读到第 N+1 条就停。
  std::string many = "{";
  for (int i = 0; i < 41; ++i) many += (i ? ",\"" : "\"") + std::to_string(i) + "\":" + std::to_string(i);
  write_file_atomic(m + "/item_map.json", many + "}");
  refresh_checksum(m, "item_map.json");
  const std::string e3 = load_error(m).first;
  EXPECT_NE(e3.find("more than the 40 entries"), std::string::npos) << e3;
  // 不是 JSON：说明位置，不回显内容。
  write_file_atomic(m + "/item_map.json", "{\"x\": secret-bytes}");
  refresh_checksum(m, "item_map.json");
  const std::string e4 = load_error(m).first;
  EXPECT_NE(e4.find("not valid JSON"), std::string::npos) << e4;
  EXPECT_EQ(e4.find("secret"), std::string::npos) << e4;
}

// NaN / 无穷的权重与物品向量：加载时拒绝（以前加载后回答空列表）；训练出这样的权重时不导出。
TEST_F(ModelDirHardening, NonFiniteWeightsAreRefused) {
  const std::string m = copy_model("nan_emb");
  Matrix emb = npy_load(m + "/item_embeddings.npy");
  emb.data[3] = std::nanf("");
  npy_save(m + "/item_embeddings.npy", emb);
  refresh_checksum(m, "item_embeddings.npy");
  EXPECT_NE(load_error(m).first.find("NaN or infinite"), std::string::npos);

  const std::string w = copy_model("nan_weights");
  TensorMap t = safetensors_decode(read_file(w + "/model.safetensors"), "w");
  t.begin()->second.data[0] = INFINITY;
  write_file_atomic(w + "/model.safetensors", safetensors_encode(t));
  refresh_checksum(w, "model.safetensors");
  const std::string e = load_error(w).first;
  EXPECT_NE(e.find("has a infinite value at element 0"), std::string::npos) << e;

  // 导出：什么也不写（没有目标目录，也没有 staging 残留）。
  const SequenceData data = test::small_synthetic_data();
  TrainResult r;
  r.weights = t;
  ExportInfo info;
  info.data = &data;
  info.result = &r;
  test::TempDir out;
  try {
    export_model(out.file("model"), info);
    ADD_FAILURE() << "export of non-finite weights succeeded";
  } catch (const Error& ex) {
    EXPECT_NE(std::string(ex.what()).find("training diverged, nothing exported"), std::string::npos) << ex.what();
  }
  EXPECT_TRUE(fs::is_empty(out.path()));
}

// 加载有时限：卡住的加载到时被判失败，之后的加载照常进行，等待可以放弃，槽析构不等它。
TEST(ModelSlotDeadline, StuckLoadIsAbandoned) {
  auto release = std::make_shared<std::atomic<bool>>(false);
  auto slot = std::make_unique<ModelSlot>(
      "stuck",
      [release](const std::string& d) -> std::shared_ptr<const ModelBundle> {
        if (d == "stuck")
          while (!release->load()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        throw Error("no model in " + d);
      },
      0.3);
  double t0 = now_seconds();
  const ModelSlot::Outcome o = slot->reload_now();
  EXPECT_FALSE(o.ok);
  EXPECT_NE(o.error.find("did not finish within 0.3 s"), std::string::npos) << o.error;
  EXPECT_LT(now_seconds() - t0, 2.0);
  EXPECT_FALSE(slot->stats().loading);
  EXPECT_EQ(slot->stats().failures, 1u);
  // 之后的加载不被挡住（以前是 409）。
  const ModelSlot::Outcome o2 = slot->reload_now("other");
  EXPECT_FALSE(o2.ok);
  EXPECT_NE(o2.error.find("no model in other"), std::string::npos) << o2.error;
  // 等待可以放弃（停机时）。
  ASSERT_TRUE(slot->start_reload());
  t0 = now_seconds();
  const ModelSlot::Outcome o3 = slot->wait([] { return true; });
  EXPECT_NE(o3.error.find("stopped waiting"), std::string::npos);
  EXPECT_LT(now_seconds() - t0, 1.0);
  // 析构不等卡住的加载线程。
  t0 = now_seconds();
  slot.reset();
  EXPECT_LT(now_seconds() - t0, 1.0);
  release->store(true);  // 让后台线程结束（它只持有共享状态）
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

// `train --out` 只替换 seqrec 自己的目录，且不丢下用户的文件。
TEST_F(ModelDirHardening, TrainOutNeverDeletesForeignFiles) {
  test::TempDir d;
  test::write_synthetic_csv(d.file("r.csv"), 60, 30, 3, 8);
  const std::string flags = " --dim 16 --ffn-dim 32 --layers 1 --max-len 8 --epochs 1 --quiet";
  // 不是 seqrec 的 manifest.json（别的项目的、或根本不是 JSON）。
  fs::create_directories(d.file("app"));
  write_file_atomic(d.file("app/manifest.json"), R"({"name":"app"})");
  write_file_atomic(d.file("app/app.js"), "code");
  auto [rc1, out1] = test::run_cli("train --data " + d.file("r.csv") + " --out " + d.file("app") + flags);
  EXPECT_EQ(rc1, 1) << out1;
  EXPECT_NE(out1.find("not a seqrec manifest"), std::string::npos) << out1;
  EXPECT_EQ(read_file(d.file("app/app.js")), "code");
  write_file_atomic(d.file("app/manifest.json"), "not json");
  auto [rc2, out2] = test::run_cli("train --data " + d.file("r.csv") + " --out " + d.file("app") + flags);
  EXPECT_EQ(rc2, 1) << out2;
  EXPECT_EQ(read_file(d.file("app/app.js")), "code");
  // 真正的模型目录里多了用户的文件：拒绝并点名，模型原样保留。
  const std::string m = copy_model("with_notes");
  write_file_atomic(m + "/notes.txt", "mine");
  fs::create_directories(m + "/plots");
  const std::string before = read_file(m + "/manifest.json");
  auto [rc3, out3] = test::run_cli("train --data " + d.file("r.csv") + " --out " + m + flags);
  EXPECT_EQ(rc3, 1) << out3;
  EXPECT_NE(out3.find("notes.txt, plots/"), std::string::npos) << out3;
  EXPECT_EQ(read_file(m + "/notes.txt"), "mine");
  EXPECT_EQ(read_file(m + "/manifest.json"), before);
  // 只有模型自己的文件：照常替换。
  fs::remove(m + "/notes.txt");
  fs::remove(m + "/plots");
  auto [rc4, out4] = test::run_cli("train --data " + d.file("r.csv") + " --out " + m + flags);
  EXPECT_EQ(rc4, 0) << out4;
  EXPECT_NE(read_file(m + "/manifest.json"), before);
}

// 写不进去的 --out 在读数据之前就报错（以前训练完才发现）。
TEST(TrainOut, UnwritableOutIsFoundBeforeReadingData) {
  test::TempDir d;
  write_file_atomic(d.file("plain"), "x");
  auto [rc, out] = test::run_cli("train --data " + d.file("missing.csv") + " --out " + d.file("plain") + "/model --epochs 1");
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("cannot create directory"), std::string::npos) << out;
  EXPECT_EQ(out.find("missing.csv"), std::string::npos) << out;  // 数据还没读
}

// 残留的 staging / old 目录与检查点临时文件（进程已不存在）在下次训练时清理；活着的进程的不动。
TEST(TrainOut, StaleLeftoversAreCleanedUp) {
  test::TempDir d;
  test::write_synthetic_csv(d.file("r.csv"), 60, 30, 3, 8);
  const std::string mine = std::to_string(::getpid());
  fs::create_directories(d.file(".m.staging-999999999-0123456789abcdef"));
  fs::create_directories(d.file(".m.old-0123456789abcdef"));  // 旧版本的名字（没有 pid）
  fs::create_directories(d.file(".m.staging-" + mine + "-0123456789abcdef"));
  write_file_atomic(d.file("m.ckpt.tmp-999999999-0123456789abcdef"), "partial");
  auto [rc, out] = test::run_cli("train --data " + d.file("r.csv") + " --out " + d.file("m") +
                                 " --dim 16 --ffn-dim 32 --layers 1 --max-len 8 --epochs 1 --quiet");
  ASSERT_EQ(rc, 0) << out;
  EXPECT_FALSE(fs::exists(d.file(".m.staging-999999999-0123456789abcdef")));
  EXPECT_FALSE(fs::exists(d.file(".m.old-0123456789abcdef")));
  EXPECT_FALSE(fs::exists(d.file("m.ckpt.tmp-999999999-0123456789abcdef")));
  EXPECT_TRUE(fs::exists(d.file(".m.staging-" + mine + "-0123456789abcdef")));
  EXPECT_TRUE(fs::exists(d.file("m/manifest.json")));
}

// 发布是一步交换：反复替换时，另一个线程任何时候看都有一个完整的目录（以前两次 rename 之间没有）。
TEST(TrainOut, PublishNeverLeavesTheDirectoryMissing) {
  test::TempDir d;
  const std::string target = d.file("model");
  const std::string manifest = R"({"format_version": 1, "model_type": "test", "files": {"f": {}}})";
  auto publish = [&](int i) {
    const std::string s = make_staging_dir(target);
    write_file_atomic(s + "/f", std::to_string(i));
    write_file_atomic(s + "/manifest.json", manifest);
    publish_dir(s, target);
  };
  publish(0);
  std::atomic<bool> done{false};
  std::atomic<int> missing{0}, checks{0};
  std::thread checker([&] {
    while (!done.load()) {
      ++checks;
      if (!fs::exists(target + "/manifest.json")) ++missing;
    }
  });
  for (int i = 1; i < 200; ++i) publish(i);
  done = true;
  checker.join();
  EXPECT_EQ(read_file(target + "/f"), "199");
  int n = 0;
  for (auto& e : fs::directory_iterator(d.path())) (void)e, ++n;
  EXPECT_EQ(n, 1);
  EXPECT_EQ(missing.load(), 0) << "of " << checks.load() << " checks";
}

// 消息：空 CSV 用 CSV 的说法；表头里的二进制字节被转义；超出范围的数值选项说出原值与原因；
// 符号链接成环是用户错误（退出码 1），不是程序缺陷（2）。
TEST(CliMessages, ClearAndEscaped) {
  test::TempDir d;
  write_file_atomic(d.file("empty.csv"), "");
  auto [rc1, out1] = test::run_cli("train --data " + d.file("empty.csv") + " --out " + d.file("m"));
  EXPECT_EQ(rc1, 1);
  EXPECT_NE(out1.find("file is empty (expected a header such as 'user_id,item_id,timestamp'"), std::string::npos) << out1;
  write_file_atomic(d.file("bin.csv"), std::string("us\xff" "er\x01,item,ts\n1,2,3\n"));
  auto [rc2, out2] = test::run_cli("train --data " + d.file("bin.csv") + " --out " + d.file("m"));
  EXPECT_EQ(rc2, 1);
  EXPECT_NE(out2.find("columns are: us\\xffer\\x01,item,ts"), std::string::npos) << out2;
  EXPECT_EQ(out2.find('\x01'), std::string::npos);
  test::write_synthetic_csv(d.file("r.csv"), 30, 20, 2, 6);
  auto [rc3, out3] = test::run_cli("train --data " + d.file("r.csv") + " --out " + d.file("m") + " --dim 1099511627776");
  EXPECT_EQ(rc3, 1);
  EXPECT_NE(out3.find("--dim = 1099511627776: not a valid value"), std::string::npos) << out3;
  EXPECT_EQ(out3.find("got 0"), std::string::npos) << out3;
  fs::create_symlink(d.file("loop2"), d.file("loop1"));
  fs::create_symlink(d.file("loop1"), d.file("loop2"));
  auto [rc4, out4] = test::run_cli("eval --model " + d.file("loop1"));
  EXPECT_EQ(rc4, 1) << out4;
  EXPECT_NE(out4.find("Too many levels of symbolic links"), std::string::npos) << out4;
  auto [rc5, out5] = test::run_cli("train --data " + d.file("loop1") + " --out " + d.file("m"));
  EXPECT_EQ(rc5, 1) << out5;
}

}  // namespace
}  // namespace seqrec
