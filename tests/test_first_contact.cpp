// 第一次使用时的行为（issue 45）：用户敲下的东西不会被悄悄忽略——不适用的选项报错并说明适用于什么；
// eval 的数据选项要么生效要么报错；一条命令比较多个模型；--version；--clicks 的空白；serve 先检查模型目录；
// 训练摘要只列用到的选项；低于最热门基线时警告；exclude_clicked 的默认值来自训练数据的重复率。
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/files.h"
#include "data/dataset.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace seqrec {
namespace {

using test::run_cli;

// 共用一个小模型（long_short，1 轮）与一个 SASRec 模型，同一份数据。
class FirstContact : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    auto [rc, out] = test::train_tiny(*dir_, 120, 60, 4, 10, dir_->file("ls"), "--epochs 1");
    ASSERT_EQ(rc, 0) << out;
    auto [rc2, out2] = run_cli("train --model sasrec --data " + dir_->file("ratings.csv") + " --out " +
                               dir_->file("sas") + " --dim 16 --max-len 8 --epochs 1 --quiet");
    ASSERT_EQ(rc2, 0) << out2;
    train_log_ = new std::string(out2);
  }
  static void TearDownTestSuite() {
    delete train_log_;
    delete dir_;
  }
  static test::TempDir* dir_;
  static std::string* train_log_;
};
test::TempDir* FirstContact::dir_ = nullptr;
std::string* FirstContact::train_log_ = nullptr;

TEST(FirstContactCli, VersionPrintsAndExitsZero) {
  auto [rc, out] = run_cli("--version");
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("seqrec 0.1.0 (commit "), std::string::npos) << out;
}

// 模型不读的选项、损失不用的选项、打分方式不用的选项：报错，并说出适用于什么。
TEST(FirstContactCli, TrainFlagsThatWouldNotBeUsedAreErrors) {
  const std::pair<const char*, const char*> cases[] = {
      {"train --model sasrec --hidden 32 --out /tmp/never", "--hidden does not apply to --model sasrec (it applies to gru4rec)"},
      {"train --model gru4rec --heads 2 --out /tmp/never", "--heads does not apply to --model gru4rec"},
      {"train --model long_short --norm pre --out /tmp/never", "--norm does not apply to --model long_short"},
      {"train --model sasrec --user-dropout 0.3 --out /tmp/never", "--user-dropout does not apply"},
      {"train --negatives 5 --out /tmp/never", "--negatives applies to --loss bce, bpr, sampled or gbce (the loss is ce)"},
      {"train --no-logq --out /tmp/never", "--no-logq applies to --loss sampled or inbatch"},
      {"train --model sasrec --temperature 0.2 --out /tmp/never", "--temperature applies to cosine scores"},
      {"train --model colarec --loss bce --out /tmp/never", "--loss does not apply to --model colarec"},
  };
  for (const auto& [args, want] : cases) {
    auto [rc, out] = run_cli(args);
    EXPECT_EQ(rc, 1) << args << "\n" << out;
    EXPECT_NE(out.find(want), std::string::npos) << args << "\n" << out;
  }
  EXPECT_FALSE(fs::exists("/tmp/never"));
}

// serve 在宣布 listening 之前先检查模型目录。
TEST(FirstContactCli, ServeChecksTheModelBeforeListening) {
  auto [rc, out] = run_cli("serve --model /nonexistent/model --port 0", false, 20);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_EQ(out.find("listening"), std::string::npos) << out;
  EXPECT_NE(out.find("cannot serve /nonexistent/model"), std::string::npos) << out;
  // --threads 只属于 --io epoll：每连接一个线程的模式下给了就报错。
  auto [rc2, out2] = run_cli("serve --model /nonexistent/model --port 0 --threads 4", false, 20);
  EXPECT_EQ(rc2, 1) << out2;
  EXPECT_NE(out2.find("--threads sets the event loops of --io epoll"), std::string::npos) << out2;
}

