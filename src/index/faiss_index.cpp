// FAISS 后端实现。FAISS 的头文件只在这个翻译单元里出现。
#include "index/faiss_index.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/index_io.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <unistd.h>

#include "core/error.h"
#include "core/files.h"
#include "core/kernels.h"

namespace seqrec {

namespace {

using idx_t = faiss::Index::idx_t;


// 读取 JSON 中的正整数字段（缺失时保留默认值）。
template <typename T>
void read_positive(const nlohmann::json& j, const char* key, T& v) {
  if (!j.contains(key)) return;
  if (!j[key].is_number_integer() || j[key].get<int64_t>() < 0)
    throw Error(concat("manifest index section: '", key, "' must be a non-negative integer, got ", j[key].dump()));
  v = static_cast<T>(j[key].get<int64_t>());
}

// 由过滤条件构造 FAISS 的选择器：allow → 位图（允许且未排除）；只有 exclude → 排除集合取反。
// 选择器对象由 holder 持有，返回的指针在 holder 存活期间有效。
struct SelectorHolder {
  std::vector<uint8_t> bits;
  std::unique_ptr<faiss::IDSelector> base, top;
};
const faiss::IDSelector* make_selector(const SearchFilter* f, int64_t n, SelectorHolder& h) {
  if (!f || f->empty()) return nullptr;
  if (f->allow) {
    h.bits.assign(static_cast<size_t>((n + 7) / 8), 0);
    for (int32_t a : *f->allow)
      if (a >= 0 && a < n) h.bits[static_cast<size_t>(a) >> 3] |= static_cast<uint8_t>(1u << (a & 7));
    for (int32_t e : f->exclude)
      if (e >= 0 && e < n) h.bits[static_cast<size_t>(e) >> 3] &= static_cast<uint8_t>(~(1u << (e & 7)));
    h.top = std::make_unique<faiss::IDSelectorBitmap>(static_cast<size_t>(n), h.bits.data());
    return h.top.get();
  }
  std::vector<idx_t> ids(f->exclude.begin(), f->exclude.end());
  h.base = std::make_unique<faiss::IDSelectorBatch>(ids.size(), ids.data());
  h.top = std::make_unique<faiss::IDSelectorNot>(h.base.get());
  return h.top.get();
}

// 最大内积检索 → 最近邻检索（Bachrach 等，2014）：物品 x 变成 [x, sqrt(R² − ||x||²)]（R 为最大范数），
// 查询 q 变成 [q, 0]，于是 ||q' − x'||² = ||q||² + R² − 2·q·x，按 L2 距离排序等于按内积排序。
// 图索引（HNSW）与 k-means 分桶（IVF）在 L2 上远比直接用内积可靠（内积不是度量，范数大的物品会“吸走”搜索）。
std::vector<float> augment_items(MatrixView x) {
  const int64_t n = x.rows, d = x.cols;
  std::vector<double> sq(static_cast<size_t>(n));
  double r2 = 0;
  for (int64_t i = 0; i < n; ++i) {
    double s = 0;
    for (int64_t j = 0; j < d; ++j) s += double(x.row(i)[j]) * x.row(i)[j];
    sq[static_cast<size_t>(i)] = s;
    r2 = std::max(r2, s);
  }
  std::vector<float> out(static_cast<size_t>(n * (d + 1)));
  for (int64_t i = 0; i < n; ++i) {
    std::copy(x.row(i), x.row(i) + d, out.data() + i * (d + 1));
    out[static_cast<size_t>(i * (d + 1) + d)] = static_cast<float>(std::sqrt(std::max(0.0, r2 - sq[static_cast<size_t>(i)])));
  }
  return out;
}

}  // namespace

std::string faiss_version() {
  return concat(FAISS_VERSION_MAJOR, ".", FAISS_VERSION_MINOR, ".", FAISS_VERSION_PATCH);
}

void FaissParams::validate() const {
  if (type != "hnsw" && type != "ivf") throw Error(concat("--type must be hnsw or ivf, got '", type, "'"));
  if (hnsw_m < 2 || hnsw_m > 256) throw Error(concat("--hnsw-m must be in [2, 256], got ", hnsw_m));
  if (ef_construction < 1 || ef_construction > 100000)
    throw Error(concat("--ef-construction must be in [1, 100000], got ", ef_construction));
  if (ef_search < 1 || ef_search > 100000) throw Error(concat("--ef-search must be in [1, 100000], got ", ef_search));
  if (nlist < 0 || nlist > (1 << 24)) throw Error(concat("--nlist must be in [0, 16777216] (0 = auto), got ", nlist));
  if (nprobe < 1) throw Error(concat("--nprobe must be >= 1, got ", nprobe));
  if (train_sample < 0) throw Error(concat("--train-sample must be >= 0 (0 = auto), got ", train_sample));
}

int FaissParams::resolved_nlist(int64_t n) const {
  if (nlist > 0) return static_cast<int>(std::min<int64_t>(nlist, std::max<int64_t>(n, 1)));
  const int64_t v = static_cast<int64_t>(std::llround(4.0 * std::sqrt(static_cast<double>(n))));
  return static_cast<int>(std::clamp<int64_t>(v, 1, std::max<int64_t>(n / 39, 1)));
}

nlohmann::json FaissParams::to_json() const {
  nlohmann::json j = {{"type", type}};
  if (type == "hnsw") {
    j["hnsw_m"] = hnsw_m;
    j["ef_construction"] = ef_construction;
    j["ef_search"] = ef_search;
  } else {
    j["nlist"] = nlist;
    j["nprobe"] = nprobe;
    j["train_sample"] = train_sample;
  }
  return j;
}

FaissParams FaissParams::from_json(const nlohmann::json& j) {
  FaissParams p;
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string())
    throw Error("manifest index section has no string 'type'");
  p.type = j["type"].get<std::string>();
  read_positive(j, "hnsw_m", p.hnsw_m);
  read_positive(j, "ef_construction", p.ef_construction);
  read_positive(j, "ef_search", p.ef_search);
  read_positive(j, "nlist", p.nlist);
  read_positive(j, "nprobe", p.nprobe);
  read_positive(j, "train_sample", p.train_sample);
  p.validate();
  return p;
}

