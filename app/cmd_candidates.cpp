// `seqrec candidates`：为每个会话生成候选（历史加权、共现、模型补足、热门兜底），写出候选 CSV
// （session,aid,score,source,list）与 Kaggle 提交文件（session_type,labels）。
#include <charconv>
#include <cstdio>
#include <memory>

#include "commands.h"
#include "core/error.h"
#include "core/files.h"
#include "serve/model_bundle.h"
#include "serve/recommender.h"
#include "session/candidates.h"
#include "session_flags.h"

namespace seqrec::app {

namespace {

struct CandidatesFlags {
  SessionFlags data;
  std::string covisit, model, out, submission;
  CandidateOptions opt;
  int k = 20;
  std::string sources;  // 空 = 默认：history,covisit,popular，给了 --model 时在 popular 之前加上 model
  std::string type_weights = "1,6,3";
};

// 追加一个整数的十进制文本（比 ostringstream 快一个数量级：候选 CSV 有上亿行）。
void append_int(std::string& out, int64_t v) {
  char tmp[24];
  const auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
  out.append(tmp, r.ptr);
}

// 追加得分（6 位有效数字）。
void append_score(std::string& out, float v) {
  char tmp[32];
  const int n = std::snprintf(tmp, sizeof tmp, "%.6g", static_cast<double>(v));
  out.append(tmp, static_cast<size_t>(n));
}

// 解析 --sources。
void parse_sources(const std::string& s, CandidateOptions& o) {
  o.use_history = o.use_covisit = o.use_model = o.use_popular = false;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t p = s.find(',', start);
    const std::string name = s.substr(start, p == std::string::npos ? std::string::npos : p - start);
    if (name == "history") o.use_history = true;
    else if (name == "covisit") o.use_covisit = true;
    else if (name == "model") o.use_model = true;
    else if (name == "popular") o.use_popular = true;
    else throw Error(concat("--sources: unknown source '", name, "' (history, covisit, model, popular)"));
    if (p == std::string::npos) break;
    start = p + 1;
  }
}

void run_candidates(const CandidatesFlags& f) {
  const double t0 = now_seconds();
  CandidateOptions o = f.opt;
  // 默认的来源取决于给了什么：没有 --model 时不含 model（README 里不带模型的例子照写就能运行）。
  const std::string sources =
      !f.sources.empty() ? f.sources : f.model.empty() ? "history,covisit,popular" : "history,covisit,model,popular";
  parse_sources(sources, o);
  o.type_weight = parse_type_weights(f.type_weights);
  if (f.k < 1 || f.k > o.list_size) throw Error(concat("--k must be in [1, --candidates] (got ", f.k, ")"));
  if (o.use_covisit && f.covisit.empty()) throw Error("--sources names covisit but no --covisit directory was given");
  if (o.use_model && f.model.empty()) throw Error("--sources names model but no --model directory was given");
  if (f.out.empty() && f.submission.empty()) throw Error("nothing to write: give --out and/or --submission");
  o.validate();
  std::unique_ptr<CovisitModel> cv;
  if (o.use_covisit) cv = std::make_unique<CovisitModel>(CovisitModel::load(f.covisit));
  std::unique_ptr<ModelBundle> model;
  CandidateModel fill;  // 模型来源：会话点击（模型下标）→ 模型的前 k 个物品，不经过 JSON
  if (o.use_model) {
    model = ModelBundle::load(f.model);
    fill.items = &model->items;
    fill.top_k = [m = model.get()](const std::vector<int32_t>& clicks, int k, const SearchFilter& filter) {
      return model_hits(*m, -1, clicks, k, filter);
    };
  }
  const SessionData d = f.data.load();
  // 分块生成并立即写出：内存只需容纳一块的候选，而不是全部会话的。
  const CandidateGenerator gen(d, cv.get(), model ? &fill : nullptr, o);
  std::unique_ptr<AtomicWriter> csv, sub;
  if (!f.out.empty()) {
    csv = std::make_unique<AtomicWriter>(f.out);
    csv->write("session,aid,score,source,list\n");
  }
  if (!f.submission.empty()) {
    sub = std::make_unique<AtomicWriter>(f.submission);
    sub->write("session_type,labels\n");
  }
  int64_t per_source[4] = {0, 0, 0, 0};
  double gen_s = 0, write_s = 0;
  std::string buf;
  constexpr int64_t kBlock = 65536;
  for (int64_t first = 0; first < d.num_sessions(); first += kBlock) {
    const int64_t last = std::min(d.num_sessions(), first + kBlock);
    const double ta = now_seconds();
    const auto block = gen.generate_range(first, last);
    const double tb = now_seconds();
    gen_s += tb - ta;
    for (int64_t s = first; s < last; ++s) {
      const auto& c = block[static_cast<size_t>(s - first)];
      const int64_t sid = d.session[static_cast<size_t>(s)];
      for (int li = 0; li < 2; ++li)
        for (const auto& x : li == 0 ? c.clicks : c.buys) {
          ++per_source[x.source];
          if (!csv) continue;
          append_int(buf, sid);
          buf += ',';
          append_int(buf, x.aid);
          buf += ',';
          append_score(buf, x.score);
          buf += ',';
          buf += candidate_source_name(x.source);
          buf += li == 0 ? ",clicks\n" : ",buys\n";
        }
      if (csv && buf.size() > (1u << 20)) {
        csv->write(buf);
        buf.clear();
      }
    }
    if (csv) {
      csv->write(buf);
      buf.clear();
    }
    if (sub) {
      for (int64_t s = first; s < last; ++s) {
        const auto& c = block[static_cast<size_t>(s - first)];
        for (int t = 0; t < kEventKinds; ++t) {
          const auto& l = t == 0 ? c.clicks : c.buys;
          append_int(buf, d.session[static_cast<size_t>(s)]);
          buf += '_';
          buf += event_kind_name(t);
          buf += ',';
          for (size_t i = 0; i < l.size() && i < static_cast<size_t>(f.k); ++i) {
            if (i) buf += ' ';
            append_int(buf, l[i].aid);
          }
          buf += '\n';
        }
      }
      sub->write(buf);
      buf.clear();
    }
    write_s += now_seconds() - tb;
  }
  const double tc = now_seconds();
  if (csv) csv->commit();
  if (sub) sub->commit();
  write_s += now_seconds() - tc;
  std::printf("candidates for %lld sessions in %.2fs (%.0f sessions/s): history %lld, covisit %lld, model %lld, popular %lld\n",
              static_cast<long long>(d.num_sessions()), gen_s, static_cast<double>(d.num_sessions()) / std::max(gen_s, 1e-9),
              static_cast<long long>(per_source[0]), static_cast<long long>(per_source[1]),
              static_cast<long long>(per_source[2]), static_cast<long long>(per_source[3]));
  std::printf("wrote%s%s%s%s in %.2fs (%.1fs total, peak memory %.0f MiB)\n", f.out.empty() ? "" : " ", f.out.c_str(),
              f.submission.empty() ? "" : " ", f.submission.c_str(), write_s, now_seconds() - t0, peak_rss_mib());
}

}  // namespace

