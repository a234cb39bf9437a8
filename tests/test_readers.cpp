// 读取器测试：各种合法格式，以及每一种坏输入都给出带文件名、行号和原因的错误。
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/files.h"
#include "data/csv_reader.h"
#include "data/id_map.h"
#include "test_util.h"

namespace seqrec {
namespace {

// 断言解析失败，且错误消息包含所有给定片段。
void expect_error(const std::string& text, std::initializer_list<const char*> parts, CsvOptions opt = {}) {
  try {
    parse_interactions(text, "ratings.csv", opt);
    FAIL() << "expected an error for:\n" << text;
  } catch (const Error& e) {
    for (const char* p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
  }
}

TEST(CsvReader, SpecHeader) {
  auto r = parse_interactions("user_id,item_id,timestamp\nu1,a,3\nu1,b,1\nu2,a,2\n", "f", {});
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r.users.size(), 2u);
  EXPECT_EQ(r.items.size(), 2u);
  EXPECT_EQ(r.users.id(r.user[2]), "u2");
  EXPECT_EQ(r.items.id(r.item[1]), "b");
  EXPECT_DOUBLE_EQ(r.time[0], 3);
  EXPECT_TRUE(r.rating.empty());
}

TEST(CsvReader, MovieLensHeaderWithRatingAndCrlf) {
  auto r = parse_interactions("userId,movieId,rating,timestamp\r\n1,31,2.5,1260759144\r\n1,1029,3.0,1260759179\r\n",
                              "f", {});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r.items.id(r.item[1]), "1029");
  ASSERT_EQ(r.rating.size(), 2u);
  EXPECT_FLOAT_EQ(r.rating[0], 2.5f);
}

TEST(CsvReader, MovieLensDatWithoutHeader) {
  auto r = parse_interactions("1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n", "ratings.dat", {});
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r.items.id(r.item[1]), "661");
  EXPECT_DOUBLE_EQ(r.time[2], 978298413);
  EXPECT_FLOAT_EQ(r.rating[0], 5.0f);
}

TEST(CsvReader, ConfigurableColumnsSeparatorAndQuotes) {
  CsvOptions o;
  o.sep = ";";
  o.user_col = "who";
  o.item_col = "what";
  o.time_col = "when";
  auto r = parse_interactions("what;who;when\n\"a;b\";x;10\nc;y;11\n", "f", o);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r.items.id(r.item[0]), "a;b");
  EXPECT_EQ(r.users.id(r.user[1]), "y");
  CsvOptions tab;
  tab.header = "no";
  tab.columns = {"item_id", "user_id", "timestamp"};
  auto t = parse_interactions("i1\tu1\t5\ni2\tu1\t6\n", "f", tab);
  EXPECT_EQ(t.items.id(t.item[1]), "i2");
}

TEST(CsvReader, EmptyFile) {
  expect_error("", {"ratings.csv", "empty"});
  expect_error("\n  \n", {"empty"});
}

TEST(CsvReader, HeaderOnly) { expect_error("user_id,item_id,timestamp\n", {"ratings.csv", "no interactions"}); }

TEST(CsvReader, MissingColumn) {
  expect_error("user_id,item_id,time_of_day\nu,i,1\n", {"ratings.csv:1", "missing column 'timestamp'", "time_of_day"});
  CsvOptions o;
  o.item_col = "product";
  expect_error("user_id,item_id,timestamp\nu,i,1\n", {"missing column 'product'"}, o);
}

TEST(CsvReader, NonNumericTimestampNamesLine) {
  expect_error("user_id,item_id,timestamp\nu,i,1\nu,j,yesterday\n",
               {"ratings.csv:3", "timestamp", "numeric", "yesterday"});
}

TEST(CsvReader, TooFewFieldsNamesLine) {
  expect_error("user_id,item_id,timestamp\nu,i,1\n\nu,j\n", {"ratings.csv:4", "expected at least 3 fields", "got 2"});
}

TEST(CsvReader, NonNumericRatingAndEmptyId) {
  expect_error("user_id,item_id,rating,timestamp\nu,i,good,1\n", {"ratings.csv:2", "rating", "good"});
  expect_error("user_id,item_id,timestamp\n,i,1\n", {"ratings.csv:2", "empty value", "user_id"});
}

TEST(CsvReader, BadOptionsAndMissingFile) {
  CsvOptions o;
  o.header = "maybe";
  EXPECT_THROW(parse_interactions("a,b,c\n", "f", o), Error);
  EXPECT_THROW(read_interactions("/nonexistent/ratings.csv", {}), Error);
}

TEST(CsvReader, WriteThenReadBack) {
  test::TempDir d;
  auto r = parse_interactions("user_id,item_id,timestamp\nu1,a,3\nu2,b,1\n", "f", {});
  write_interactions_csv(d.file("r.csv"), r);
  auto back = read_interactions(d.file("r.csv"), {});
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back.items.id(back.item[1]), "b");
  EXPECT_DOUBLE_EQ(back.time[0], 3);
}

TEST(IdMap, AddFindSaveLoad) {
  test::TempDir d;
  IdMap m;
  EXPECT_EQ(m.add("x"), 0);
  EXPECT_EQ(m.add("y"), 1);
  EXPECT_EQ(m.add("x"), 0);
  EXPECT_EQ(m.find("y"), 1);
  EXPECT_EQ(m.find("z"), -1);
  m.save(d.file("map.json"));
  IdMap back = IdMap::load(d.file("map.json"));
  EXPECT_EQ(back.size(), 2u);
  EXPECT_EQ(back.id(1), "y");
  EXPECT_EQ(back.find("x"), 0);
  // 需要转义的 ID 与很多个 ID：按下标顺序原样还原。
  IdMap big;
  big.add("quote\"back\\slash\ttab");
  big.add("中文");
  big.add("");
  for (int i = 0; i < 200000; ++i) big.add("i" + std::to_string(i));
  big.save(d.file("big.json"));
  IdMap big_back = IdMap::load(d.file("big.json"));
  ASSERT_EQ(big_back.size(), big.size());
  for (int32_t i : {0, 1, 2, 3, 200002}) EXPECT_EQ(big_back.id(i), big.id(i));
  for (int32_t i = 0; i < static_cast<int32_t>(big.size()); i += 997) EXPECT_EQ(big_back.find(big.id(i)), i);
  EXPECT_EQ(big_back.find("i199999"), 200002);
  EXPECT_EQ(big_back.find("i200000"), -1);
  EXPECT_EQ(big_back.add("中文"), 1);  // 已有的 ID 不会重复加入
  EXPECT_EQ(big_back.add("new"), 200003);
  EXPECT_EQ(big_back.find("new"), 200003);
  EXPECT_EQ(nlohmann::json::parse(read_file(d.file("map.json"))), nlohmann::json::parse(R"({"x":0,"y":1})"));
}

TEST(IdMap, RejectsInvalidJson) {
  EXPECT_THROW(IdMap::from_json(nlohmann::json::array(), "m"), Error);
  EXPECT_THROW(IdMap::from_json({{"a", 0}, {"b", 0}}, "m"), Error);  // 重复下标
  EXPECT_THROW(IdMap::from_json({{"a", 0}, {"b", 5}}, "m"), Error);  // 越界
  EXPECT_THROW(IdMap::from_json({{"a", "0"}}, "m"), Error);          // 非整数
}

}  // namespace
}  // namespace seqrec