FaissIndex::FaissIndex(std::shared_ptr<const ExactIndex> exact, const FaissParams& p)
    : exact_(std::move(exact)), params_(p) {}

FaissIndex::~FaissIndex() = default;

void FaissIndex::apply_search_params() {
  if (auto* h = dynamic_cast<faiss::IndexHNSW*>(index_.get())) h->hnsw.efSearch = params_.ef_search;
  if (auto* v = dynamic_cast<faiss::IndexIVF*>(index_.get())) v->nprobe = static_cast<size_t>(params_.nprobe);
}

std::unique_ptr<FaissIndex> FaissIndex::build(std::shared_ptr<const ExactIndex> exact, const FaissParams& p,
                                              int threads) {
  p.validate();
  SEQREC_CHECK(exact && exact->size() > 0, "FaissIndex::build on an empty catalogue");
  std::unique_ptr<FaissIndex> out(new FaissIndex(exact, p));
  const MatrixView x = exact->items();
  const int d = static_cast<int>(x.cols);
  const int64_t n = x.rows;
  omp_set_num_threads(std::max(threads, 1));
  try {
    const std::vector<float> xa = augment_items(x);
    const int da = d + 1;
    if (p.type == "hnsw") {
      auto idx = std::make_unique<faiss::IndexHNSWFlat>(da, p.hnsw_m, faiss::METRIC_L2);
      idx->hnsw.efConstruction = p.ef_construction;
      idx->add(n, xa.data());
      out->index_ = std::move(idx);
    } else {
      const int nlist = p.resolved_nlist(n);
      auto idx = std::make_unique<faiss::IndexIVFFlat>(new faiss::IndexFlatL2(da), da, static_cast<size_t>(nlist),
                                                       faiss::METRIC_L2);
      idx->own_fields = true;
      idx->verbose = false;
      idx->cp.verbose = false;
      // 训练样本：等间隔抽取的行（确定性）；k-means 本身的种子由 FAISS 固定。
      int64_t ns = p.train_sample > 0 ? p.train_sample : int64_t(64) * nlist;
      ns = std::min(ns, n);
      std::vector<float> sample(static_cast<size_t>(ns * da));
      for (int64_t i = 0; i < ns; ++i) {
        const int64_t r = i * n / ns;
        std::copy(xa.data() + r * da, xa.data() + (r + 1) * da, sample.data() + i * da);
      }
      idx->train(ns, sample.data());
      idx->add(n, xa.data());
      out->index_ = std::move(idx);
    }
  } catch (const faiss::FaissException& e) {
    throw Error(concat("building the ", p.type, " index failed: ", e.what()));
  }
  out->apply_search_params();
  return out;
}