// 训练日志的摘要只列用到的选项：SASRec 是内积打分，没有 temperature；没有 hidden（GRU 的）。
TEST_F(FirstContact, TrainSummaryShowsOnlyWhatApplies) {
  const std::string& log = *train_log_;
  const size_t m = log.find("model: "), t = log.find("training: ");
  ASSERT_NE(m, std::string::npos) << log;
  ASSERT_NE(t, std::string::npos) << log;
  const std::string model_line = log.substr(m, log.find('\n', m) - m);
  const std::string train_line = log.substr(t, log.find('\n', t) - t);
  EXPECT_EQ(model_line.find("\"hidden\""), std::string::npos) << model_line;
  EXPECT_NE(model_line.find("\"norm\""), std::string::npos) << model_line;  // SASRec 用得到
  EXPECT_EQ(train_line.find("\"temperature\""), std::string::npos) << train_line;
  EXPECT_EQ(train_line.find("\"user_dropout\""), std::string::npos) << train_line;
  EXPECT_NE(log.find("samples/s"), std::string::npos) << log;
  EXPECT_EQ(log.find("rows/s"), std::string::npos) << log;  // 一个单位
  // manifest 仍记下全部结构选项（服务端据此重建模型）。
  const auto man = nlohmann::json::parse(read_file(dir_->file("sas") + "/manifest.json"));
  EXPECT_TRUE(man["model"].contains("hidden"));
}

// --clicks "a, b"：ID 两端的空白不算进 ID。
TEST_F(FirstContact, RecommendClicksAreTrimmed) {
  const auto items = nlohmann::json::parse(read_file(dir_->file("ls") + "/item_map.json"));
  std::vector<std::string> ids;
  for (auto it = items.begin(); it != items.end() && ids.size() < 2; ++it) ids.push_back(it.key());
  auto [rc, out] = run_cli("recommend --model " + dir_->file("ls") + " --clicks '" + ids[0] + ", " + ids[1] + " ' -k 3", true);
  ASSERT_EQ(rc, 0) << out;
  const auto j = nlohmann::json::parse(out);
  EXPECT_TRUE(j["unknown_clicks"].empty()) << out;
  EXPECT_EQ(j["strategy"], "model") << out;
}

// eval 的数据选项：不给 --data 时报错并说明用的是模型记录的数据；给了 --data 时生效（输出里写出数据）。
TEST_F(FirstContact, EvalDataOptionsApplyOrAreRefused) {
  auto [rc, out] = run_cli("eval --model " + dir_->file("ls") + " --min-rating 4");
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("--min-rating needs --data"), std::string::npos) << out;
  auto [rc2, out2] = run_cli("eval --model " + dir_->file("ls") + " --split-mode temporal");
  EXPECT_EQ(rc2, 1) << out2;
  EXPECT_NE(out2.find("--split-mode needs --data"), std::string::npos) << out2;
  auto [rc3, out3] = run_cli("eval --model " + dir_->file("ls") + " --data " + dir_->file("ratings.csv") +
                             " --min-user-inter 3 --json", true);
  ASSERT_EQ(rc3, 0) << out3;
  const auto j = nlohmann::json::parse(out3);
  EXPECT_EQ(j["data"]["source"], dir_->file("ratings.csv"));
  EXPECT_EQ(j["seqrec_version"], "0.1.0");
  auto [rc4, help] = run_cli("eval --help", true);
  EXPECT_EQ(help.find("omit to use the built-in synthetic dataset"), std::string::npos) << help;
  // 不适用于这个协议的选项
  auto [rc5, out5] = run_cli("eval --model " + dir_->file("ls") + " --negatives 50");
  EXPECT_EQ(rc5, 1);
  EXPECT_NE(out5.find("--negatives applies to --protocol sampled"), std::string::npos) << out5;
}

