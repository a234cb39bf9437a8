// 嵌入式的历史存储：SQLite（Debian 的 libsqlite3-dev），WAL 模式，一个目录一个数据库文件（events.db）。
// 一台机器上什么都不用另装、另启动。
//
// 写：所有 append 交给一个提交线程，它把同时等待的几批合进一个事务一起提交（group commit），
// 每个调用在自己的批提交之后才返回。fsync 策略下每次提交都把 WAL 同步到磁盘，所以并发越高，
// 每次同步分摊的事件越多。提交只追加到按到达编号的事件表（顺序写）；按用户的索引（by_user 表）不随每次
// 提交更新（随机用户的每个事件都会弄脏一个索引页，WAL 的写入量是事件本身的几十倍），而是记在内存里的
// “尾巴”上，攒够 index_batch 个之后按用户排序、在一个事务里写入（每页只写一次），同时记下索引到了哪个编号。
// 尾巴只是索引的缓存：事件本身提交即持久，崩溃之后打开时从事件表里重建尾巴。
// 读：独立的只读连接（WAL 下读不挡写）；按用户读最近历史 = 索引里的 + 尾巴里的。
// 格式有版本（PRAGMA user_version）：打开时版本不认识、不是 SQLite 文件或文件损坏，都以指明原因的 Error 拒绝。
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "store/history_store.h"

namespace seqrec {

// SQLite 存储的选项。
struct SqliteStoreOptions {
  std::string durability = "fsync";  // fsync：提交即落盘；async：只防进程崩溃（见 history_store.h）
  int busy_timeout_ms = 5000;        // 数据库被别的进程锁住时等多久
  int64_t max_mb = 0;                // > 0：数据库文件至多这么多 MiB，满了之后的写入以 StoreFull 拒绝（0 = 不限，直到磁盘满）
  // 按用户的索引（by_user 表）攒够这么多新事件才按用户排序成批写入一次（见下面的“写”）；测试用小值走遍各条路径。
  int64_t index_batch = 20000;
  // 只读取（seqrec retrain 读别的进程正在写的存储）：不取写者锁。写入者（serve）取一把排他的文件锁
  // （<dir>/events.db.writer），第二个写入者在启动时被拒绝：按用户的尾巴只在写入者的内存里，两个写入者会互相看不到。
  bool reader = false;
  void validate() const;
};

// 打开（或创建）dir 下的存储。dir 不存在时创建；打不开、版本不对或损坏时抛出 Error。
std::unique_ptr<HistoryStore> open_sqlite_store(const std::string& dir, const SqliteStoreOptions& opt = {});

// 当前的存储格式版本（写进 PRAGMA user_version）。版本 2 加了擦除名单（erased 表），版本 3 加了事件类型的
// 编号表（event_types），版本 4 把按用户的索引换成成批写入的 by_user 表（与 meta 表里的 indexed_upto）；打开旧版本的存储时在一个事务里原地升级（迁移按版本逐级进行，见 sqlite_store.cpp 的 kMigrations）。
inline constexpr int kSqliteStoreVersion = 4;

}  // namespace seqrec