// 注册 candidates 子命令。
void setup_candidates(CLI::App& app) {
  auto f = std::make_shared<CandidatesFlags>();
  auto* cmd = app.add_subcommand("candidates",
                                 "generate per-session candidates (weighted history, co-visitation, model fill, popular) "
                                 "as session,aid,score,source,list CSV and a Kaggle OTTO submission");
  f->data.add_to(cmd);
  cmd->add_option("--covisit", f->covisit, "co-visitation directory from 'seqrec covisit'");
  cmd->add_option("--model", f->model, "model directory (e.g. GRU4Rec trained on the sessions) that fills the lists");
  cmd->add_option("--out", f->out, "candidates CSV: session,aid,score,source,list (list = clicks or buys; rows in rank order)");
  cmd->add_option("--submission", f->submission, "Kaggle submission CSV: session_type,labels (top --k of each list)");
  cmd->add_option("--k", f->k, "items per submission line")->capture_default_str();
  cmd->add_option("--candidates", f->opt.list_size, "candidates per list in the CSV")->capture_default_str();
  cmd->add_option("--sources", f->sources,
                  "sources in order of use (drop some to measure each alone) [history,covisit,popular; with --model "
                  "history,covisit,model,popular]");
  cmd->add_option("--history-min", f->opt.history_min, "sessions with at least this many events rank their history "
                                                       "by recency x type weight")->capture_default_str();
  cmd->add_option("--type-weights", f->type_weights, "history weights of clicks,carts,orders")->capture_default_str();
  cmd->add_option("--threads", f->opt.threads, "threads (results do not depend on it)")->capture_default_str();
  cmd->callback([f] { run_candidates(*f); });
}

}  // namespace seqrec::app
