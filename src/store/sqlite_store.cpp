// SQLite 历史存储的实现：模式与版本、提交线程（group commit）、只读连接。
#include "store/sqlite_store.h"

#include <sqlite3.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "core/error.h"

namespace fs = std::filesystem;

namespace seqrec {

void SqliteStoreOptions::validate() const {
  if (durability != "fsync" && durability != "async")
    throw Error(concat("--durability must be fsync or async, got '", durability, "'"));
  if (busy_timeout_ms < 0) throw Error(concat("busy timeout must be >= 0 ms, got ", busy_timeout_ms));
  if (max_mb < 0) throw Error(concat("--store-max-mb must be >= 0 (0 = no limit), got ", max_mb));
  if (index_batch < 1) throw Error(concat("event store: index batch must be >= 1, got ", index_batch));
}

namespace {

// 预编译语句（RAII）。
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK)
      throw Error(concat("event store: cannot prepare '", sql, "': ", sqlite3_errmsg(db)));
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  sqlite3_stmt* get() const { return s_; }
  void text(int i, const std::string& v) { sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT); }
  void text_or_null(int i, const std::string& v) {
    if (v.empty()) sqlite3_bind_null(s_, i);
    else text(i, v);
  }
  void i64(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); }
  // 执行一步：SQLITE_ROW 返回 true，SQLITE_DONE 返回 false，其他抛出 Error。
  bool step() {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    if ((rc & 0xff) == SQLITE_FULL) throw StoreFull(concat("event store is full: ", sqlite3_errmsg(db_)));
    throw Error(concat("event store: ", sqlite3_errmsg(db_)));
  }
  void reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  std::string col_text(int c) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, c));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s_, c))) : std::string();
  }
  int64_t col_i64(int c) const { return sqlite3_column_int64(s_, c); }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
};

// 执行不返回行的 SQL；出错时抛出带 what 的 Error。
void exec(sqlite3* db, const char* sql, const std::string& what) {
  char* err = nullptr;
  if (const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err); rc != SQLITE_OK) {
    const std::string msg = err ? err : sqlite3_errmsg(db);
    sqlite3_free(err);
    if ((rc & 0xff) == SQLITE_FULL) throw StoreFull(concat(what, ": the event store is full: ", msg));
    throw Error(concat(what, ": ", msg));
  }
}

// 打开一个连接；失败时关闭并抛出 Error。
sqlite3* open_db(const std::string& path, int flags, int busy_ms) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    const std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    throw Error(concat("event store '", path, "': cannot open: ", msg));
  }
  sqlite3_busy_timeout(db, busy_ms);
  sqlite3_extended_result_codes(db, 1);
  return db;
}

// 事件表的一行：从第 first 列起依次是 user_id、item_id、type、ts、event_id（全表遍历与重建尾巴共用）。
constexpr const char* kEventColumns = "user_id, item_id, type, ts, event_id";
void read_event(const Stmt& s, int first, StoredEvent* e) {
  e->user_id = s.col_text(first);
  e->item_id = s.col_text(first + 1);
  e->type = static_cast<uint8_t>(s.col_i64(first + 2));
  e->ts_ms = s.col_i64(first + 3);
  e->event_id = s.col_text(first + 4);
}

// 一个查询的单个整数结果。
int64_t query_i64(sqlite3* db, const char* sql) {
  Stmt s(db, sql);
  return s.step() ? s.col_i64(0) : 0;
}

// 版本 1 的模式：事件按到达次序编号；按（用户，时间，到达）的索引支撑“最近 N 个”；event_id 唯一（NULL 不冲突）。
constexpr const char* kSchemaV1 =
    "CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT NOT NULL, item_id TEXT NOT NULL, "
    "type INTEGER NOT NULL, ts INTEGER NOT NULL, event_id TEXT UNIQUE);"
    "CREATE INDEX events_by_user ON events(user_id, ts, seq);";

