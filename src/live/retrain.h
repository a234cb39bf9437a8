// 持续训练（seqrec retrain 与 serve --retrain-every）：从事件存储（可再加原始数据文件）重建训练数据，
// 以最近一段时间的事件为留出集，从当前模型热启动训练一个候选模型，在同一个留出集上比较候选与当前模型，
// 只有候选不比当前差太多（--max-regression）时才算通过质量门。候选总会导出（带 lineage），
// 是否上线由调用方按结果决定（serve 里热加载，命令行以退出码告知）。
//
// 时间切分（与 train --split-mode temporal 相同的规则）：全部事件按时间取分位数，最后 holdout 为留出期
// （质量门用），其前 valid 为验证期（训练挑最佳一轮用），更早的是训练期；候选不学留出期与验证期的事件。
// 留出期的每个事件是一个用例：历史 = 该用户此前的全部事件，目标 = 这个事件的物品（与服务收到请求时相同）。
#pragma once

#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "data/csv_reader.h"
#include "data/event_types.h"
#include "store/history_store.h"

namespace seqrec {

// retrain 的选项。
struct RetrainOptions {
  std::string current;           // 当前模型目录（父模型）
  std::string out;               // 候选模型的输出目录（原子地替换）
  std::string data;              // 可选：与存储合并的原始交互文件（时间为 Unix 秒）；擦除名单里的用户被去掉
  CsvOptions csv;                // data 的读取选项
  // 事件类型与权重（name[:weight],...，见 data/event_types.h）。空 = 沿用当前模型 manifest 记下的
  // （data.options.event_types），它也没有时为存储登记的全部类型、权重都是 1。存储里有、列表里没有的
  // 类型权重为 0（只作为历史）；data 文件的交互算作列表里的第一个类型。
  std::string event_types;
  double valid_frac = 0.05;      // 验证期占全部事件的比例
  double holdout_frac = 0.05;    // 留出期占全部事件的比例
  std::string gate_metric = "NDCG@10";  // 质量门比较的指标：HR@K 或 NDCG@K
  double max_regression = 0.02;  // 候选可以比当前模型差的相对比例（0.02 = 差 2% 以内仍通过）
  int gate_cases = 20000;        // 至多用这么多留出用例（多于此数时等间隔抽取）
  bool warm_start = true;        // 从当前模型热启动（模型不支持时说明原因并从随机初始化训练）
  int epochs = 0;                // 0 = 沿用当前模型记录的训练轮数
  int patience = -1;             // -1 = 沿用当前模型记录的早停耐心
  int threads = 2;
  int64_t min_events = 0;        // 存储里的事件少于此数时不训练，抛出 Error
  bool progress = true;          // 终端上的进度行
  void validate() const;
};

// 一次 retrain 的结果。
struct RetrainResult {
  bool promoted = false;           // 是否通过质量门
  std::string reason;              // 一句话：通过或拒绝的原因
  double candidate = 0, current = 0;  // 两个模型在留出集上的门指标
  double seconds = 0;              // 总耗时
  double peak_rss_mib = 0;         // 进程到此为止的峰值常驻内存（MiB）
  nlohmann::ordered_json lineage;  // 写进候选 manifest 的 lineage
};

// 运行一次（见文件头）。log：进度与摘要行（可为 nullptr）。数据、模型或选项有问题时抛出 Error，什么也不导出。
RetrainResult retrain(const HistoryStore& store, const std::string& store_name, const RetrainOptions& opt,
                      std::FILE* log);

}  // namespace seqrec
