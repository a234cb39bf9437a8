// 通用训练循环的实现：每轮打乱并切批（可按长度分桶）、分片并行地前向 / 反向、按固定顺序求和梯度、
// 按计划验证与早停、每轮写检查点（写与读见 checkpoint.cpp）。
#include "train/loop.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

#include <cblas.h>

#include "core/error.h"
#include "core/files.h"
#include "core/kernels.h"
#include "core/progress.h"
#include "eval/evaluator.h"
#include "eval/metrics.h"
#include "models/encoder.h"
#include "train/distributed.h"
#include "train/lr_schedule.h"

namespace seqrec {

namespace {

// 验证：导出到原生模型，走与服务/评估完全相同的代码路径（按 ranker 的协议排序，HR@10 / NDCG@10）。
nlohmann::json validate_native(const TensorMap& w, const ModelConfig& cfg, const SequenceData& data,
                               const std::vector<EvalCase>& cases, const CaseRanker& ranker, int threads) {
  auto enc = make_encoder(w, cfg);
  ExactIndex index(enc->item_embeddings(), cfg.cosine());
  return summarize_ranks(rank_cases(*enc, index, data, cases, cfg.max_len, &ranker, threads), {10}, case_weights(cases));
}

}  // namespace

namespace {
// 停止请求：信号处理函数写、训练循环在每轮末尾读（lock-free 的原子量在信号处理函数中是安全的）。
std::atomic<bool> g_stop_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the stop flag must be lock-free to be set from a signal handler");
}  // namespace

void request_training_stop() { g_stop_requested.store(true, std::memory_order_relaxed); }
bool training_stop_requested() { return g_stop_requested.load(std::memory_order_relaxed); }
void clear_training_stop() { g_stop_requested.store(false, std::memory_order_relaxed); }

namespace {

// 一轮的批划分：[起点, 数量]。先打乱单位次序；分桶时，每 64 批的单位按长度排序后切批，再打乱全部批的次序：
// 每个单位每轮仍恰好出现一次，但同一批内长度相近，截短后填充少得多。
std::vector<std::pair<int64_t, int64_t>> epoch_batches(const LoopSpec& spec, const TrainOptions& opt, LoopState& st) {
  std::shuffle(st.order.begin(), st.order.end(), st.rng);
  std::vector<std::pair<int64_t, int64_t>> batches;
  for (int64_t b0 = 0; b0 < spec.units; b0 += opt.batch_size)
    batches.push_back({b0, std::min<int64_t>(opt.batch_size, spec.units - b0)});
  if (spec.unit_length && opt.bucket) {
    const int64_t chunk = static_cast<int64_t>(opt.batch_size) * 64;
    for (int64_t c0 = 0; c0 < spec.units; c0 += chunk) {
      auto first = st.order.begin() + c0, last = st.order.begin() + std::min(spec.units, c0 + chunk);
      std::stable_sort(first, last, [&](int64_t a, int64_t b) { return spec.unit_length(a) < spec.unit_length(b); });
    }
    std::shuffle(batches.begin(), batches.end(), st.rng);
  }
  return batches;
}

// 一批的前向 / 反向：整批切成 ranks × threads 个连续的行分片（单进程时 ranks = 1），本进程算第
// rank × threads 起的 threads 个，每个线程单线程地算损失与梯度；返回这些分片损失之和。分片的边界与 dropout
// 种子只取决于全局的分片号，所以 R 个进程 × T 个线程与 1 个进程 × R·T 个线程算的是同样的分片。
// 任何分片失败都抛出 Error（其余分片照常结束，不留下悬空线程）。
double batch_loss_and_grads(const LoopSpec& spec, const TrainOptions& opt, uint64_t step, int64_t rows,
                            std::vector<std::vector<torch::Tensor>>* grads) {
  const int ranks = opt.dist ? opt.dist->world_size() : 1, rank = opt.dist ? opt.dist->rank() : 0;
  const int64_t total = std::min<int64_t>(static_cast<int64_t>(opt.threads) * ranks, rows);  // 全局分片数
  const int64_t first = std::min<int64_t>(static_cast<int64_t>(opt.threads) * rank, total);
  const int W = static_cast<int>(std::min<int64_t>(opt.threads, total - first));  // 本进程的分片数（可为 0）
  grads->assign(static_cast<size_t>(W), {});
  std::vector<double> shard_loss(static_cast<size_t>(W), 0.0);
  std::vector<std::string> shard_err(static_cast<size_t>(W));
  auto run_shard = [&](int w) {
    try {
      at::set_num_threads(1);  // OpenMP 线程数是线程局部的：分片线程内的算子也必须单线程
      const int64_t g = first + w;  // 全局分片号
      DropoutRng gen{opt.seed * 1000003ULL + step * 64ULL + static_cast<uint64_t>(g), 0};
      auto loss = spec.shard_loss(rows * g / total, rows * (g + 1) / total, &gen);
      (*grads)[static_cast<size_t>(w)] = torch::autograd::grad({loss}, spec.params, {}, false, false, true);
      shard_loss[static_cast<size_t>(w)] = loss.item<double>();
    } catch (const std::exception& e) {
      shard_err[static_cast<size_t>(w)] = e.what();
    }
  };
  std::vector<std::thread> pool;
  for (int w = 1; w < W; ++w) pool.emplace_back(run_shard, w);
  if (W > 0) run_shard(0);
  for (auto& t : pool) t.join();
  for (const auto& e : shard_err)
    if (!e.empty()) throw Error(concat("training step failed: ", e));
  double lv = 0;
  for (double l : shard_loss) lv += l;
  return lv;
}

// 多进程：本进程各分片的梯度按顺序相加，连同“这个参数有梯度”的标记与损失拼成一个连续的缓冲，一次
// all-reduce 求和，再拆回每个参数（所有进程都没有梯度的参数仍是未定义的，优化器照旧跳过它）。
// 返回全部进程的损失之和；grads 换成一个分片（全局的梯度和），各进程的优化步因此完全相同。
double allreduce_grads(const LoopSpec& spec, DistGroup& dist, double local_loss,
                       std::vector<std::vector<torch::Tensor>>* grads) {
  const size_t P = spec.params.size();
  int64_t n = 0;
  for (const auto& p : spec.params) n += p.numel();
  torch::Tensor flat = torch::zeros({n + static_cast<int64_t>(P) + 1}, torch::kFloat32);
  float* f = flat.data_ptr<float>();
  int64_t off = 0;
  for (size_t i = 0; i < P; ++i) {
    const int64_t m = spec.params[i].numel();
    for (const auto& sg : *grads)
      if (sg[i].defined()) {
        add_into(f + off, sg[i].contiguous().data_ptr<float>(), m);
        f[n + static_cast<int64_t>(i)] = 1.0f;
      }
    off += m;
  }
  f[n + static_cast<int64_t>(P)] = static_cast<float>(local_loss);
  dist.allreduce_sum(flat, "the gradients");
  std::vector<torch::Tensor> out(P);
  off = 0;
  for (size_t i = 0; i < P; ++i) {
    const int64_t m = spec.params[i].numel();
    if (f[n + static_cast<int64_t>(i)] > 0) out[i] = flat.slice(0, off, off + m).view(spec.params[i].sizes()).clone();
    off += m;
  }
  grads->assign(1, std::move(out));
  return static_cast<double>(f[n + static_cast<int64_t>(P)]);
}

// 多进程：把 rank 0 的参数复制到每个进程（初始值、热启动与续训之后各进程完全一致）。
void broadcast_params(const LoopSpec& spec, DistGroup& dist) {
  torch::NoGradGuard ng;
  for (const auto& p : spec.params) {
    torch::Tensor t = p.detach().contiguous().clone();
    dist.broadcast(t, "the initial weights");
    p.detach().copy_(t);
  }
}

// 多进程：rank 0 的一组小数（停止、早停、最佳一轮……）发给每个进程。
std::vector<double> broadcast_values(DistGroup& dist, std::vector<double> v, const char* what) {
  torch::Tensor t = torch::from_blob(v.data(), {static_cast<int64_t>(v.size())}, torch::kFloat64).clone();
  dist.broadcast(t, what);
  for (size_t i = 0; i < v.size(); ++i) v[i] = t[static_cast<int64_t>(i)].item<double>();
  return v;
}

}  // namespace

// 数据并行训练循环：每批按线程数切成连续的行分片，每个线程单线程地前向/反向，梯度按固定顺序相加，
// 因此给定种子与线程数，结果逐位可复现。每 eval_every 轮验证一次，连续 patience 次不提升则早停。
// 给了 opt.checkpoint 时每轮结束写检查点；opt.resume 时先从检查点恢复（见 checkpoint.h）。
TrainResult run_loop(const LoopSpec& spec, const SequenceData& data, const TrainOptions& opt,
                     const EpochCallback& on_epoch) {
  const auto valid = spec.validate ? std::vector<EvalCase>{} : eval_cases(data, SplitPart::kValid);
  if (!spec.validate && valid.empty())
    throw Error("no validation cases: with --split-mode temporal, no interaction in the validation period has an "
                "earlier one by the same user; raise --temporal-valid");
  const CaseRanker ranker(data, opt.valid_protocol);
  FusedAdam optim(spec.params, opt.lr, opt.weight_decay, opt.optimizer == "adamw", opt.threads, opt.beta1, opt.beta2);
  if (opt.weight_decay_scope == "matrices") optim.decay_matrices_only();
  // 学习率调度按计划的总步数（--epochs × 每轮批数）展开；早停只是提前结束，不改变曲线。
  // --decay-epochs 把衰减放到最后几轮（此前保持峰值）。
  const int64_t batches_per_epoch = (spec.units + opt.batch_size - 1) / opt.batch_size;
  const LrSchedule schedule{opt.lr_schedule, std::llround(opt.warmup_epochs * static_cast<double>(batches_per_epoch)),
                            static_cast<int64_t>(opt.epochs) * batches_per_epoch,
                            opt.decay_epochs > 0  // 给了衰减段时至少 1 步（0 步的意思是全程衰减）
                                ? std::max<int64_t>(1, std::llround(opt.decay_epochs * static_cast<double>(batches_per_epoch)))
                                : 0};
  const bool scheduled = opt.lr_schedule != "constant" || schedule.warmup_steps > 0;
  double lr_now = opt.lr;
  TrainResult res;
  res.samples_per_epoch = spec.units;
  LoopState st;
  st.rng.seed(opt.seed);
  st.order.resize(static_cast<size_t>(spec.units));
  for (int64_t i = 0; i < spec.units; ++i) st.order[static_cast<size_t>(i)] = i;
  st.t_start = now_seconds();
  check_loop_parameters(spec);
  // 热启动：在随机初始值上换入上一个模型的行（续训时检查点会再覆盖它们）。
  if (opt.warm_start) module_load_tensors(*spec.module, opt.warm_start(module_to_tensors(*spec.module)));
  if (opt.resume) restore_loop_checkpoint(spec, opt, &st, &optim, &res);
  DistGroup* dist = opt.dist.get();
  const bool lead = !dist || dist->rank() == 0;  // 只有 rank 0 验证、写检查点、报告
  if (dist) broadcast_params(spec, *dist);
  std::vector<std::vector<torch::Tensor>> grads;
  for (int epoch = st.first_epoch; epoch <= opt.epochs; ++epoch) {
    spec.module->train();
    const auto batches = epoch_batches(spec, opt, st);
    Progress prog(concat("epoch ", epoch, "/", opt.epochs), spec.units, opt.progress && Progress::stderr_is_tty());
    prog.set_run(st.elapsed(), opt.epochs - epoch);
    const double t0 = now_seconds();
    double loss_sum = 0;
    int64_t done = 0, positions = 0;
    for (const auto& [b0, nb] : batches) {
      spec.prepare(st.order.data() + b0, nb, st.rng);
      double lv = batch_loss_and_grads(spec, opt, st.step, nb, &grads);
      if (dist) lv = allreduce_grads(spec, *dist, lv, &grads);
      if (scheduled) {
        lr_now = opt.lr * schedule.factor(static_cast<int64_t>(st.step));
        optim.set_lr(lr_now);
      }
      optim.step(grads);  // 按分片顺序求和梯度并更新
      ++st.step;
      if (!std::isfinite(lv)) throw Error(concat("training diverged at epoch ", epoch, " (loss ", lv, "); lower --lr"));
      loss_sum += lv * spec.batch_denominator();
      positions += spec.batch_positions();
      done += nb;
      prog.update(done, loss_sum / std::max<int64_t>(1, positions));
    }
    const double epoch_s = now_seconds() - t0;
    st.train_time_sum += epoch_s;
    res.epochs_run = epoch;
    nlohmann::ordered_json rec = {{"epoch", epoch},
                                  {"loss", loss_sum / std::max<int64_t>(1, positions)},
                                  {"epoch_seconds", epoch_s},
                                  {"samples_per_second", done / epoch_s}};
    if (scheduled) rec["lr"] = lr_now;  // 本轮最后一步的学习率
    // 收到停止请求：本轮也验证（它可能是最佳的一轮），然后结束。
    bool interrupted = training_stop_requested() ||
                       (opt.stop_after_epoch > 0 && epoch >= opt.stop_after_epoch && epoch < opt.epochs);
    if (dist) {  // 任何一个进程收到停止请求，全组在同一轮停下
      torch::Tensor flag = torch::full({1}, interrupted ? 1.0f : 0.0f);
      dist->allreduce_sum(flag, "the stop flag");
      interrupted = flag.item<float>() > 0;
      rec["allreduce_seconds"] = dist->seconds();
    }
    const bool scheduled_eval = epoch % opt.eval_every == 0 || epoch == opt.epochs;
    bool stop = interrupted, patience_out = false;
    if (interrupted) {
      res.interrupted = true;
      rec["interrupted"] = true;
    }
    // 计划外的验证（只因停止请求）不进检查点：检查点写在它之前，续训与不中断的训练走同一条路。
    const bool checkpoint_before_eval = lead && !opt.checkpoint.empty() && interrupted && !scheduled_eval;
    if (checkpoint_before_eval) {
      rec["elapsed_seconds"] = st.elapsed();
      save_loop_checkpoint(spec, opt, st, optim, res, epoch, false, res.epoch_log + rec.dump() + "\n");
    }
    if ((scheduled_eval || interrupted) && lead) {
      prog.phase("validating");  // 验证可能要不少时间：进度行说明在做什么
      spec.module->eval();
      TensorMap w = spec.weights();
      const double tv = now_seconds();
      auto m = spec.validate ? spec.validate(w) : validate_native(w, spec.cfg, data, valid, ranker, opt.threads);
      const double ndcg = m["NDCG@10"].get<double>();
      rec["valid_HR@10"] = m["HR@10"];
      rec["valid_NDCG@10"] = ndcg;
      rec["valid_seconds"] = now_seconds() - tv;
      if (ndcg > st.best) {
        st.best = ndcg;
        st.since_best = 0;
        res.best_epoch = epoch;
        res.best_valid = m;
        res.weights = std::move(w);
      } else if (++st.since_best >= opt.patience) {
        stop = patience_out = true;
      }
    }
    if (dist && (scheduled_eval || interrupted)) {  // rank 0 的决定（早停、最佳一轮）发给其余进程
      const auto v = broadcast_values(*dist, {stop ? 1.0 : 0.0, patience_out ? 1.0 : 0.0, static_cast<double>(res.best_epoch)},
                                      "the validation decision");
      stop = v[0] > 0;
      patience_out = v[1] > 0;
      res.best_epoch = static_cast<int>(v[2]);
    }
    prog.finish();
    rec["elapsed_seconds"] = st.elapsed();
    res.epoch_log += rec.dump() + "\n";
    if (lead && !opt.checkpoint.empty() && !checkpoint_before_eval)
      save_loop_checkpoint(spec, opt, st, optim, res, epoch, patience_out || epoch == opt.epochs, res.epoch_log);
    if (on_epoch && lead) on_epoch(rec);
    if (stop) break;
  }
  if (dist) {
    const int64_t P = static_cast<int64_t>(spec.params.size());
    int64_t n = 0;
    for (const auto& p : spec.params) n += p.numel();
    res.distributed = {{"world_size", dist->world_size()},
                       {"threads_per_process", opt.threads},
                       {"batch_split", concat("each batch of --batch ", opt.batch_size, " units is cut into ",
                                              dist->world_size(), " x ", opt.threads, " contiguous row shards; process r "
                                              "computes shards r*threads .. r*threads+threads-1; gradients summed by "
                                              "one Gloo all-reduce per step")},
                       {"allreduce_bytes_per_step", (n + P + 1) * 4},
                       {"allreduce_seconds", dist->seconds()}};
  }
  res.train_seconds = st.elapsed();
  res.seconds_per_epoch = st.train_time_sum / res.epochs_run;
  res.samples_per_second = res.samples_per_epoch / res.seconds_per_epoch;
  return res;
}

bool TrainOptions::lead() const { return !dist || dist->rank() == 0; }

// 设置线程：并行方式是数据并行（每个线程一个分片），算子内部与 BLAS 都保持单线程。
void init_threads(const TrainOptions& opt) {
  torch::manual_seed(opt.seed);
  torch::set_num_threads(1);
  openblas_set_num_threads(1);
}


}  // namespace seqrec