// 一条命令比较多个模型：每个模型一行（以目录命名），基线一行；--json 是每个模型一项的列表。
TEST_F(FirstContact, EvalComparesSeveralModels) {
  const std::string a = dir_->file("ls"), b = dir_->file("sas");
  auto [rc, out] = run_cli("eval --model " + a + " --model " + b + " --ks 10", true);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find(a + " "), std::string::npos) << out;
  EXPECT_NE(out.find(b + " "), std::string::npos) << out;
  size_t pops = 0;
  for (size_t p = out.find("most-popular"); p != std::string::npos; p = out.find("most-popular", p + 1)) ++pops;
  EXPECT_EQ(pops, 1u) << out;
  auto [rc2, js] = run_cli("eval --model " + a + "," + b + " --ks 10 --json", true);
  ASSERT_EQ(rc2, 0) << js;
  const auto j = nlohmann::json::parse(js);
  ASSERT_EQ(j["models"].size(), 2u);
  EXPECT_EQ(j["models"][0]["model_dir"], a);
  EXPECT_EQ(j["models"][1]["model_type"], "sasrec");
  EXPECT_TRUE(j.contains("most_popular"));
}

// 1 轮的 GRU4Rec 通常不如最热门：训练结束时警告并说出原因。
TEST_F(FirstContact, BelowBaselineIsWarned) {
  auto [rc, out] = run_cli("train --model gru4rec --data " + dir_->file("ratings.csv") + " --out " + dir_->file("gru") +
                           " --epochs 1 --dim 8 --hidden 8 --lr 1e-5 --quiet");
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("warning: the model is below the most-popular baseline on validation"), std::string::npos) << out;
  EXPECT_NE(out.find("train longer"), std::string::npos) << out;
}

// exclude_clicked 的默认值来自训练数据的重复率：没有重复的数据（像 MovieLens）默认不推荐点过的物品，
// 请求（或 --include-clicked）可以改回。
TEST(FirstContactCli, ExcludeClickedDefaultFollowsRepeatRate) {
  test::TempDir d;
  {
    std::ofstream f(d.file("norepeat.csv"));
    f << "user_id,item_id,timestamp\n";
    for (int u = 0; u < 60; ++u)
      for (int k = 0; k < 8; ++k) f << "u" << u << ",i" << (u * 3 + k * 7) % 40 << "," << k << "\n";
  }
  auto [rc, out] = run_cli("train --data " + d.file("norepeat.csv") + " --out " + d.file("m") +
                           " --epochs 1 --dim 8 --ffn-dim 16 --max-len 4 --quiet");
  ASSERT_EQ(rc, 0) << out;
  const auto man = nlohmann::json::parse(read_file(d.file("m") + "/manifest.json"));
  EXPECT_EQ(man["serving"]["repeat_rate"].get<double>(), 0.0);
  EXPECT_TRUE(man["serving"]["exclude_clicked"].get<bool>());
  auto [rc2, r2] = run_cli("recommend --model " + d.file("m") + " --clicks i0,i7 -k 39", true);
  ASSERT_EQ(rc2, 0) << r2;
  auto j = nlohmann::json::parse(r2);
  EXPECT_TRUE(j["exclude_clicked"].get<bool>());
  for (const auto& id : j["recommended_item_ids"]) EXPECT_TRUE(id != "i0" && id != "i7") << r2;
  auto [rc3, r3] = run_cli("recommend --model " + d.file("m") + " --clicks i0,i7 -k 40 --include-clicked", true);
  ASSERT_EQ(rc3, 0) << r3;
  j = nlohmann::json::parse(r3);
  EXPECT_FALSE(j["exclude_clicked"].get<bool>());
  EXPECT_EQ(j["recommended_item_ids"].size(), 40u) << r3;
}

// 重复率：每个用户第一个之后的位置中，物品已在更早位置出现过的比例（只看训练部分）。
TEST(FirstContactData, RepeatRate) {
  SequenceData d;
  d.seqs = {{0, 1, 0, 2, 9, 9}, {3, 3, 3, 8, 8}};  // 训练部分：留一法去掉最后两个
  for (int u = 0; u < 2; ++u) d.users.add("u" + std::to_string(u));
  for (int i = 0; i < 10; ++i) d.items.add("i" + std::to_string(i));
  // 用户 0 的训练部分 {0,1,0,2}：3 个位置 1 次重复；用户 1 的 {3,3,3}：2 个位置 2 次重复 → 3/5。
  EXPECT_DOUBLE_EQ(d.repeat_rate(), 3.0 / 5.0);
}

}  // namespace
}  // namespace seqrec
