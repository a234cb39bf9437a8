// 分词器实现：SentencePiece（unigram / bpe，经插件 libseqrec_spm.so）或整词词表（word）。
#include "data/tokenizer.h"

#include <dlfcn.h>
#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <sstream>
#include <unordered_map>

#include "core/error.h"

#ifndef SEQREC_SPM_PLUGIN_PATH
#define SEQREC_SPM_PLUGIN_PATH ""
#endif

namespace seqrec {

namespace {

// 插件的 C 接口（见 spm_plugin.cpp）。
struct SpmApi {
  int (*train)(const char* const*, const size_t*, size_t, const char* const*, const char* const*, size_t, unsigned,
               char**, size_t*, char**);
  void* (*load)(const char*, size_t, char**);
  void (*destroy)(void*);
  int (*encode)(void*, const char*, size_t, int32_t**, size_t*, char**);
  int (*size)(void*);
  char* (*piece)(void*, int);
  void (*free)(void*);
};

// 可执行文件所在目录。
std::string exe_dir() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return ".";
  std::string p(buf, static_cast<size_t>(n));
  const size_t slash = p.rfind('/');
  return slash == std::string::npos ? "." : p.substr(0, slash);
}

// 载入插件（只做一次）：SEQREC_SPM_PLUGIN → 可执行文件旁 → ../lib/seqrec/ → 构建目录。
// RTLD_DEEPBIND：插件与 libsentencepiece 优先绑定自己的符号（含内嵌的 protobuf），不与 LibTorch 的冲突。
const SpmApi& spm() {
  static SpmApi api{};
  static std::string error;
  static std::once_flag once;
  std::call_once(once, [] {
#if defined(__SANITIZE_ADDRESS__)
    // AddressSanitizer 的运行时拒绝 RTLD_DEEPBIND（会直接中止进程），而没有它两份 protobuf 会互相顶替：
    // 检测构建里不载入插件，给出清楚的说明（scripts/sanitize.sh 的测试据此跳过 SentencePiece 的用例）。
    error = "SentencePiece is not available in an AddressSanitizer build: its plugin must be loaded with "
            "dlopen(RTLD_DEEPBIND), which the sanitizer runtime refuses; use --tokenizer word";
    return;
#endif
    std::vector<std::string> tried;
    if (const char* env = std::getenv("SEQREC_SPM_PLUGIN")) tried.push_back(env);
    const std::string dir = exe_dir();
    tried.push_back(dir + "/libseqrec_spm.so");
    tried.push_back(dir + "/../lib/seqrec/libseqrec_spm.so");
    if (std::string(SEQREC_SPM_PLUGIN_PATH).size()) tried.push_back(SEQREC_SPM_PLUGIN_PATH);
    void* h = nullptr;
    std::string why;
    for (const auto& p : tried) {
      if (::access(p.c_str(), R_OK) != 0) continue;
      h = ::dlopen(p.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
      if (h) break;
      why = ::dlerror();
    }
    if (!h) {
      std::string list;
      for (const auto& p : tried) list += (list.empty() ? "" : ", ") + p;
      error = concat("the SentencePiece plugin libseqrec_spm.so was not found (tried ", list, ")",
                     why.empty() ? "" : concat("; ", why),
                     "; install it next to the seqrec binary, set SEQREC_SPM_PLUGIN, or use --tokenizer word");
      return;
    }
    auto sym = [&](const char* name) {
      void* p = ::dlsym(h, name);
      if (!p && error.empty()) error = concat("the SentencePiece plugin lacks ", name);
      return p;
    };
    api.train = reinterpret_cast<decltype(api.train)>(sym("seqrec_spm_train"));
    api.load = reinterpret_cast<decltype(api.load)>(sym("seqrec_spm_load"));
    api.destroy = reinterpret_cast<decltype(api.destroy)>(sym("seqrec_spm_destroy"));
    api.encode = reinterpret_cast<decltype(api.encode)>(sym("seqrec_spm_encode"));
    api.size = reinterpret_cast<decltype(api.size)>(sym("seqrec_spm_size"));
    api.piece = reinterpret_cast<decltype(api.piece)>(sym("seqrec_spm_piece"));
    api.free = reinterpret_cast<decltype(api.free)>(sym("seqrec_spm_free"));
  });
  if (!error.empty()) throw Error(error);
  return api;
}

// 取出插件返回的错误消息并释放。
std::string take_error(const SpmApi& api, char* err) {
  std::string s = err ? err : "unknown error";
  if (err) api.free(err);
  return s;
}

// 训练整词词表：按频次降序、同频按字典序，ID 0 留给 <unk>。
std::vector<std::string> train_words(const std::vector<std::string>& texts, int vocab_size) {
  std::unordered_map<std::string, int64_t> count;
  for (const auto& t : texts) {
    std::istringstream in(t);
    std::string w;
    while (in >> w) ++count[w];
  }
  std::vector<std::pair<std::string, int64_t>> v(count.begin(), count.end());
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::vector<std::string> words = {"<unk>"};
  for (const auto& [w, c] : v) {
    if (static_cast<int>(words.size()) >= vocab_size) break;
    words.push_back(w);
  }
  return words;
}

}  // namespace

void TokenizerOptions::validate() const {
  if (type != "auto" && type != "unigram" && type != "bpe" && type != "word")
    throw Error(concat("--tokenizer must be auto, unigram, bpe or word (got '", type, "')"));
  if (vocab_size < 16 || vocab_size > 1000000)
    throw Error(concat("--vocab-size must be in [16, 1000000] (got ", vocab_size, ")"));
  if (threads < 1 || threads > 128) throw Error(concat("--threads must be in [1, 128] (got ", threads, ")"));
}

ContentTokenizer::ContentTokenizer() = default;
ContentTokenizer::~ContentTokenizer() = default;
ContentTokenizer::ContentTokenizer(ContentTokenizer&&) noexcept = default;
ContentTokenizer& ContentTokenizer::operator=(ContentTokenizer&&) noexcept = default;

ContentTokenizer ContentTokenizer::train(const std::vector<std::string>& texts, const TokenizerOptions& opt,
                                         bool atomic) {
  opt.validate();
  std::string type = opt.type == "auto" ? (atomic ? "word" : "unigram") : opt.type;
  size_t nonempty = 0;
  for (const auto& t : texts) nonempty += t.empty() ? 0 : 1;
  if (nonempty == 0) throw Error("cannot train a tokenizer: every item text is empty");
  if (type == "word") {
    const std::vector<std::string> words = train_words(texts, opt.vocab_size);
    std::string bytes;
    for (const auto& w : words) bytes += w + "\n";
    return from_bytes("word", bytes);
  }
  const SpmApi& api = spm();
  const std::vector<std::pair<std::string, std::string>> args = {
      {"model_type", type},
      {"vocab_size", std::to_string(opt.vocab_size)},
      {"hard_vocab_limit", "false"},  // 语料小时词表可以小于 vocab_size，而不是报错
      {"character_coverage", "0.9995"},
      {"num_threads", std::to_string(opt.threads)},
      {"bos_id", "-1"},
      {"eos_id", "-1"},
      {"unk_id", "0"},
      {"max_sentence_length", "65536"},
      {"minloglevel", "2"},  // 只打印错误（训练日志很长）
  };
  std::vector<const char*> keys, values, ptrs;
  std::vector<size_t> lens;
  for (const auto& [k, v] : args) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  for (const auto& t : texts) {
    ptrs.push_back(t.data());
    lens.push_back(t.size());
  }
  char* out = nullptr;
  size_t out_len = 0;
  char* err = nullptr;
  if (api.train(ptrs.data(), lens.data(), ptrs.size(), keys.data(), values.data(), keys.size(),
                static_cast<unsigned>(opt.seed), &out, &out_len, &err) != 0)
    throw Error(concat("training the ", type, " tokenizer failed: ", take_error(api, err)));
  const std::string proto(out, out_len);
  api.free(out);
  return from_bytes(type, proto);
}

ContentTokenizer ContentTokenizer::from_bytes(const std::string& type, const std::string& bytes) {
  ContentTokenizer t;
  t.type_ = type;
  t.bytes_ = bytes;
  if (type == "word") {
    std::istringstream in(bytes);
    std::string w;
    while (std::getline(in, w)) {
      if (w.empty() || !t.word_index_.emplace(w, static_cast<int32_t>(t.words_.size())).second)
        throw Error(concat("word tokenizer: vocabulary line ", t.words_.size() + 1, " is empty or repeated"));
      t.words_.push_back(w);
    }
    if (t.words_.empty() || t.words_[0] != "<unk>") throw Error("word tokenizer: vocabulary must start with <unk>");
    return t;
  }
  if (type != "unigram" && type != "bpe") throw Error(concat("unknown tokenizer type '", type, "'"));
  const SpmApi& api = spm();
  char* err = nullptr;
  void* h = api.load(bytes.data(), bytes.size(), &err);
  if (!h) throw Error(concat("cannot load the ", type, " tokenizer: ", take_error(api, err)));
  t.sp_ = std::shared_ptr<void>(h, api.destroy);
  return t;
}

int ContentTokenizer::vocab_size() const {
  return sp_ ? spm().size(sp_.get()) : static_cast<int>(words_.size());
}

std::vector<int32_t> ContentTokenizer::encode(std::string_view text, int max_tokens) const {
  std::vector<int32_t> ids;
  if (sp_) {
    const SpmApi& api = spm();
    int32_t* v = nullptr;
    size_t n = 0;
    char* err = nullptr;
    if (api.encode(sp_.get(), text.data(), text.size(), &v, &n, &err) != 0)
      throw Error(concat("tokenizer: ", take_error(api, err)));
    ids.assign(v, v + n);
    api.free(v);
  } else {
    size_t i = 0;
    while (i < text.size()) {
      while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n')) ++i;
      size_t j = i;
      while (j < text.size() && text[j] != ' ' && text[j] != '\t' && text[j] != '\n') ++j;
      if (j > i) {
        auto it = word_index_.find(std::string(text.substr(i, j - i)));
        ids.push_back(it == word_index_.end() ? 0 : it->second);
      }
      i = j;
    }
  }
  if (max_tokens > 0 && static_cast<int>(ids.size()) > max_tokens) ids.resize(static_cast<size_t>(max_tokens));
  return ids;
}

std::string ContentTokenizer::piece(int32_t id) const {
  if (id < 0 || id >= vocab_size()) throw Error(concat("token id ", id, " out of range [0, ", vocab_size(), ")"));
  if (!sp_) return words_[static_cast<size_t>(id)];
  char* p = spm().piece(sp_.get(), id);
  std::string out = p ? p : "";
  spm().free(p);
  return out;
}

}  // namespace seqrec