std::unique_ptr<FaissIndex> FaissIndex::load(const std::string& path, std::shared_ptr<const ExactIndex> exact,
                                             const FaissParams& p) {
  p.validate();
  std::unique_ptr<FaissIndex> out(new FaissIndex(exact, p));
  try {
    out->index_.reset(faiss::read_index(path.c_str()));
  } catch (const faiss::FaissException& e) {
    throw Error(concat(path, ": not a readable FAISS index: ", e.what()));
  }
  const faiss::Index* ix = out->index_.get();
  const bool is_hnsw = dynamic_cast<const faiss::IndexHNSW*>(ix) != nullptr;
  const bool is_ivf = dynamic_cast<const faiss::IndexIVF*>(ix) != nullptr;
  if ((p.type == "hnsw" && !is_hnsw) || (p.type == "ivf" && !is_ivf))
    throw Error(concat(path, ": the manifest says a ", p.type, " index but the file holds another kind"));
  if (ix->metric_type != faiss::METRIC_L2) throw Error(concat(path, ": index is not an L2 index over augmented vectors (built by an older seqrec? rebuild it with `seqrec index`)"));
  if (ix->d != exact->dim() + 1 || ix->ntotal != exact->size())
    throw Error(concat(path, ": index has ", ix->ntotal, " vectors of dim ", ix->d, ", the model has ", exact->size(),
                       " items of dim ", exact->dim(), " (+1 augmented)"));
  out->apply_search_params();
  return out;
}

void FaissIndex::save(const std::string& path) const {
  const std::string tmp = concat(path, ".tmp.", ::getpid());
  try {
    faiss::write_index(index_.get(), tmp.c_str());
  } catch (const faiss::FaissException& e) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw Error(concat("cannot write ", path, ": ", e.what()));
  }
  fsync_path(tmp);
  std::filesystem::rename(tmp, path);
}

size_t FaissIndex::memory_bytes() const {
  size_t b = static_cast<size_t>(index_->ntotal) * static_cast<size_t>(index_->d) * sizeof(float);  // 增广后的向量
  if (auto* h = dynamic_cast<const faiss::IndexHNSW*>(index_.get()))
    b += h->hnsw.neighbors.size() * sizeof(faiss::HNSW::storage_idx_t) + h->hnsw.levels.size() * sizeof(int) +
         h->hnsw.offsets.size() * sizeof(size_t);
  if (auto* v = dynamic_cast<const faiss::IndexIVF*>(index_.get()))
    b += static_cast<size_t>(index_->ntotal) * sizeof(idx_t) + v->nlist * static_cast<size_t>(index_->d) * sizeof(float);
  return b;
}

void FaissIndex::faiss_search(const float* prepared, int64_t kk, const SearchFilter* filter,
                              std::vector<Hit>& hits) const {
  // 单个查询不开 OpenMP 线程组：FAISS 的 HNSW 检索即使只有一个查询也进入并行区，每个线程各分配一张
  // ntotal 字节的访问表；服务时每个连接已经有自己的线程，再开线程组只会互相争抢两个核。
  // （omp_set_num_threads 只影响调用它的线程之后开启的并行区。）
  static thread_local const bool single = (omp_set_num_threads(1), true);
  (void)single;
  const auto lease = scratch_.acquire<SearchScratch>();  // 本次检索的临时缓冲
  std::vector<float>& dist = lease->dist;
  std::vector<float>& qa = lease->qa;
  std::vector<idx_t>& labels = lease->labels;
  const int d = dim();
  dist.resize(static_cast<size_t>(kk));
  labels.resize(static_cast<size_t>(kk));
  qa.assign(prepared, prepared + d);
  qa.push_back(0.0f);  // 增广的最后一维：查询取 0
  SelectorHolder holder;
  const faiss::IDSelector* sel = make_selector(filter, size(), holder);
  faiss::SearchParametersHNSW ph;
  faiss::SearchParametersIVF pv;
  const faiss::SearchParameters* sp = nullptr;
  if (params_.type == "hnsw") {
    ph.efSearch = params_.ef_search;
    ph.sel = const_cast<faiss::IDSelector*>(sel);
    sp = &ph;
  } else {
    pv.nprobe = static_cast<size_t>(params_.nprobe);
    pv.sel = const_cast<faiss::IDSelector*>(sel);
    sp = &pv;
  }
  index_->search(1, qa.data(), kk, dist.data(), labels.data(), sp);
  hits.clear();
  // 得分用精确内积重算（与精确检索同一个内核），而不是由 L2 距离反推。
  const MatrixView items = exact_->items();
  for (int64_t i = 0; i < kk; ++i)
    if (labels[static_cast<size_t>(i)] >= 0) {
      const int32_t it = static_cast<int32_t>(labels[static_cast<size_t>(i)]);
      hits.push_back({it, matvec_row(items.row(it), d, prepared)});
    }
}

