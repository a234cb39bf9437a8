// 交互数据（user, item, timestamp[, rating]）的 CSV/DAT 读取器。
// 支持：表头或无表头、可配置列名与分隔符（含多字符分隔符，如 MovieLens ratings.dat 的 "::"）、
// 双引号字段。坏文件会抛出 Error，指明文件、行号和期望的内容。
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "data/id_map.h"

namespace seqrec {

// 读取选项。列名为空或为默认值时，会尝试常见别名（如 MovieLens 的 userId/movieId）。
struct CsvOptions {
  std::string sep = "auto";      // 分隔符；"auto" 根据首行推断（"::"、制表符、";"、","）
  std::string header = "auto";   // "yes" / "no" / "auto"（首行的时间列是数字则视为无表头）
  std::vector<std::string> columns;  // 无表头时各列的名字；为空则按列数取默认
  std::string user_col = "user_id";
  std::string item_col = "item_id";
  std::string time_col = "timestamp";
  std::string rating_col = "rating";  // 可选列：不存在时不报错（除非要按评分过滤）

  // 校验选项本身（不是数据），出错抛 Error。
  void validate() const;
};

// 读入的原始交互；users/items 按首次出现顺序编号。
struct Interactions {
  IdMap users;
  IdMap items;
  std::vector<int32_t> user;
  std::vector<int32_t> item;
  std::vector<double> time;
  std::vector<float> rating;  // 没有评分列时为空
  std::vector<int8_t> type;   // 事件类型（EventKind 的值，data/events.h：点击/加购/下单）；没有类型时为空
  // 每个交互作为训练目标的权重（≥ 0；按事件类型的权重，见 data/event_types.h）；为空 = 都是 1。
  std::vector<float> weight;
  int64_t lines = 0;          // 读到的数据行数（不含表头与空行）
  size_t size() const { return user.size(); }
};

// 从文件读取。
Interactions read_interactions(const std::string& path, const CsvOptions& opt);
// 从内存文本读取；what 用于错误消息（通常是文件路径）。
Interactions parse_interactions(const std::string& text, const std::string& what,
                                const CsvOptions& opt);
// 按分隔符切分一行；单字符分隔符时支持 RFC 4180 风格的双引号字段（物品内容等读取器共用）。
std::vector<std::string> split_line(std::string_view line, const std::string& sep);
// 在表头中找列（交互与会话的读取器共用）：given 非空时只找这个名字；为空时按 aliases 的顺序找第一个存在的。
// 找不到返回 -1。
int find_column(const std::vector<std::string>& header, const std::string& given, const std::vector<std::string>& aliases);
// 由首行推断分隔符（"::"、制表符、";"、","）。
std::string detect_sep(std::string_view first);
// 以 user_id,item_id,timestamp 表头写出（原子写入）。
void write_interactions_csv(const std::string& path, const Interactions& data);

}  // namespace seqrec
