// 预处理缓存测试：往返一致；损坏、截断、越界的缓存被识别并拒绝；文件或选项变化时缓存键随之变化。
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "core/error.h"
#include "core/files.h"
#include "data/cache.h"
#include "data/formats.h"
#include "test_util.h"

namespace seqrec {
namespace {

SequenceData sample() {
  auto raw = parse_sequences("1 5 6 7 8\n2 6 7 9\n3 5 9 8 7 6\n", "s.txt", DataFormat::kSeqUid);
  return build_sequences(raw, FilterOptions{});
}

TEST(Cache, RoundTrip) {
  const auto d = sample();
  std::string why;
  auto back = decode_sequence_data(encode_sequence_data(d), &why);
  ASSERT_TRUE(back) << why;
  EXPECT_EQ(back->seqs, d.seqs);
  EXPECT_EQ(back->raw_interactions, d.raw_interactions);
  ASSERT_EQ(back->items.size(), d.items.size());
  for (size_t i = 0; i < d.items.size(); ++i) EXPECT_EQ(back->items.id(int32_t(i)), d.items.id(int32_t(i)));
  EXPECT_EQ(back->users.id(2), d.users.id(2));
  EXPECT_TRUE(back->train_end.empty());
  // 时间切分的边界也要保存下来。
  auto raw = parse_sequences("1 5 6 7 8\n2 6 7 9\n3 5 9 8 7 6\n", "s.txt", DataFormat::kSeqUid);
  FilterOptions f;
  f.split = "temporal";
  const auto t = build_sequences(raw, f);
  auto back2 = decode_sequence_data(encode_sequence_data(t), &why);
  ASSERT_TRUE(back2) << why;
  EXPECT_EQ(back2->train_end, t.train_end);
  EXPECT_EQ(back2->valid_end, t.valid_end);
  EXPECT_FALSE(t.train_end.empty());
}

TEST(Cache, CorruptFilesAreRejected) {
  const std::string good = encode_sequence_data(sample());
  std::string why;
  EXPECT_FALSE(decode_sequence_data("", &why));
  EXPECT_FALSE(decode_sequence_data("XEQRECD1" + good.substr(8), &why));
  EXPECT_FALSE(decode_sequence_data(good.substr(0, good.size() - 7), &why));
  EXPECT_NE(why.find("truncated"), std::string::npos) << why;
  EXPECT_FALSE(decode_sequence_data(good + "x", &why));
  // 把最后一个物品下标改成越界值（其后是 8 字节的切分数与 "END1"）
  std::string bad = good;
  const int32_t huge = 1 << 30;
  std::memcpy(&bad[bad.size() - 16], &huge, 4);
  EXPECT_FALSE(decode_sequence_data(bad, &why));
  EXPECT_NE(why.find("out of range"), std::string::npos) << why;
}

TEST(Cache, KeyChangesWithFileAndOptions) {
  test::TempDir dir;
  const std::string f = dir.file("a.txt");
  write_file_atomic(f, "1 2 3\n");
  const std::string k1 = cache_path(dir.path(), f, {{"format", "auto"}});
  EXPECT_EQ(k1, cache_path(dir.path(), f, {{"format", "auto"}}));
  EXPECT_NE(k1, cache_path(dir.path(), f, {{"format", "seq-uid"}}));
  write_file_atomic(f, "1 2 3 4\n");  // 大小与修改时间都变了
  EXPECT_NE(k1, cache_path(dir.path(), f, {{"format", "auto"}}));
  EXPECT_THROW(cache_path(dir.path(), dir.file("missing.txt"), {}), Error);
}

}  // namespace
}  // namespace seqrec