std::vector<Hit> FaissIndex::retrieve(const float* query, int k, const SearchFilter& filter) const {
  if (k <= 0) return {};
  const auto lease = scratch_.acquire<SearchScratch>();
  std::vector<float>& q = lease->q;
  q.resize(static_cast<size_t>(dim()));
  exact_->prepare_query(query, q.data());
  // 小的白名单：精确地给这些物品打分。
  if (filter.allow && filter.allow->size() <= kExactAllowLimit) return exact_->search_subset(q.data(), k, *filter.allow, filter.exclude);
  const int64_t n = size();
  const int64_t available = filter.empty() ? n : count_allowed(n, filter);
  const int64_t want = std::min<int64_t>(k, available);
  const std::vector<int32_t> ex = sorted_unique(filter.exclude, n);
  const std::vector<int32_t> al = filter.allow ? sorted_unique(*filter.allow, n) : std::vector<int32_t>();
  auto ok = [&](int32_t i) {
    return !std::binary_search(ex.begin(), ex.end(), i) && (!filter.allow || std::binary_search(al.begin(), al.end(), i));
  };
  // 先带选择器取 k 个；若近似搜索漏掉了（图不连通、桶里不够），把候选数翻倍重查。
  std::vector<Hit> hits, kept;
  for (int64_t kk = std::min<int64_t>(n, k + static_cast<int64_t>(ex.size()));; kk = std::min<int64_t>(n, kk * 2)) {
    faiss_search(q.data(), kk, filter.empty() ? nullptr : &filter, hits);
    kept.clear();
    for (const Hit& h : hits)
      if (ok(h.item)) kept.push_back(h);
    if (static_cast<int64_t>(kept.size()) >= want || kk >= n || kk >= int64_t(8) * k + 1024) break;
  }
  if (static_cast<int64_t>(kept.size()) < want) return exact_->retrieve(query, k, filter);  // 精确退路
  std::sort(kept.begin(), kept.end(), better);
  kept.resize(static_cast<size_t>(want));
  return kept;
}

std::vector<std::vector<Hit>> FaissIndex::retrieve_batch(const float* queries, int n, int k,
                                                         const std::vector<SearchFilter>& filters) const {
  std::vector<std::vector<Hit>> out(static_cast<size_t>(std::max(n, 0)));
  std::vector<int> plain;
  for (int i = 0; i < n; ++i) {
    if (!filters.empty() && !filters[static_cast<size_t>(i)].empty())
      out[static_cast<size_t>(i)] = retrieve(queries + int64_t(i) * dim(), k, filters[static_cast<size_t>(i)]);
    else
      plain.push_back(i);
  }
  if (plain.empty() || k <= 0) return out;
  const int64_t d = dim(), da = d + 1, kk = std::min<int64_t>(k, size());
  const int b = static_cast<int>(plain.size());
  std::vector<float> q(static_cast<size_t>(b * d)), qa(static_cast<size_t>(b * da), 0.0f), dist(static_cast<size_t>(b * kk));
  std::vector<idx_t> labels(static_cast<size_t>(b * kk));
  for (int j = 0; j < b; ++j) {
    exact_->prepare_query(queries + int64_t(plain[static_cast<size_t>(j)]) * d, q.data() + j * d);
    std::copy(q.data() + j * d, q.data() + (j + 1) * d, qa.data() + j * da);
  }
  index_->search(b, qa.data(), kk, dist.data(), labels.data());
  const MatrixView items = exact_->items();
  for (int j = 0; j < b; ++j) {
    auto& hits = out[static_cast<size_t>(plain[static_cast<size_t>(j)])];
    for (int64_t t = 0; t < kk; ++t) {
      const idx_t l = labels[static_cast<size_t>(j * kk + t)];
      if (l >= 0) hits.push_back({static_cast<int32_t>(l), matvec_row(items.row(l), d, q.data() + j * d)});
    }
    std::sort(hits.begin(), hits.end(), better);
    if (static_cast<int64_t>(hits.size()) < kk) hits = retrieve(queries + int64_t(plain[static_cast<size_t>(j)]) * d, k, {});
  }
  return out;
}

}  // namespace seqrec
