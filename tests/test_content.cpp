// 物品内容读取与分词器的测试（小的内存样例，不需要 ../shared）。
#include <gtest/gtest.h>

#include "core/error.h"
#include "data/item_content.h"
#include "data/tokenizer.h"
#include "test_util.h"

namespace seqrec {
namespace {

// JSON 对象值：默认取 content 字段；HTML 实体被解码，空白被压缩。
TEST(ItemContent, JsonObjectsUseContentField) {
  const std::string text = R"({"1": {"atom_id": 1, "content": "title Case  for &amp; Phone"},
                               "2": {"content": "title Charger brand Anker"}})";
  const ItemContent c = parse_item_content(text, "corpus.json", {});
  ASSERT_EQ(c.ids.size(), 2u);
  EXPECT_EQ(c.ids[0], "1");
  EXPECT_EQ(c.texts[0], "title Case for & Phone");
  EXPECT_EQ(c.texts[1], "title Charger brand Anker");
  EXPECT_FALSE(c.atomic);
}

// 指定字段时按字段顺序拼接，数组字段展开；缺字段的物品跳过该字段。
TEST(ItemContent, JsonFieldsAreJoinedInOrder) {
  const std::string text = R"({"a": {"title": "Lipstick", "brand": "X", "categories": ["Beauty", "Makeup"]},
                               "b": {"title": "Soap", "categories": ["Bath"]}})";
  ContentOptions opt;
  opt.json_fields = {"title", "categories", "brand"};
  const ItemContent c = parse_item_content(text, "meta.json", opt);
  EXPECT_EQ(c.texts[0], "Lipstick Beauty Makeup X");
  EXPECT_EQ(c.texts[1], "Soap Bath");
  // 未指定字段、也没有 content：所有字符串字段拼成 "字段名 值"。
  const ItemContent d = parse_item_content(text, "meta.json", {});
  EXPECT_EQ(d.texts[1], "categories Bath title Soap");
}

// 属性 ID 列表：原子记号，标记 atomic；混用两种值是错误。
TEST(ItemContent, AttributeListsAreAtomic) {
  const ItemContent c = parse_item_content(R"({"4": [1, 2, 3], "83": [4, 5]})", "attr.json", {});
  EXPECT_TRUE(c.atomic);
  EXPECT_EQ(c.texts[0], "a1 a2 a3");
  EXPECT_EQ(c.texts[1], "a4 a5");
  EXPECT_THROW(parse_item_content(R"({"4": [1, 2], "5": "text"})", "attr.json", {}), Error);
  try {
    parse_item_content(R"({"4": [1, {"x": 1}]})", "attr.json", {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("item '4'"), std::string::npos) << e.what();
  }
}

// CSV：MovieLens movies.csv（带引号的标题、'|' 分隔的类型），ID 列按别名识别。
TEST(ItemContent, MovieLensCsv) {
  const std::string text =
      "movieId,title,genres\n1,Toy Story (1995),Adventure|Animation|Children\n"
      "11,\"American President, The (1995)\",Comedy|Drama|Romance\n";
  const ItemContent c = parse_item_content(text, "movies.csv", {});
  ASSERT_EQ(c.ids.size(), 2u);
  EXPECT_EQ(c.ids[1], "11");
  EXPECT_EQ(c.texts[0], "Toy Story (1995) Adventure Animation Children");
  EXPECT_EQ(c.texts[1], "American President, The (1995) Comedy Drama Romance");
  ContentOptions opt;
  opt.text_cols = {"title"};
  EXPECT_EQ(parse_item_content(text, "movies.csv", opt).texts[0], "Toy Story (1995)");
  opt.text_cols = {"plot"};
  try {
    parse_item_content(text, "movies.csv", opt);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no column 'plot'"), std::string::npos) << e.what();
  }
}

// 无表头的 "::" 文件（ml-1m movies.dat，Latin-1 编码）：转成 UTF-8。
TEST(ItemContent, Latin1DatWithoutHeader) {
  const std::string text = "1::Toy Story (1995)::Animation\n2::Caf\xe9 (1999)::Drama\n";
  const ItemContent c = parse_item_content(text, "movies.dat", {});
  ASSERT_EQ(c.ids.size(), 2u);
  EXPECT_EQ(c.texts[1], "Caf\xc3\xa9 (1999) Drama");
  EXPECT_TRUE(valid_utf8(c.texts[1]));
}

// 错误指明文件与行号：字段太少、重复 ID、空文件、非法 JSON。
TEST(ItemContent, ErrorsNameFileAndLine) {
  auto message = [](const std::string& text) {
    try {
      parse_item_content(text, "items.csv", {});
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("item_id,title\n1,A\n1,B\n").find("items.csv:3: item id '1' appears twice"), std::string::npos);
  EXPECT_NE(message("item_id,title,brand\n1,A,B\n2\n").find("items.csv:3"), std::string::npos);
  EXPECT_NE(message("  \n").find("empty file"), std::string::npos);
  EXPECT_NE(message("{\"1\": \"a\",").find("not valid JSON"), std::string::npos);
}

// 按数据集的物品映射对齐，统计缺内容的物品。
TEST(ItemContent, AlignToItemMap) {
  const ItemContent c = parse_item_content(R"({"10": "ten", "20": "twenty", "99": "unused"})", "x.json", {});
  IdMap items;
  items.add("20");
  items.add("10");
  items.add("30");
  int64_t missing = -1;
  const auto v = align_content(c, items, &missing);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0], "twenty");
  EXPECT_EQ(v[1], "ten");
  EXPECT_EQ(v[2], "");
  EXPECT_EQ(missing, 1);
}

