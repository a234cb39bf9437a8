// train 与 eval 共用的数据选项：数据文件及其格式、过滤条件、内置合成数据的参数。
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/csv_reader.h"
#include "data/dataset.h"
#include "data/formats.h"
#include "data/synthetic.h"

namespace seqrec::app {

struct DataFlags {
  std::string data;  // 为空时使用内置合成数据
  std::string format = "auto";  // 文件格式（见 data/formats.h）
  std::string cache_dir;        // 预处理缓存目录；空 = 默认（见 data/cache.h）
  bool no_cache = false;        // 不读也不写缓存
  CsvOptions csv;
  FilterOptions filter;
  SyntheticOptions synthetic;
  std::string columns;  // 逗号分隔，解析后写入 csv.columns

  // 在子命令上注册选项。data_help 非空时替换 --data 的说明（eval 不读合成数据，而是读模型记录的数据）。
  void add_to(CLI::App* cmd, const char* data_help = nullptr);
  // 决定读哪些数据、如何过滤与划分的选项名（即除 --data 与缓存选项之外的全部）。
  static std::vector<std::string> shaping_options();
  // 描述数据来源与全部选项（写入 manifest，eval 据此重建同一数据集）。
  nlohmann::json to_json() const;
  // 从 manifest 中的描述还原。
  static DataFlags from_json(const nlohmann::json& j);
  // 读取（或生成）并构建序列数据集。
  SequenceData load() const;
};

}  // namespace seqrec::app