// 逐级迁移：kMigrations[v - 1] 把版本 v 升到 v + 1（新建的存储从版本 1 的模式开始，同样走完全部迁移）。
constexpr const char* kMigrations[] = {
    // 1 → 2：擦除名单。
    "CREATE TABLE erased (user_id TEXT PRIMARY KEY, erased_at INTEGER NOT NULL);",
    // 2 → 3：事件类型的编号表（可配置的类型，见 data/event_types.h）；内置的三个编号不变。
    "CREATE TABLE event_types (code INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
    "INSERT INTO event_types (code, name) VALUES (0, 'clicks'), (1, 'carts'), (2, 'orders');",
    // 3 → 4：按用户的索引从随每次插入更新的 SQLite 索引换成成批写入的 by_user 表（只含键，事件本身按 seq 查），
    // meta.indexed_upto 记下 by_user 收到了哪个编号为止（之后的在内存的尾巴里，打开时重建）。
    "CREATE TABLE by_user (user_id TEXT NOT NULL, ts INTEGER NOT NULL, seq INTEGER NOT NULL, "
    "PRIMARY KEY (user_id, ts, seq)) WITHOUT ROWID;"
    "INSERT INTO by_user (user_id, ts, seq) SELECT user_id, ts, seq FROM events ORDER BY user_id, ts, seq;"
    "DROP INDEX events_by_user;"
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "INSERT INTO meta (key, value) VALUES ('indexed_upto', (SELECT COALESCE(MAX(seq), 0) FROM events));",
};
static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == kSqliteStoreVersion - 1, "one migration per version step");

class SqliteStore : public HistoryStore {
 public:
  SqliteStore(const std::string& dir, const SqliteStoreOptions& opt) : opt_(opt) {
    opt.validate();
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw Error(concat("event store '", dir, "': cannot create the directory: ", ec.message()));
    path_ = (fs::path(dir) / "events.db").string();
    if (!opt.reader) lock_writer(dir);
    wdb_ = open_db(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, opt.busy_timeout_ms);
    try {
      prepare_schema();
      load_tail();
      rdb_ = open_db(path_, SQLITE_OPEN_READONLY, opt.busy_timeout_ms);
      // 按用户读最近历史在每个按用户 ID 的推荐里都要做：语句只编译一次。索引里的键按 seq 回到事件表取内容。
      recent_ = std::make_unique<Stmt>(
          rdb_, "SELECT e.item_id, e.type, e.ts, e.event_id, e.seq FROM by_user b JOIN events e ON e.seq = b.seq "
                "WHERE b.user_id = ?1 ORDER BY b.ts DESC, b.seq DESC LIMIT ?2");
    } catch (...) {
      sqlite3_close(rdb_);
      sqlite3_close(wdb_);
      if (lock_fd_ >= 0) ::close(lock_fd_);
      throw;
    }
    committer_ = std::thread([this] { commit_loop(); });
  }

