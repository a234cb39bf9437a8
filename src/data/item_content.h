// 物品内容（标题、品牌、类目、属性……）的读取：物品 ID → 一段文本，供生成式检索模型读入。
//
// 支持的文件：
//   JSON 对象  {"物品id": 值, ...}，值可以是
//                字符串                          → 原样作为文本；
//                对象（如 corpus_512.json）       → 取 --content-fields 指定的字段；未指定时取
//                                                  "content" 或 "text"，都没有则把所有字符串 /
//                                                  字符串数组字段拼成 "字段名 值 ..."；
//                数组（如 Beauty_item2attributes） → 每个元素是一个原子属性，文本为 "a<值> ..."，
//                                                  并标记 atomic（适合逐词的分词器）。
//   CSV/TSV/DAT 有表头或无表头（如 MovieLens movies.csv / movies.dat）：--content-id-col 指定物品列
//              （默认 item_id / movieId / MovieID / id / asin / aid，或第一列），--content-cols
//              指定拼成文本的列（默认其余全部列）；'|' 分隔的多值列（genres）拆成空格。
// 文本统一做规范化：常见 HTML 实体解码（&amp; &quot; &reg; ...）、空白压缩；不是合法 UTF-8
// 的文件按 Latin-1 转码（ml-1m 的 movies.dat）。
// 所有错误都指明文件与行号（JSON 指明物品 ID）。
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/id_map.h"

namespace seqrec {

// 读取选项。
struct ContentOptions {
  std::string id_col;                     // CSV：物品 ID 列（空 = 按别名猜，猜不到用第一列）
  std::vector<std::string> text_cols;     // CSV：拼成文本的列（空 = 除 ID 列外的全部列）
  std::vector<std::string> json_fields;   // JSON 对象值：拼成文本的字段（空 = 见文件头注释）
  std::string sep = "auto";               // CSV 分隔符（auto 按首行推断）
  bool title_only = false;                // CSV：只取标题一列（表头里的 title / name，无表头时 ID 之后的第一列）
};

// 读取结果：按文件中的顺序。
struct ItemContent {
  std::vector<std::string> ids;    // 外部物品 ID
  std::vector<std::string> texts;  // 规范化后的文本（可以为空串）
  bool atomic = false;             // 内容是属性 ID 列表（每个词是一个不可再分的记号）
};

// 从文件读取；格式按扩展名与首个非空字符判断（'{' 为 JSON，其余为 CSV）。
ItemContent read_item_content(const std::string& path, const ContentOptions& opt);
// 从内存文本读取；what 用于错误消息。
ItemContent parse_item_content(const std::string& text, const std::string& what, const ContentOptions& opt);

// 按数据集的物品映射对齐：返回 [items.size()] 个文本（第 i 个是内部下标 i 的物品），没有内容的
// 物品为空串；missing（可为空）返回这样的物品数。
std::vector<std::string> align_content(const ItemContent& content, const IdMap& items, int64_t* missing);

// 物品标题（train --item-titles）：读 path（title_only），只留 items 里有的物品，返回 {外部 ID: 标题}；
// matched（可为空）返回有标题的物品数。文件里一个模型物品都对不上时报错（多半是文件或 ID 列不对）。
nlohmann::json read_item_titles(const std::string& path, const IdMap& items, int64_t* matched);

// 文本规范化（读取器内部使用，公开以便测试）：HTML 实体解码、控制字符换成空格、空白压缩、去首尾空白。
std::string normalize_text(const std::string& s);
// s 是否为合法 UTF-8。
bool valid_utf8(const std::string& s);
// 把 Latin-1 字节串转成 UTF-8。
std::string latin1_to_utf8(const std::string& s);

}  // namespace seqrec
