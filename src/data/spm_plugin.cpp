// SentencePiece 插件（libseqrec_spm.so）：把 SentencePiece 的训练与编码包装成一组 C 函数。
//
// 为什么是插件：Debian 的 libsentencepiece.so 内嵌了一份 protobuf-lite 3.14 并导出其全部符号，而 LibTorch
// 依赖系统的 libprotobuf.so.32（3.21）。两者在同一个全局符号作用域里会互相顶替，进程在静态初始化时就崩溃。
// tokenizer.cpp 用 dlopen(RTLD_LOCAL | RTLD_DEEPBIND) 载入本插件：插件及其依赖优先使用自己的符号，
// 也不把它们放进全局作用域，两份 protobuf 互不可见。接口只用 C 类型（指针与长度），内存用 malloc 分配，
// 由 seqrec_spm_free 释放。所有函数都不抛异常：失败时返回非 0，并在 *err 中给出消息。
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

// 把 std::string 复制到 malloc 的缓冲（调用方用 seqrec_spm_free 释放）。
char* dup_bytes(const std::string& s, size_t* len) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (!p) return nullptr;
  std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  if (len) *len = s.size();
  return p;
}

// 设置错误消息并返回 1。
int fail(char** err, const std::string& msg) {
  if (err) *err = dup_bytes(msg, nullptr);
  return 1;
}

// 把调用方的文本数组逐条交给训练器（跳过空串）。
class ArrayIterator : public sentencepiece::SentenceIterator {
 public:
  ArrayIterator(const char* const* texts, const size_t* lens, size_t n) : texts_(texts), lens_(lens), n_(n) { load(); }
  bool done() const override { return i_ >= n_; }
  void Next() override {
    ++i_;
    load();
  }
  const std::string& value() const override { return cur_; }
  sentencepiece::util::Status status() const override { return sentencepiece::util::Status(); }

 private:
  void load() {
    while (i_ < n_ && lens_[i_] == 0) ++i_;
    if (i_ < n_) cur_.assign(texts_[i_], lens_[i_]);
  }
  const char* const* texts_;
  const size_t* lens_;
  size_t n_;
  size_t i_ = 0;
  std::string cur_;
};

}  // namespace

extern "C" {

// 训练：texts/lens 为 n 条文本；keys/values 为 nargs 个训练参数（SentencePiece 的选项名）。
// 成功时 *out 为序列化的模型（*out_len 字节）。
int seqrec_spm_train(const char* const* texts, const size_t* lens, size_t n, const char* const* keys,
                     const char* const* values, size_t nargs, unsigned seed, char** out, size_t* out_len, char** err) {
  try {
    static std::mutex m;  // 训练器使用全局状态（随机种子、日志级别）
    std::lock_guard<std::mutex> lock(m);
    sentencepiece::SetRandomGeneratorSeed(seed);
    std::unordered_map<std::string, std::string> args;
    for (size_t i = 0; i < nargs; ++i) args[keys[i]] = values[i];
    ArrayIterator it(texts, lens, n);
    std::string proto;
    const auto st = sentencepiece::SentencePieceTrainer::Train(args, &it, &proto);
    if (!st.ok()) return fail(err, st.ToString());
    *out = dup_bytes(proto, out_len);
    return *out ? 0 : fail(err, "out of memory");
  } catch (const std::exception& e) {
    return fail(err, e.what());
  }
}

// 从序列化的模型创建处理器；失败返回空指针。
void* seqrec_spm_load(const char* bytes, size_t len, char** err) {
  try {
    auto* sp = new sentencepiece::SentencePieceProcessor();
    const auto st = sp->LoadFromSerializedProto(std::string(bytes, len));
    if (!st.ok()) {
      delete sp;
      fail(err, st.ToString());
      return nullptr;
    }
    return sp;
  } catch (const std::exception& e) {
    fail(err, e.what());
    return nullptr;
  }
}

void seqrec_spm_destroy(void* h) { delete static_cast<sentencepiece::SentencePieceProcessor*>(h); }

// 编码：*ids 为 malloc 的 int32 数组（*n 个）。线程安全（处理器只读）。
int seqrec_spm_encode(void* h, const char* text, size_t len, int32_t** ids, size_t* n, char** err) {
  try {
    std::vector<int> v;
    const auto st = static_cast<sentencepiece::SentencePieceProcessor*>(h)->Encode(std::string(text, len), &v);
    if (!st.ok()) return fail(err, st.ToString());
    *ids = static_cast<int32_t*>(std::malloc(sizeof(int32_t) * (v.empty() ? 1 : v.size())));
    if (!*ids) return fail(err, "out of memory");
    for (size_t i = 0; i < v.size(); ++i) (*ids)[i] = v[i];
    *n = v.size();
    return 0;
  } catch (const std::exception& e) {
    return fail(err, e.what());
  }
}

int seqrec_spm_size(void* h) { return static_cast<sentencepiece::SentencePieceProcessor*>(h)->GetPieceSize(); }

// 记号 ID 对应的片段（malloc 的字符串）。
char* seqrec_spm_piece(void* h, int id) {
  return dup_bytes(static_cast<sentencepiece::SentencePieceProcessor*>(h)->IdToPiece(id), nullptr);
}

void seqrec_spm_free(void* p) { std::free(p); }

}  // extern "C"
