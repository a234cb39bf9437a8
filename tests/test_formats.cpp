// 其他数据格式的测试：序列文件（plain / uid / pairs）、RecBole .inter、OTTO JSONL、自动识别，
// 以及每种坏输入都给出带文件名、行号和原因的错误。
#include <gtest/gtest.h>

#include "core/error.h"
#include "data/dataset.h"
#include "data/events.h"
#include "data/formats.h"
#include "session/sessions.h"

namespace seqrec {
namespace {

// 断言 f() 抛出 Error，且消息包含所有片段。
template <typename F>
void expect_error(F&& f, std::initializer_list<const char*> parts) {
  try {
    f();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    for (const char* p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
  }
}

// 把 Interactions 里某个用户的物品序列（按读入顺序）取出来。
std::vector<std::string> items_of(const Interactions& d, const std::string& user) {
  std::vector<std::string> out;
  const int32_t u = d.users.find(user);
  for (size_t i = 0; i < d.size(); ++i)
    if (d.user[i] == u) out.push_back(d.items.id(d.item[i]));
  return out;
}

TEST(SequenceFiles, PlainLineNumberIsUser) {
  const std::string text = "5 3 9\n\n7 7 1 2\n";
  EXPECT_EQ(detect_format("input.txt", text), DataFormat::kSeqPlain);
  auto d = parse_sequences(text, "input.txt", DataFormat::kSeqAuto);
  EXPECT_EQ(d.size(), 7u);
  EXPECT_EQ(items_of(d, "1"), (std::vector<std::string>{"5", "3", "9"}));
  EXPECT_EQ(items_of(d, "3"), (std::vector<std::string>{"7", "7", "1", "2"}));  // 空行仍占一个行号
  EXPECT_EQ(d.users.find("2"), -1);
}

TEST(SequenceFiles, UidFirstToken) {
  const std::string text = "1 10 11 12\n2 11 13\n3 12\n";
  EXPECT_EQ(detect_format("Beauty.txt", text), DataFormat::kSeqUid);
  auto d = parse_any(text, "Beauty.txt", DataFormat::kAuto, {}, "Beauty.txt");
  EXPECT_EQ(d.size(), 6u);
  EXPECT_EQ(items_of(d, "2"), (std::vector<std::string>{"11", "13"}));
  // 时间戳是序列内的位置：稳定排序后顺序不变
  EXPECT_DOUBLE_EQ(d.time[2], 2.0);
}

TEST(SequenceFiles, PairsKeepFileOrderPerUser) {
  const std::string text = "1 5\n2 6\n1 7\n1 5\n2 8\n";
  EXPECT_EQ(detect_format("Video.txt", text), DataFormat::kSeqPairs);
  auto d = parse_sequences(text, "Video.txt", DataFormat::kSeqAuto);
  EXPECT_EQ(items_of(d, "1"), (std::vector<std::string>{"5", "7", "5"}));
  FilterOptions f;
  auto s = build_sequences(d, f);
  const int32_t u = s.users.find("1");
  ASSERT_GE(u, 0);
  ASSERT_EQ(s.seqs[static_cast<size_t>(u)].size(), 3u);
  EXPECT_EQ(s.items.id(s.seqs[static_cast<size_t>(u)][1]), "7");
}

TEST(SequenceFiles, Errors) {
  expect_error([] { parse_sequences("", "a.txt", DataFormat::kSeqAuto); }, {"a.txt", "empty"});
  expect_error([] { parse_sequences("\n  \n", "a.txt", DataFormat::kSeqPlain); }, {"a.txt", "empty"});
  expect_error([] { parse_sequences("1 2\n1 2 3\n", "v.txt", DataFormat::kSeqPairs); }, {"v.txt:2", "2 fields", "got 3"});
  expect_error([] { parse_sequences("1\n2\n", "u.txt", DataFormat::kSeqUid); }, {"u.txt", "no interactions"});
}

TEST(RecboleInter, TypedHeader) {
  const std::string text = "session:token\taid:token\tts:float\n7\t100\t3.5\n7\t101\t1.0\n8\t100\t2\n7\t102\t5\n";
  EXPECT_EQ(detect_format("x.inter", text), DataFormat::kInter);
  EXPECT_EQ(detect_format("x.tsv", text), DataFormat::kInter);  // 按表头内容识别
  auto d = parse_recbole_inter(text, "x.inter");
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d.users.id(d.user[2]), "8");
  EXPECT_DOUBLE_EQ(d.time[0], 3.5);
  // 按时间排序后 session 7 是 101, 100
  auto s = build_sequences(d, FilterOptions{});
  const int32_t u = s.users.find("7");
  EXPECT_EQ(s.items.id(s.seqs[static_cast<size_t>(u)][0]), "101");
}

TEST(RecboleInter, WithRatingAndNoTime) {
  auto d = parse_recbole_inter("user_id:token\titem_id:token\trating:float\nu\ta\t4\nu\tb\t2\n", "r.inter");
  ASSERT_EQ(d.rating.size(), 2u);
  EXPECT_FLOAT_EQ(d.rating[1], 2.0f);
  EXPECT_LT(d.time[0], d.time[1]);  // 没有时间列：按行顺序
}

TEST(RecboleInter, Errors) {
  expect_error([] { parse_recbole_inter("", "e.inter"); }, {"e.inter:1", "header"});
  expect_error([] { parse_recbole_inter("user_id\titem_id:token\n", "e.inter"); }, {"e.inter:1", "'user_id'", "no type"});
  expect_error([] { parse_recbole_inter("user_id:token\titem_id:blob\n", "e.inter"); }, {"unknown type 'blob'"});
  expect_error([] { parse_recbole_inter("foo:token\titem_id:token\n1\t2\n", "e.inter"); }, {"no user/session column", "foo"});
  expect_error([] { parse_recbole_inter("user_id:token\tbar:token\n1\t2\n", "e.inter"); }, {"no item column"});
  expect_error([] { parse_recbole_inter("user_id:token\titem_id:token\tts:float\n1\t2\n", "e.inter"); },
               {"e.inter:2", "expected 3 tab-separated fields", "got 2"});
  expect_error([] { parse_recbole_inter("user_id:token\titem_id:token\tts:float\n1\t2\tnoon\n", "e.inter"); },
               {"e.inter:2", "'ts' must be a number", "noon"});
  expect_error([] { parse_recbole_inter("user_id:token\titem_id:token\tts:token\n", "e.inter"); }, {"must have type float"});
  expect_error([] { parse_recbole_inter("user_id:token\titem_id:token\n", "e.inter"); }, {"no data lines"});
}

TEST(OttoJsonl, SessionsWithTypes) {
  const std::string text =
      R"({"session": 1, "events": [{"aid": 10, "ts": 1000, "type": "clicks"}, {"aid": 11, "ts": 2000, "type": "carts"}]})"
      "\n"
      R"({"session": 2, "events": [{"aid": 10, "ts": 1500, "type": "orders"}]})"
      "\n";
  EXPECT_EQ(detect_format("train.jsonl", text), DataFormat::kOtto);
  EXPECT_EQ(detect_format("data", text), DataFormat::kOtto);
  auto d = parse_otto_jsonl(text, "train.jsonl");
  ASSERT_EQ(d.size(), 3u);
  ASSERT_EQ(d.type.size(), 3u);
  EXPECT_EQ(d.type[1], static_cast<int8_t>(EventKind::kCart));
  EXPECT_EQ(d.type[2], static_cast<int8_t>(EventKind::kOrder));
  EXPECT_EQ(d.items.id(d.item[2]), "10");
  EXPECT_DOUBLE_EQ(d.time[1], 2000);
}

TEST(OttoJsonl, Errors) {
  expect_error([] { parse_otto_jsonl("{\"session\": 1, \"events\": [\n", "o.jsonl"); }, {"o.jsonl:1", "not valid JSON"});
  expect_error([] { parse_otto_jsonl("{\"session\": 1}\n", "o.jsonl"); }, {"o.jsonl:1", "events"});
  expect_error([] { parse_otto_jsonl(R"({"session": 1, "events": {}})", "o.jsonl"); }, {"must be an array"});
  expect_error([] { parse_otto_jsonl("\n" R"({"session": 1, "events": [{"aid": 1, "ts": 5}]})", "o.jsonl"); },
               {"o.jsonl:2", "events[0]", "'type'"});
  expect_error([] { parse_otto_jsonl(R"({"session": 1, "events": [{"aid": 1, "ts": "x", "type": "clicks"}]})", "o.jsonl"); },
               {"events[0].ts must be a number"});
  expect_error([] { parse_otto_jsonl(R"({"session": 1, "events": [{"aid": 1, "ts": 1, "type": "views"}]})", "o.jsonl"); },
               {"clicks, carts or orders", "views"});
  expect_error([] { parse_otto_jsonl(R"({"session": 1.5, "events": []})", "o.jsonl"); }, {"'session' must be"});
  expect_error([] { parse_otto_jsonl(R"({"session": 1, "events": []})", "o.jsonl"); }, {"no events"});
}

// train --format otto 与会话命令用同一个解析器：同样的文件两边都接受（数字字符串编号、0/1/2 类型、小数时间戳），
// 同样的坏行两边报同样的错。
TEST(OttoJsonl, SameFileSameAnswerInBothReaders) {
  const std::string good =
      R"({"session": "7", "events": [{"aid": "10", "ts": 1000.4, "type": 0}, {"aid": 11, "ts": 2000, "type": "carts"}]})"
      "\n";
  const Interactions d = parse_otto_jsonl(good, "a.jsonl");
  SessionReadOptions so;
  so.format = "jsonl";
  const SessionData s = parse_sessions(good, "a.jsonl", so);
  ASSERT_EQ(d.size(), 2u);
  ASSERT_EQ(s.num_events(), 2);
  EXPECT_EQ(d.users.id(d.user[0]), "7");
  EXPECT_EQ(s.session[0], 7);
  for (size_t e = 0; e < 2; ++e) {
    EXPECT_EQ(d.items.id(d.item[e]), std::to_string(s.raw_aid(static_cast<int64_t>(e))));
    EXPECT_EQ(static_cast<int>(d.type[e]), static_cast<int>(s.type[e]));
    EXPECT_DOUBLE_EQ(d.time[e], static_cast<double>(s.ts[e]));
  }
  for (const std::string bad : {R"({"session": 1, "events": [{"aid": "x1", "ts": 1, "type": "clicks"}]})",
                                R"({"session": 1, "events": [{"aid": 1, "ts": 1, "type": 3}]})"}) {
    std::string e1, e2;
    try {
      parse_otto_jsonl(bad, "b.jsonl");
    } catch (const Error& e) {
      e1 = e.what();
    }
    try {
      parse_sessions(bad, "b.jsonl", so);
    } catch (const Error& e) {
      e2 = e.what();
    }
    EXPECT_FALSE(e1.empty()) << bad;
    EXPECT_EQ(e1, e2) << bad;
  }
}

TEST(Formats, CsvStillDetectedAndFlagParsed) {
  EXPECT_EQ(detect_format("ratings.csv", "userId,movieId,rating,timestamp\n1,2,3,4\n"), DataFormat::kCsv);
  EXPECT_EQ(detect_format("ratings.dat", "1::2::3::4\n"), DataFormat::kCsv);
  EXPECT_EQ(parse_data_format("seq-pairs"), DataFormat::kSeqPairs);
  expect_error([] { parse_data_format("parquet"); }, {"--format", "parquet"});
}

}  // namespace
}  // namespace seqrec
