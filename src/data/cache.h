// 预处理缓存：把读入、过滤、编号、排序之后的 SequenceData 存成二进制文件，第二次运行时不再解析文本。
//
// 缓存键 = sha256(数据文件的绝对路径、大小、修改时间，以及格式/列/过滤等全部选项，缓存格式版本)。
// 文件任何一项变化都会换一个键；缓存文件损坏或版本不符时忽略它并重新解析（不会报错，也不会用错数据）。
// 写入是原子的（临时文件 + 改名），并发的两次运行最多各写一遍。
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "data/dataset.h"

namespace seqrec {

// 默认缓存目录：$SEQREC_CACHE_DIR，否则 $XDG_CACHE_HOME/seqrec，否则 $HOME/.cache/seqrec；都没有时为空（不缓存）。
std::string default_cache_dir();

// 由数据文件与读取选项（任意 JSON）算出缓存文件路径。数据文件不存在时抛出 Error。
std::string cache_path(const std::string& cache_dir, const std::string& data_file, const nlohmann::json& options);

// 序列化 / 反序列化（反序列化失败时返回空，并在 why 中说明原因）。
std::string encode_sequence_data(const SequenceData& d);
std::optional<SequenceData> decode_sequence_data(const std::string& bytes, std::string* why);

}  // namespace seqrec
