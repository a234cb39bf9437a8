// 物品内容的分词器：在物品文本语料上训练，保存进模型目录，推理时把文本变成记号 ID。
//   unigram / bpe：SentencePiece（Debian libsentencepiece-dev）——子词分词，不需要预先切词，
//                  训练在内存中完成，模型序列化为一段字节。SentencePiece 经插件 libseqrec_spm.so 载入
//                  （原因见 spm_plugin.cpp）：插件与可执行文件放在同一目录，或由 SEQREC_SPM_PLUGIN 指定；
//   word：         按空白切分的整词词表（按频次取前 vocab_size 个），适合属性 ID 这类原子记号
//                  （Beauty_item2attributes.json）——这种内容拆成子词没有意义。
// 记号 ID 范围是 [0, vocab_size())，0 是未知词（unk）。没有 BOS/EOS/PAD，由模型自行添加特殊记号。
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace seqrec {

// 训练选项。
struct TokenizerOptions {
  std::string type = "auto";  // auto | unigram | bpe | word（auto：原子内容用 word，其余 unigram）
  int vocab_size = 4000;      // 词表大小上限（语料太小时 SentencePiece 会得到更小的词表）
  int threads = 2;
  uint64_t seed = 42;
  void validate() const;
};

class ContentTokenizer {
 public:
  ContentTokenizer();
  ~ContentTokenizer();
  ContentTokenizer(ContentTokenizer&&) noexcept;
  ContentTokenizer& operator=(ContentTokenizer&&) noexcept;

  // 在 texts 上训练（空串会被跳过）；atomic 表示内容是原子记号（type=auto 时据此选 word）。
  static ContentTokenizer train(const std::vector<std::string>& texts, const TokenizerOptions& opt, bool atomic);
  // 从 to_bytes() 的结果还原；type 是 type() 的返回值。数据损坏时抛出 Error。
  static ContentTokenizer from_bytes(const std::string& type, const std::string& bytes);

  // 实际使用的类型：unigram | bpe | word。
  const std::string& type() const { return type_; }
  // 序列化（SentencePiece 模型的 protobuf 字节，或 word 词表的逐行文本）。
  const std::string& to_bytes() const { return bytes_; }
  int vocab_size() const;
  // 把文本编码成记号 ID（最多 max_tokens 个，<= 0 表示不限）。线程安全。
  std::vector<int32_t> encode(std::string_view text, int max_tokens = 0) const;
  // 记号 ID 对应的文本片段（调试与测试用）。
  std::string piece(int32_t id) const;

 private:
  std::string type_;
  std::string bytes_;
  std::shared_ptr<void> sp_;                                  // unigram / bpe：插件中的处理器
  std::vector<std::string> words_;                             // word：下标即 ID（0 = "<unk>"）
  std::unordered_map<std::string, int32_t> word_index_;       // word：词 → ID
};

}  // namespace seqrec
