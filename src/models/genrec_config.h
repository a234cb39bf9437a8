// 生成式检索模型（ColaRec / TIGER 式）的结构选项与记号布局。
//
// 编码器的输入是一串记号（共用一张嵌入表），布局为：
//   [0, 4)                         特殊记号：PAD = 0、REC（推荐任务）= 1、IDX（物品索引任务）= 2、SEP = 3
//   [4, 4 + V)                     物品内容的记号（分词器的词表，V = content_vocab；无内容时 V = 0）
//   [4 + V, 4 + V + I)             物品记号（每个物品一个）
//   [4 + V + I, 4 + V + I + U)     用户记号（每个训练用户一个，只出现在物品索引任务中）
// 推荐任务的输入：REC，然后对历史中每个物品（最近 max_len 个，从旧到新）依次放它的内容记号（至多
// content_len 个）和它的物品记号。物品索引任务的输入：IDX，物品的内容记号，物品记号，再加至多
// index_users 个与它交互过的用户的记号。
// sid_input 为真时（TIGER 式的参数共享），推荐任务输入中每个物品记号的嵌入再加上该物品语义 ID 各层的
// 码本嵌入（与解码器共用 code_emb）：语义 ID 相近的物品输入相近，交互少的物品借到同簇物品的训练信号。
// 物品索引任务的输入不加（它的目标就是该物品自己的语义 ID，加上就泄露了答案）。
// sid_input_only 为真时（须同时 sid_input），这些物品只用码本嵌入之和表示，不用物品记号自己的嵌入
// （TIGER 的做法：输入只有语义 ID；交互少的物品不再有一行几乎没训练过的嵌入）。物品索引任务等物品侧
// 的输入里，物品记号也不用自己的嵌入（只是内容平均与位置的载体）：否则索引任务只会把每个物品的嵌入
// 学成它自己 ID 的查表，而推荐任务从不读这张表；不用它时，索引任务教的是"内容 + 用户 → ID"。
// pos_from_end 为真时，编码器的位置从输入的最后一个记号往前数（最后一个记号的位置为 0）：不论历史多长，
// 最近一次点击总用同一行位置嵌入（与 SASRec 左侧填充的效果相同）；为假时从第一个记号（任务记号）往后数。
// content_pool 为真时（须有内容），物品的内容记号不再逐个放进输入序列，而是取其嵌入的平均值，加到该物品
// 记号的输入向量上（推荐与物品索引两种任务都加）：每个物品只占一个位置，序列短 content_len + 1 倍，
// 内容直接成为物品表示的一部分（sid_input_only 时即"码本嵌入之和 + 内容平均"）；没有内容的物品加 0。
// dense_head 为真时（LIGER 式的稠密头），模型另有一个稠密打分：用户向量是编码器最后一个记号的输出，
// 物品向量是该物品记号自己的嵌入，加上它在推荐任务输入里另加的部分（sid_input 时语义 ID 各层码本嵌入之和，
// content_pool 时内容平均），不含位置；得分是两者的内积（输入与输出共用物品表示，与 SASRec 相同，不增加参数）。
// sid_input_only 时输入不用物品记号自己的嵌入，输出仍用：否则同一语义 ID 前缀下的物品只靠末位码区分，
// 稠密头分不开它们（合成数据上，不加这一行时纯稠密检索的 HR@10 只有 0.39，加上后 0.72）；
// 这一行只由稠密头的损失训练。训练时以全量 softmax 交叉熵学习（--w-dense），生成时与束搜索的得分
// 按 dense_mix 混合（见 genrec_native.h）。
// 解码器逐层输出目标物品的语义 ID：第 t 步的输入是上一层记号在第 t-1 层码本中的嵌入（第 0 步为 BOS），
// 输出与第 t 层码本的嵌入做内积得到该层的 logits（输入与输出共享每层的码本嵌入）。
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/safetensors.h"

namespace seqrec {

// 生成式模型在模型表（models/registry.cpp）与 manifest 里的名字。
inline constexpr const char* kColarecName = "colarec";

struct GenRecConfig {
  int num_items = 0;
  int num_users = 0;
  int content_vocab = 0;  // 内容词表大小；0 表示不使用内容
  int content_len = 8;    // 每个物品保留的内容记号数
  int max_len = 20;       // 推荐任务使用的最近历史物品数
  int index_users = 5;    // 物品索引任务输入中的用户数
  int dim = 128;
  int heads = 4;
  int ffn_dim = 256;
  int enc_layers = 2;
  int dec_layers = 2;
  std::vector<int32_t> codebook_sizes;  // 每层语义 ID 的码本大小（长度 = 语义 ID 的记号数）
  bool sid_input = false;  // 推荐任务输入的物品嵌入加上其语义 ID 的码本嵌入（见文件头）
  bool sid_input_only = false;  // 同上，且不用物品记号自己的嵌入（见文件头；须 sid_input）
  bool pos_from_end = false;  // 编码器位置从最后一个记号往前数（见文件头）
  bool content_pool = false;  // 内容记号取平均加到物品记号上，而不逐个放进序列（见文件头；须有内容）
  bool dense_head = false;    // 模型带稠密打分头（见文件头）：训练时 --w-dense > 0

  static constexpr int kPad = 0, kRec = 1, kIdx = 2, kSep = 3, kSpecial = 4;
  int content_offset() const { return kSpecial; }
  int item_offset() const { return kSpecial + content_vocab; }
  int user_offset() const { return item_offset() + num_items; }
  int vocab() const { return user_offset() + num_users; }
  int levels() const { return static_cast<int>(codebook_sizes.size()); }
  // 输入序列里每个物品占用的内容记号数（无内容或 content_pool 时为 0）。
  int inline_content() const { return content_vocab > 0 && !content_pool ? content_len : 0; }
  // 推荐任务输入的最大长度（决定位置嵌入的行数）。
  int max_rec_tokens() const { return 1 + max_len * (inline_content() + 1); }
  int max_index_tokens() const { return 1 + inline_content() + 1 + index_users; }
  int max_tokens() const { return std::max(max_rec_tokens(), max_index_tokens()); }

  // 校验取值范围，出错抛出 Error（消息指明是哪个选项）。
  void validate() const;
  nlohmann::json to_json() const;
  static GenRecConfig from_json(const nlohmann::json& j);
};

// 一个物品的内容记号表：item_tokens[i] 为物品 i 的内容记号（已加 content_offset，至多 content_len 个）。
using ItemTokens = std::vector<std::vector<int32_t>>;

// 内容记号表存入模型文件的形式：F32 张量 content_tokens [I, content_len]，空位为 -1（记号 < 2^24，浮点精确）。
Tensor content_tokens_tensor(const GenRecConfig& c, const ItemTokens& content);

// 推荐任务的编码器输入：REC + 每个历史物品的（内容记号，物品记号），只取最近 max_len 个物品
// （content_pool 时不放内容记号）。
std::vector<int32_t> rec_input(const GenRecConfig& c, const ItemTokens& content, const int32_t* items, size_t n);
// 物品索引任务的编码器输入：IDX + 内容记号 + 物品记号 + 用户记号（users 中至多 index_users 个；
// content_pool 时不放内容记号）。
std::vector<int32_t> index_input(const GenRecConfig& c, const ItemTokens& content, int32_t item,
                                 const int32_t* users, size_t n_users);

}  // namespace seqrec