  // 写者锁：<dir>/events.db.writer 上的排他 flock（进程退出时由内核释放，kill -9 之后也不用手工清理）。
  void lock_writer(const std::string& dir) {
    const std::string lock_path = (fs::path(dir) / "events.db.writer").string();
    lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd_ < 0) throw Error(concat("event store '", dir, "': cannot open ", lock_path, ": ", std::strerror(errno)));
    if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(lock_fd_);
      lock_fd_ = -1;
      throw Error(concat("event store '", dir, "' is already open for writing by another seqrec serve; one process "
                         "writes a SQLite store (replicas share a Redis store: --store redis://HOST:PORT)"));
    }
  }

  ~SqliteStore() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    work_cv_.notify_all();
    committer_.join();
    recent_.reset();  // 语句先于它的连接释放
    sqlite3_close(rdb_);
    sqlite3_close(wdb_);
    if (lock_fd_ >= 0) ::close(lock_fd_);  // 释放写者锁
  }

  AppendResult append(const std::vector<StoredEvent>& events) override {
    if (events.empty()) return {};
    Pending p;
    p.events = &events;
    std::unique_lock<std::mutex> lock(mu_);
    queue_.push_back(&p);
    work_cv_.notify_one();
    done_cv_.wait(lock, [&] { return p.done; });
    if (p.full) throw StoreFull(p.error);
    if (!p.error.empty()) throw Error(p.error);
    return p.result;
  }

  std::vector<StoredEvent> recent(const std::string& user_id, size_t n) const override {
    std::vector<StoredEvent> out;
    if (n == 0) return out;
    // 先取尾巴、再查索引：写索引的一方先提交再清尾巴，所以这个次序下一个事件至少出现在两者之一里
    // （两边都有时按 seq 去重）。
    std::vector<SeqEvent> all;
    {
      std::lock_guard<std::mutex> lock(tail_mu_);
      if (const auto it = tail_.find(user_id); it != tail_.end()) all = it->second;
    }
    {
      std::lock_guard<std::mutex> lock(read_mu_);
      Stmt& s = *recent_;
      s.reset();
      s.text(1, user_id);
      s.i64(2, static_cast<int64_t>(std::min<size_t>(n, static_cast<size_t>(INT64_MAX))));
      while (s.step()) {
        SeqEvent x;
        x.e.user_id = user_id;
        x.e.item_id = s.col_text(0);
        x.e.type = static_cast<uint8_t>(s.col_i64(1));
        x.e.ts_ms = s.col_i64(2);
        x.e.event_id = s.col_text(3);
        x.seq = s.col_i64(4);
        all.push_back(std::move(x));
      }
      s.reset();  // 释放读事务，不让它拖住 WAL 的检查点
    }
    // 按（时间，到达）排序、去重，取最后 n 个（从旧到新）。
    std::sort(all.begin(), all.end(), [](const SeqEvent& a, const SeqEvent& b) {
      return a.e.ts_ms != b.e.ts_ms ? a.e.ts_ms < b.e.ts_ms : a.seq < b.seq;
    });
    all.erase(std::unique(all.begin(), all.end(), [](const SeqEvent& a, const SeqEvent& b) { return a.seq == b.seq; }),
              all.end());
    const size_t from = all.size() > n ? all.size() - n : 0;
    out.reserve(all.size() - from);
    for (size_t i = from; i < all.size(); ++i) out.push_back(std::move(all[i].e));
    return out;
  }

  int64_t erase_user(const std::string& user_id) override {
    std::lock_guard<std::mutex> lock(write_mu_);
    // 删除事件与记入擦除名单在同一个事务里：要么都做了，要么都没做。
    exec(wdb_, "BEGIN IMMEDIATE", "event store: erase");
    try {
      // 用户的事件 = 索引里的 + 尾巴里的（尾巴只在持有 write_mu_ 时改变，这里读到的是完整的）。
      Stmt del(wdb_, "DELETE FROM events WHERE seq IN (SELECT seq FROM by_user WHERE user_id = ?1)");
      del.text(1, user_id);
      del.step();
      int64_t n = sqlite3_changes64(wdb_);
      Stmt del_index(wdb_, "DELETE FROM by_user WHERE user_id = ?1");
      del_index.text(1, user_id);
      del_index.step();
      std::vector<int64_t> tail_seqs;
      {
        std::lock_guard<std::mutex> lock(tail_mu_);
        if (const auto it = tail_.find(user_id); it != tail_.end())
          for (const auto& x : it->second) tail_seqs.push_back(x.seq);
      }
      Stmt del_seq(wdb_, "DELETE FROM events WHERE seq = ?1");
      for (int64_t q : tail_seqs) {
        del_seq.reset();
        del_seq.i64(1, q);
        del_seq.step();
        n += sqlite3_changes64(wdb_);
      }
      Stmt mark(wdb_, "INSERT OR REPLACE INTO erased (user_id, erased_at) VALUES (?1, CAST(strftime('%s','now') AS INTEGER) * 1000)");
      mark.text(1, user_id);
      mark.step();
      exec(wdb_, "COMMIT", "event store: erase");
      {
        std::lock_guard<std::mutex> lock(tail_mu_);
        if (const auto it = tail_.find(user_id); it != tail_.end()) {
          tail_count_ -= static_cast<int64_t>(it->second.size());
          tail_.erase(it);
        }
      }
      return n;
    } catch (...) {
      sqlite3_exec(wdb_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }

  std::vector<std::string> erased_users() const override {
    std::lock_guard<std::mutex> lock(read_mu_);
    std::vector<std::string> out;
    Stmt s(rdb_, "SELECT user_id FROM erased ORDER BY user_id");
    while (s.step()) out.push_back(s.col_text(0));
    return out;
  }

  int type_code(const std::string& name) override {
    std::lock_guard<std::mutex> lock(write_mu_);
    // 查与登记在一个写事务里：别的进程同时登记同一个名字时，不会得到两个编号。
    exec(wdb_, "BEGIN IMMEDIATE", "event store: event type");
    try {
      Stmt find(wdb_, "SELECT code FROM event_types WHERE name = ?1");
      find.text(1, name);
      int64_t code = find.step() ? find.col_i64(0) : -1;
      if (code < 0) {
        code = query_i64(wdb_, "SELECT COALESCE(MAX(code) + 1, 0) FROM event_types");
        if (code > 255)
          throw Error(concat("event store '", path_, "': 256 event types are registered; cannot add '", name, "'"));
        Stmt add(wdb_, "INSERT INTO event_types (code, name) VALUES (?1, ?2)");
        add.i64(1, code);
        add.text(2, name);
        add.step();
      }
      exec(wdb_, "COMMIT", "event store: event type");
      return static_cast<int>(code);
    } catch (...) {
      sqlite3_exec(wdb_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }

  std::vector<std::string> type_names() const override {
    std::lock_guard<std::mutex> lock(read_mu_);
    std::vector<std::string> out;
    Stmt s(rdb_, "SELECT code, name FROM event_types ORDER BY code");
    while (s.step()) {
      const auto code = static_cast<size_t>(s.col_i64(0));
      if (out.size() <= code) out.resize(code + 1);
      out[code] = s.col_text(1);
    }
    return out;
  }

  void scan(const std::function<bool(const StoredEvent&)>& fn) const override {
    // 自己的只读连接：长时间的遍历（重新训练）不挡按用户读取的请求。
    sqlite3* db = open_db(path_, SQLITE_OPEN_READONLY, opt_.busy_timeout_ms);
    try {
      Stmt s(db, concat("SELECT ", kEventColumns, " FROM events ORDER BY seq").c_str());
      StoredEvent e;
      while (s.step()) {
        read_event(s, 0, &e);
        if (!fn(e)) break;
      }
    } catch (...) {
      sqlite3_close(db);
      throw;
    }
    sqlite3_close(db);
  }

  nlohmann::json stats() const override {
    std::lock_guard<std::mutex> lock(read_mu_);
    return {{"backend", "sqlite"},
            {"path", path_},
            {"durability", opt_.durability},
            {"events", query_i64(rdb_, "SELECT COUNT(*) FROM events")},
            {"users", query_i64(rdb_, "SELECT COUNT(DISTINCT user_id) FROM events")},
            {"items", query_i64(rdb_, "SELECT COUNT(DISTINCT item_id) FROM events")},
            {"format_version", kSqliteStoreVersion}};
  }

 private:
  // 带到达编号的事件（尾巴与按用户读取的合并用）。
  struct SeqEvent {
    int64_t seq = 0;
    StoredEvent e;
  };

  // 等待提交的一批。
  struct Pending {
    const std::vector<StoredEvent>* events = nullptr;
    std::vector<int64_t> seqs;  // 新写入的事件的编号（与 events 同序；重复的为 0），提交成功后进尾巴
    AppendResult result;
    std::string error;
    bool full = false;  // 因为没有空间而失败（StoreFull）
    bool done = false;
  };

  // 建立或核对模式：新文件建表并写版本；已有文件必须是本格式的、认识的版本。
  void prepare_schema() {
    // 先读一次：不是 SQLite 文件或已损坏时，这里就报“file is not a database”之类的原因。
    int64_t version = 0;
    try {
      version = query_i64(wdb_, "PRAGMA user_version");
    } catch (const Error& e) {
      throw Error(concat("event store '", path_, "' cannot be read (not a seqrec event store, or damaged): ", e.what()));
    }
    if (version > kSqliteStoreVersion)
      throw Error(concat("event store '", path_, "' has format version ", version, "; this seqrec reads version ",
                         kSqliteStoreVersion, " (a newer seqrec wrote it)"));
    const std::string mode = [&] {
      Stmt s(wdb_, "PRAGMA journal_mode=WAL");
      return s.step() ? s.col_text(0) : std::string();
    }();
    if (mode != "wal") throw Error(concat("event store '", path_, "': cannot switch to WAL mode (got '", mode, "')"));
    exec(wdb_, opt_.durability == "fsync" ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
         concat("event store '", path_, "'"));
    // 页缓存 64 MiB（默认 2 MiB）：按用户的索引随事件增长，小缓存让每次插入都从操作系统重读索引页。
    exec(wdb_, "PRAGMA cache_size=-65536", concat("event store '", path_, "'"));
    // 检查点每 16384 页（64 MiB 的 WAL）做一次，而不是默认的 1000 页：随机用户的写入每次提交都弄脏许多索引页，
    // 检查点少做几次，同一页在两次检查点之间只写回数据库文件一次。
    exec(wdb_, "PRAGMA wal_autocheckpoint=16384", concat("event store '", path_, "'"));
    if (version == 0 && query_i64(wdb_, "SELECT COUNT(*) FROM sqlite_master") != 0)
      throw Error(concat("event store '", path_, "' is an SQLite database but not a seqrec event store"));
    if (version < kSqliteStoreVersion) {
      // 新建（版本 0）或升级：建表与各级迁移在一个事务里，失败时文件保持原来的版本。
      exec(wdb_, "BEGIN IMMEDIATE", "event store: create");
      try {
        // 别的进程可能刚刚升级过：在写锁之内重读版本。
        version = query_i64(wdb_, "PRAGMA user_version");
        if (version == 0) {
          exec(wdb_, kSchemaV1, "event store: create");
          version = 1;
        }
        for (; version < kSqliteStoreVersion; ++version)
          exec(wdb_, kMigrations[version - 1], concat("event store '", path_, "': migration from version ", version));
        exec(wdb_, concat("PRAGMA user_version=", kSqliteStoreVersion).c_str(), "event store: create");
        exec(wdb_, "COMMIT", "event store: create");
      } catch (...) {
        sqlite3_exec(wdb_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
      }
    }
    // 大小上限：按页数设（SQLite 在写满时返回 SQLITE_FULL，事务整体撤回，与磁盘满的处理相同）。
    if (opt_.max_mb > 0) {
      const int64_t page = query_i64(wdb_, "PRAGMA page_size");
      const int64_t pages = std::max<int64_t>(1, opt_.max_mb * 1024 * 1024 / std::max<int64_t>(1, page));
      exec(wdb_, concat("PRAGMA max_page_count=", pages).c_str(), concat("event store '", path_, "'"));
    }
    // 完整性：只在打开时快速检查一次（页面结构），损坏的文件在服务之前就被拒绝。
    Stmt check(wdb_, "PRAGMA quick_check");
    const std::string verdict = check.step() ? check.col_text(0) : std::string("no answer");
    if (verdict != "ok") throw Error(concat("event store '", path_, "' is damaged: ", verdict));
  }

  // 提交线程：把同时等待的几批合进一个事务（group commit）；每批用一个保存点，一批出错只撤回这一批。
  void commit_loop() {
    Stmt insert(wdb_, "INSERT OR IGNORE INTO events (user_id, item_id, type, ts, event_id) VALUES (?1, ?2, ?3, ?4, ?5)");
    for (;;) {
      std::deque<Pending*> batch;
      {
        std::unique_lock<std::mutex> lock(mu_);
        work_cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) return;  // 停止且没有待提交的
        batch.swap(queue_);
      }
      {
        std::lock_guard<std::mutex> wlock(write_mu_);
        if (commit(batch, insert)) add_to_tail(batch);
        if (tail_count_ >= next_flush_) flush_index();
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        for (Pending* p : batch) p->done = true;
      }
      done_cv_.notify_all();
    }
  }

  // 提交一组；事务提交成功时返回 true（其中出错的批已撤回，各自带着错误）。
  bool commit(std::deque<Pending*>& batch, Stmt& insert) {
    if (sqlite3_exec(wdb_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
      const std::string msg = concat("event store: cannot begin a transaction: ", sqlite3_errmsg(wdb_));
      for (Pending* p : batch) p->error = msg;
      return false;
    }
    for (Pending* p : batch) {
      sqlite3_exec(wdb_, "SAVEPOINT one_batch", nullptr, nullptr, nullptr);
      try {
        for (const StoredEvent& e : *p->events) {
          insert.reset();
          insert.text(1, e.user_id);
          insert.text(2, e.item_id);
          insert.i64(3, e.type);
          insert.i64(4, e.ts_ms);
          insert.text_or_null(5, e.event_id);
          insert.step();
          if (sqlite3_changes(wdb_) == 1) {
            ++p->result.stored;
            p->seqs.push_back(sqlite3_last_insert_rowid(wdb_));
          } else {
            ++p->result.duplicates;
            p->seqs.push_back(0);
          }
        }
        sqlite3_exec(wdb_, "RELEASE one_batch", nullptr, nullptr, nullptr);
      } catch (const Error& e) {
        insert.reset();
        sqlite3_exec(wdb_, "ROLLBACK TO one_batch", nullptr, nullptr, nullptr);
        sqlite3_exec(wdb_, "RELEASE one_batch", nullptr, nullptr, nullptr);
        p->error = e.what();
        p->full = dynamic_cast<const StoreFull*>(&e) != nullptr;
        p->result = {};
        p->seqs.clear();
        // 有些错误（如 SQLITE_FULL）让 SQLite 自动撤回整个事务：这一组里之前的批也没有写进去，全部以同一个原因失败。
        if (sqlite3_get_autocommit(wdb_)) {
          const std::string msg = concat("event store: the transaction was rolled back, nothing of this request was "
                                         "stored: ", e.what());
          for (Pending* q : batch) {
            q->error = msg;
            q->full = p->full;
            q->result = {};
            q->seqs.clear();
          }
          return false;
        }
      }
    }
    insert.reset();
    if (const int rc = sqlite3_exec(wdb_, "COMMIT", nullptr, nullptr, nullptr); rc != SQLITE_OK) {
      // 提交失败（如磁盘已满）：整个事务撤回，这一组里没有一批被写入。
      const bool full = (rc & 0xff) == SQLITE_FULL;
      const std::string msg = concat("event store: commit failed", full ? " (the store is full)" : "",
                                     ", nothing of this request was stored: ", sqlite3_errmsg(wdb_));
      sqlite3_exec(wdb_, "ROLLBACK", nullptr, nullptr, nullptr);
      for (Pending* p : batch) {
        p->error = msg;
        p->full = full;
        p->result = {};
        p->seqs.clear();
      }
      return false;
    }
    return true;
  }

  // 提交成功的新事件进尾巴（持有 write_mu_）。
  void add_to_tail(const std::deque<Pending*>& batch) {
    std::lock_guard<std::mutex> lock(tail_mu_);
    for (const Pending* p : batch) {
      if (!p->error.empty()) continue;
      for (size_t i = 0; i < p->seqs.size(); ++i) {
        if (p->seqs[i] == 0) continue;  // 重复的 event_id：没有写入
        const StoredEvent& e = (*p->events)[i];
        tail_[e.user_id].push_back({p->seqs[i], e});
        ++tail_count_;
        tail_max_seq_ = std::max(tail_max_seq_, p->seqs[i]);
      }
    }
  }

  // 打开时重建尾巴：索引之后的事件（上次没来得及写进索引的，例如崩溃之前的）。
  void load_tail() {
    indexed_upto_ = query_i64(wdb_, "SELECT value FROM meta WHERE key = 'indexed_upto'");
    Stmt s(wdb_, concat("SELECT seq, ", kEventColumns, " FROM events WHERE seq > ?1 ORDER BY seq").c_str());
    s.i64(1, indexed_upto_);
    while (s.step()) {
      SeqEvent x;
      x.seq = s.col_i64(0);
      read_event(s, 1, &x.e);
      tail_max_seq_ = std::max(tail_max_seq_, x.seq);
      tail_[x.e.user_id].push_back(std::move(x));
      ++tail_count_;
    }
    next_flush_ = opt_.index_batch;
  }

  // 把尾巴写进索引（持有 write_mu_）：一个事务里按（用户，时间，编号）的次序插入，每个索引页只写一次，
  // 同时记下 indexed_upto；提交之后才清尾巴（见 recent() 的次序）。失败（如存储满了）时尾巴留着，
  // 再攒一批之后重试；事件本身早已提交，什么也没丢。
  void flush_index() {
    if (tail_count_ == 0) return;
    const int64_t upto = tail_max_seq_;
    try {
      exec(wdb_, "BEGIN IMMEDIATE", "event store: index");
      try {
        Stmt add(wdb_, "INSERT OR IGNORE INTO by_user (user_id, ts, seq) SELECT user_id, ts, seq FROM events "
                       "WHERE seq > ?1 AND seq <= ?2 ORDER BY user_id, ts, seq");
        add.i64(1, indexed_upto_);
        add.i64(2, upto);
        add.step();
        Stmt mark(wdb_, "UPDATE meta SET value = ?1 WHERE key = 'indexed_upto'");
        mark.i64(1, upto);
        mark.step();
        exec(wdb_, "COMMIT", "event store: index");
      } catch (...) {
        sqlite3_exec(wdb_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
      }
    } catch (const Error&) {
      next_flush_ = tail_count_ + opt_.index_batch;
      return;
    }
    indexed_upto_ = upto;
    std::lock_guard<std::mutex> lock(tail_mu_);
    tail_.clear();  // 提交线程是唯一的追加者，而它此刻就在这里：尾巴里的都 <= upto
    tail_count_ = 0;
    next_flush_ = opt_.index_batch;
  }

  SqliteStoreOptions opt_;
  std::string path_;
  int lock_fd_ = -1;        // 写者锁的文件（reader 时为 -1）
  sqlite3* wdb_ = nullptr;  // 写连接：提交线程与擦除（write_mu_ 保护）
  sqlite3* rdb_ = nullptr;  // 读连接（read_mu_ 保护）
  std::unique_ptr<Stmt> recent_;  // rdb_ 上预编译的“用户最近 N 个事件”
  mutable std::mutex read_mu_;
  std::mutex write_mu_;
  std::mutex mu_;  // 保护 queue_、stop_ 与各 Pending 的 done
  // 尾巴：已提交、还没写进 by_user 的事件，按用户。写（加入、清空、擦除）时同时持有 write_mu_ 与 tail_mu_，
  // 读（recent）只持有 tail_mu_。
  mutable std::mutex tail_mu_;
  std::unordered_map<std::string, std::vector<SeqEvent>> tail_;
  int64_t tail_count_ = 0;    // 尾巴里的事件数
  int64_t tail_max_seq_ = 0;  // 尾巴里最大的编号
  int64_t indexed_upto_ = 0;  // by_user 收到了哪个编号为止（meta.indexed_upto）
  int64_t next_flush_ = 0;    // 尾巴到这么多个事件时写索引
  std::condition_variable work_cv_, done_cv_;
  std::deque<Pending*> queue_;
  bool stop_ = false;
  std::thread committer_;
};

}  // namespace

std::unique_ptr<HistoryStore> open_sqlite_store(const std::string& dir, const SqliteStoreOptions& opt) {
  return std::make_unique<SqliteStore>(dir, opt);
}

}  // namespace seqrec
