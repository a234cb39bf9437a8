// 交互数据的各种文件格式，全部读成同一个 Interactions，之后走同一条过滤 / 映射 / 切分流水线。
//
//   csv        user,item,timestamp[,rating] 的 CSV/TSV/DAT（见 csv_reader.h）
//   seq        序列文件，每行一个用户，从旧到新：
//                seq-plain  只有物品，行号（从 1 开始）即用户（ml-1m-seq/train/input.txt）
//                seq-uid    "uid i1 i2 ..."（Beauty.txt）
//                seq-pairs  每行一个 "user item"，同一用户的行按时间顺序（Video.txt）
//              时间戳取位置（同一用户内的序号；pairs 取全局行号），稳定排序保持原顺序。
//   inter      RecBole 原子文件：首行是带类型的表头（如 "session:token\taid:token\tts:float"）
//   otto       OTTO JSONL：{"session":N,"events":[{"aid":N,"ts":MS,"type":"clicks|carts|orders"}]}（解析见 otto_jsonl.h）
//
// "auto" 按扩展名与内容判断（见 detect_format）。所有错误都指明文件、行号和期望的内容。
#pragma once

#include <string>

#include "data/csv_reader.h"

namespace seqrec {

enum class DataFormat { kAuto, kCsv, kSeqAuto, kSeqPlain, kSeqUid, kSeqPairs, kInter, kOtto };

// 解析 --format 的取值（auto, csv, seq, seq-plain, seq-uid, seq-pairs, inter, otto）。
DataFormat parse_data_format(const std::string& s);

// 按扩展名与文本内容判断格式（不会返回 kAuto；序列文件会细分为 plain/uid/pairs）。
DataFormat detect_format(const std::string& path, const std::string& text);

// 读取任意格式的文件；csv 选项只用于 CSV。
Interactions read_any(const std::string& path, DataFormat format, const CsvOptions& csv);
// 从内存文本读取（测试与 read_any 共用）；what 用于错误消息。
Interactions parse_any(const std::string& text, const std::string& what, DataFormat format, const CsvOptions& csv,
                       const std::string& path_for_detection = "");

// 各格式的解析器。
Interactions parse_sequences(const std::string& text, const std::string& what, DataFormat format);
Interactions parse_recbole_inter(const std::string& text, const std::string& what);
Interactions parse_otto_jsonl(const std::string& text, const std::string& what);

}  // namespace seqrec