TEST(ItemContent, NormalizeText) {
  EXPECT_EQ(normalize_text("  PowerBear&reg;\tCase&#39;s &#x41; &bogus; &  "), "PowerBear\xc2\xae Case's A &bogus; &");
  EXPECT_FALSE(valid_utf8("\xe9t\xe9"));
  EXPECT_FALSE(valid_utf8("\xc3"));
  EXPECT_TRUE(valid_utf8("\xc3\xa9t\xc3\xa9"));
}

// 一个小语料：重复的商品词，足以训练子词模型。
std::vector<std::string> small_corpus() {
  std::vector<std::string> v;
  const char* brands[] = {"anker", "samsung", "apple", "otterbox", "belkin"};
  const char* kinds[] = {"charger", "case", "cable", "screen protector", "battery pack"};
  for (int i = 0; i < 200; ++i)
    v.push_back(std::string("title ") + brands[i % 5] + " " + kinds[(i / 5) % 5] + " for galaxy s" +
                std::to_string(3 + i % 4) + " categories accessories");
  v.push_back("");  // 空文本被跳过
  return v;
}

// SentencePiece unigram：训练、编码、序列化往返后结果相同，种子相同则模型字节相同。
TEST(Tokenizer, UnigramRoundTripAndDeterminism) {
  if (!test::kSentencePieceLoadable) GTEST_SKIP() << "SentencePiece cannot be loaded in an AddressSanitizer build";
  TokenizerOptions opt;
  opt.vocab_size = 60;
  const auto corpus = small_corpus();
  const ContentTokenizer a = ContentTokenizer::train(corpus, opt, false);
  EXPECT_EQ(a.type(), "unigram");
  EXPECT_GT(a.vocab_size(), 10);
  EXPECT_LE(a.vocab_size(), 60);
  const auto ids = a.encode("title anker charger for galaxy s4");
  ASSERT_FALSE(ids.empty());
  for (int32_t id : ids) {
    EXPECT_GE(id, 0);
    EXPECT_LT(id, a.vocab_size());
  }
  const ContentTokenizer b = ContentTokenizer::from_bytes(a.type(), a.to_bytes());
  EXPECT_EQ(b.encode("title anker charger for galaxy s4"), ids);
  EXPECT_EQ(a.encode("title anker charger for galaxy s4", 3).size(), 3u);
  const ContentTokenizer c = ContentTokenizer::train(corpus, opt, false);
  EXPECT_EQ(c.to_bytes(), a.to_bytes());
  // 未见过的字符映射到 unk（0），不报错。
  const auto unk = a.encode("\xe4\xb8\xad");
  ASSERT_FALSE(unk.empty());
  EXPECT_EQ(unk.back(), 0);
  EXPECT_THROW(ContentTokenizer::from_bytes("unigram", "not a model"), Error);
}

TEST(Tokenizer, BpeTrains) {
  if (!test::kSentencePieceLoadable) GTEST_SKIP() << "SentencePiece cannot be loaded in an AddressSanitizer build";
  TokenizerOptions opt;
  opt.type = "bpe";
  opt.vocab_size = 80;
  const ContentTokenizer t = ContentTokenizer::train(small_corpus(), opt, false);
  EXPECT_EQ(t.type(), "bpe");
  EXPECT_FALSE(t.encode("otterbox case").empty());
}

// 原子内容（auto → word）：每个属性一个记号，按频次编号，词表上限生效，未知词为 0。
TEST(Tokenizer, WordVocabularyForAtomicContent) {
  TokenizerOptions opt;
  opt.vocab_size = 16;
  std::vector<std::string> texts = {"a1 a2 a3", "a2 a3", "a3"};
  for (int i = 0; i < 30; ++i) texts.push_back("a" + std::to_string(100 + i));
  const ContentTokenizer t = ContentTokenizer::train(texts, opt, true);
  EXPECT_EQ(t.type(), "word");
  EXPECT_EQ(t.vocab_size(), 16);
  EXPECT_EQ(t.piece(0), "<unk>");
  EXPECT_EQ(t.piece(1), "a3");
  EXPECT_EQ(t.piece(2), "a2");
  EXPECT_EQ(t.encode("a3 a2  a999"), (std::vector<int32_t>{1, 2, 0}));
  const ContentTokenizer u = ContentTokenizer::from_bytes("word", t.to_bytes());
  EXPECT_EQ(u.encode("a1 a3"), t.encode("a1 a3"));
  EXPECT_THROW(ContentTokenizer::from_bytes("word", "a1\n"), Error);
  EXPECT_THROW(ContentTokenizer::train({"", ""}, opt, true), Error);
  opt.type = "wordpiece";
  EXPECT_THROW(ContentTokenizer::train(texts, opt, true), Error);
}

}  // namespace
}  // namespace seqrec
