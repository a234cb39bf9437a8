// Python 扩展模块 seqrec._seqrec（pybind11）：与命令行、HTTP 服务同一个库，同样的代码路径给出同样的答案。
// 这里只做类型转换与 GIL 管理；推荐、编码、检索都调用 src/ 里的函数（serve/recommender.h 等）。
// 纯 Python 的外层（python/seqrec/__init__.py）在它之上补文档与便利参数。
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cli_call.h"
#include "commands.h"
#include "core/error.h"
#include "core/version.h"
#include "session/covisit.h"
#include "serve/model_bundle.h"
#include "serve/recommender.h"

namespace py = pybind11;
namespace pycli = seqrec::pycli;

namespace seqrec {
namespace {

// JSON → Python 对象（经由标准库 json：数字、字符串、嵌套结构与服务的回答逐字相同）。
py::object to_python(const nlohmann::ordered_json& j) {
  // 有意不释放：静态的 py::object 会在解释器结束之后析构，那时已经没有 GIL。
  static py::object* loads = new py::object(py::module_::import("json").attr("loads"));
  return (*loads)(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// Python 的 ID（str 或 int）→ 字符串，与 HTTP 请求里字符串或整数的 ID 相同；别的类型抛出 Error。
std::string id_of(const py::handle& v, const char* what) {
  if (py::isinstance<py::str>(v)) return v.cast<std::string>();
  if (py::isinstance<py::int_>(v) && !py::isinstance<py::bool_>(v)) return py::str(v).cast<std::string>();
  throw Error(concat(what, " must hold str or int ids, got ", py::str(py::type::of(v).attr("__name__")).cast<std::string>()));
}

// ID 序列（None = 空）。
std::vector<std::string> ids_of(const py::handle& seq, const char* what) {
  std::vector<std::string> out;
  if (seq.is_none()) return out;
  if (py::isinstance<py::str>(seq)) throw Error(concat(what, " must be a sequence of ids, not a single string"));
  for (const auto& v : py::iter(seq)) out.push_back(id_of(v, what));
  return out;
}

// 一个请求（与 HTTP 请求的字段一一对应）；k 的范围与服务的默认上限相同。
RecommendRequest make_request(const py::handle& user, const py::handle& clicks, int k, const py::handle& exclude,
                              const py::handle& allow, const py::handle& deny) {
  RecommendRequest r;
  if (!user.is_none()) r.user_id = id_of(user, "user_id");
  r.recent_clicks = ids_of(clicks, "clicks");
  if (r.recent_clicks.size() > kMaxClicks) throw Error(concat("clicks has ", r.recent_clicks.size(), " ids; at most ", kMaxClicks));
  if (k < 1 || k > kDefaultMaxTopK) throw Error(concat("k must be between 1 and ", kDefaultMaxTopK, ", got ", k));
  r.top_k = k;
  if (!exclude.is_none()) r.exclude_clicked = exclude.cast<bool>();
  if (!allow.is_none()) r.allow_items = ids_of(allow, "allow");
  r.deny_items = ids_of(deny, "deny");
  return r;
}

// 一个载入的模型（持有模型版本的共享指针；item_vectors 借用它的内存，Python 对象活着它就活着）。
struct Model {
  std::shared_ptr<const ModelBundle> b;
};

// 一批请求的结果 → (ids [n, k] 的 object 数组, scores [n, k] float32)；不足 k 个的位置为 "" 与 NaN。
py::tuple batch_arrays(const std::vector<nlohmann::ordered_json>& results, int k) {
  const auto n = static_cast<py::ssize_t>(results.size());
  py::array ids(py::dtype("O"), {n, static_cast<py::ssize_t>(k)});
  py::array_t<float> scores({n, static_cast<py::ssize_t>(k)});
  auto s = scores.mutable_unchecked<2>();
  auto** obj = static_cast<PyObject**>(ids.mutable_data());
  py::str empty("");
  for (py::ssize_t i = 0; i < n; ++i) {
    const auto& r = results[static_cast<size_t>(i)];
    const auto& rid = r["recommended_item_ids"];
    const auto& rsc = r["scores"];
    for (py::ssize_t j = 0; j < k; ++j) {
      const bool has = j < static_cast<py::ssize_t>(rid.size());
      py::object v = has ? py::object(py::str(rid[static_cast<size_t>(j)].get<std::string>())) : py::object(empty);
      PyObject*& slot = obj[i * k + j];
      Py_XDECREF(slot);
      slot = v.release().ptr();
      s(i, j) = has ? rsc[static_cast<size_t>(j)].get<float>() : std::numeric_limits<float>::quiet_NaN();
    }
  }
  return py::make_tuple(ids, scores);
}

// 把 [0, n) 分给 threads 个线程做 fn(lo, hi)；每轮至多 round 个，轮与轮之间拿回 GIL 查 Ctrl-C。
template <class F>
void parallel_rounds(size_t n, int threads, size_t round, F fn) {
  for (size_t r0 = 0; r0 < n; r0 += round) {
    const size_t r1 = std::min(n, r0 + round);
    std::vector<std::string> errs(static_cast<size_t>(threads));
    {
      py::gil_scoped_release nogil;
      std::vector<std::thread> pool;
      const size_t len = r1 - r0;
      for (int t = 0; t < threads; ++t) {
        const size_t lo = r0 + len * static_cast<size_t>(t) / static_cast<size_t>(threads);
        const size_t hi = r0 + len * static_cast<size_t>(t + 1) / static_cast<size_t>(threads);
        if (lo == hi) continue;
        pool.emplace_back([&, t, lo, hi] {
          try {
            fn(lo, hi);
          } catch (const std::exception& e) {
            errs[static_cast<size_t>(t)] = e.what();
          }
        });
      }
      for (auto& th : pool) th.join();
    }
    for (const auto& e : errs)
      if (!e.empty()) throw Error(e);
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
  }
}

int resolve_threads(int threads) {
  if (threads < 0) throw Error(concat("threads must be >= 0 (0 = one per core), got ", threads));
  return threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace
}  // namespace seqrec

PYBIND11_MODULE(_seqrec, m) {
  using namespace seqrec;
  m.doc() = "seqrec's C++ library (use the seqrec package, not this module directly)";
  m.attr("__version__") = kSeqrecVersion;
  // seqrec 的错误（坏文件、坏选项、坏请求）都是 seqrec.Error，它是 ValueError 的子类；消息与命令行相同。
  // 异常类型有意不释放（理由同 to_python）。
  static auto* error = new py::exception<Error>(m, "Error", PyExc_ValueError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& e) {
      (*error)(e.what());
    } catch (const RequestError& e) {
      (*error)(e.field().empty() ? e.what() : concat(e.field(), ": ", e.what()).c_str());
    } catch (const std::filesystem::filesystem_error& e) {
      (*error)(concat("'", e.path1().string(), "': ", e.code().message()).c_str());
    }
  });

  py::class_<Model>(m, "Model")
      .def("__repr__", [](const Model& s) {
        return concat("<seqrec.Model ", s.b->manifest.value("model_type", std::string("?")), " ", s.b->dir, " version ",
                      s.b->version, ", ", s.b->items.size(), " items, ", s.b->users.size(), " users>");
      })
      .def_property_readonly("dir", [](const Model& s) { return s.b->dir; }, "the model directory")
      .def_property_readonly("version", [](const Model& s) { return s.b->version; },
                             "the model version (first 12 hex digits of the sha256 of manifest.json)")
      .def_property_readonly("manifest", [](const Model& s) { return to_python(nlohmann::ordered_json(s.b->manifest)); },
                             "manifest.json as a dict (model, training options, data statistics, metrics, files)")
      .def_property_readonly("items", [](const Model& s) {
        py::list out;
        for (size_t i = 0; i < s.b->items.size(); ++i) out.append(s.b->items.id(static_cast<int32_t>(i)));
        return out;
      }, "item ids in index order: row i of item_vectors is items[i]")
      .def_property_readonly("users", [](const Model& s) {
        py::list out;
        for (size_t i = 0; i < s.b->users.size(); ++i) out.append(s.b->users.id(static_cast<int32_t>(i)));
        return out;
      }, "user ids in index order (the users the model has a row for)")
      .def_property_readonly("item_vectors", [](py::object self) -> py::object {
        const Model& s = self.cast<const Model&>();
        if (!s.b->model) throw Error("a generative model (colarec) has no item vectors; it ranks by beam search");
        const float* p = s.b->model->item_table();
        const auto n = static_cast<py::ssize_t>(s.b->items.size());
        const auto d = static_cast<py::ssize_t>(s.b->model->dim());
        if (!p) {  // 没有可借用的存储：给一份副本
          const Matrix e = s.b->model->item_embeddings();
          return py::array_t<float>({n, d}, e.data.data());
        }
        // 借用模型的内存（不复制）：数组的 base 是这个 Model 对象；只读，免得改坏正在用的模型。
        py::array_t<float> a({n, d}, {d * static_cast<py::ssize_t>(sizeof(float)), static_cast<py::ssize_t>(sizeof(float))}, p, self);
        py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
        return std::move(a);
      }, "item vectors [items, dim] float32, as item_embeddings.npy: a read-only view of the loaded model (no copy)")
      .def("recommend",
           [](const Model& s, py::object user, py::object clicks, int k, py::object exclude, py::object allow,
              py::object deny) {
             RecommendRequest r = make_request(user, clicks, k, exclude, allow, deny);
             nlohmann::ordered_json out;
             {
               py::gil_scoped_release nogil;
               out = recommend(*s.b, r);
             }
             out["model_version"] = s.b->version;
             return to_python(out);
           },
           R"doc(Top-k items for one user, exactly as POST /recommend answers: a dict with
``recommended_item_ids``, ``scores``, ``score_type``, ``strategy`` (``"model"`` or
``"most_popular"``), ``user_known``, ``exclude_clicked``, ``unknown_clicks`` and ``model_version``.

Args:
    user_id: str, int or None (anonymous).
    clicks: the user's recent item ids, oldest first (ids the model does not know are dropped and
        listed in ``unknown_clicks``).
    k: how many items, 1..1000.
    exclude: True/False to (not) exclude the clicked items; None = the model's default.
    allow: only recommend from these item ids.
    deny: never recommend these item ids.)doc",
           py::arg("user_id") = py::none(), py::arg("clicks") = py::none(), py::arg("k") = 10,
           py::arg("exclude") = py::none(), py::arg("allow") = py::none(), py::arg("deny") = py::none())
      .def("recommend_batch",
           [](const Model& s, py::object histories, int k, py::object users, py::object exclude, int threads) {
             std::vector<RecommendRequest> reqs;
             for (const auto& h : py::iter(histories)) reqs.push_back(make_request(py::none(), h, k, exclude, py::none(), py::none()));
             if (!users.is_none()) {
               const std::vector<std::string> u = ids_of(users, "users");
               if (u.size() != reqs.size())
                 throw Error(concat("users has ", u.size(), " ids but histories has ", reqs.size(), " rows"));
               for (size_t i = 0; i < u.size(); ++i) reqs[i].user_id = u[i];
             }
             std::vector<nlohmann::ordered_json> results(reqs.size());
             parallel_rounds(reqs.size(), resolve_threads(threads), 4096, [&](size_t lo, size_t hi) {
               const std::vector<RecommendRequest> part(reqs.begin() + static_cast<std::ptrdiff_t>(lo),
                                                        reqs.begin() + static_cast<std::ptrdiff_t>(hi));
               auto out = recommend_batch(*s.b, part);
               for (size_t i = lo; i < hi; ++i) results[i] = std::move(out["results"][i - lo]);
             });
             return batch_arrays(results, k);
           },
           R"doc(Top-k for many users at once, the same answers as :meth:`recommend` row by row, computed on
``threads`` threads (0 = one per core) without the GIL. Returns ``ids`` (object array of str,
shape [n, k]) and ``scores`` (float32, [n, k]); rows with fewer than k items are padded with ""
and NaN. Ctrl-C interrupts it between rounds of 4,096 rows.

Args:
    histories: a sequence of click lists (oldest first), one per user.
    users: optional user ids, one per history (for models that use the user id).)doc",
           py::arg("histories"), py::arg("k") = 10, py::arg("users") = py::none(), py::arg("exclude") = py::none(),
           py::arg("threads") = 0)
      .def("encode",
           [](const Model& s, py::object histories, py::object users, int threads) {
             if (!s.b->model) throw Error("a generative model (colarec) has no user vectors; it ranks by beam search");
             std::vector<std::vector<std::string>> hs;
             for (const auto& h : py::iter(histories)) hs.push_back(ids_of(h, "histories"));
             std::vector<std::string> us;
             if (!users.is_none()) {
               us = ids_of(users, "users");
               if (us.size() != hs.size())
                 throw Error(concat("users has ", us.size(), " ids but histories has ", hs.size(), " rows"));
             }
             const auto n = static_cast<py::ssize_t>(hs.size());
             const int d = s.b->model->dim();
             py::array_t<float> out({n, static_cast<py::ssize_t>(d)});
             float* o = out.mutable_data();
             parallel_rounds(hs.size(), resolve_threads(threads), 16384, [&](size_t lo, size_t hi) {
               std::vector<int32_t> clicks;
               for (size_t i = lo; i < hi; ++i) {
                 clicks.clear();
                 for (const auto& id : hs[i])
                   if (const int32_t it = s.b->items.find(id); it >= 0) clicks.push_back(it);  // 不认识的点击丢掉，与服务相同
                 const int32_t u = us.empty() ? -1 : s.b->users.find(us[i]);
                 s.b->model->encode(u, clicks.data(), clicks.size(), o + i * static_cast<size_t>(d));
               }
             });
             return out;
           },
           R"doc(User vectors [n, dim] (float32), the queries the service scores items with: the score of an
item is ``vec @ item_vectors[i]`` (``"dot"``) or its cosine (``"cosine"``, see
``manifest["model"]["similarity"]``). Unknown click ids are dropped, as the service does.)doc",
           py::arg("histories"), py::arg("users") = py::none(), py::arg("threads") = 0);

  m.def("load",
        [](const std::string& dir, const std::string& index, const std::string& precision) {
          BundleOptions o;
          o.index = index;
          o.precision = parse_scan_precision(precision);
          Model mdl;
          {
            py::gil_scoped_release nogil;
            mdl.b = ModelBundle::load(dir, o);
          }
          return mdl;
        },
        py::arg("model_dir"), py::arg("index") = "auto", py::arg("precision") = "int8");

  // 进程内运行 eval / covisit / candidates 子命令（seqrec.evaluate 等的实现）：与命令行同样的选项与消息。
  // 子命令用 --json 给出的结果（eval）作为 dict 返回，别的返回 None（它们写文件，表格打印到 stdout）。
  m.def("run_command", [](const std::string& name, const std::vector<std::string>& args) -> py::object {
    const std::map<std::string, std::function<void(CLI::App&)>> setups = {
        {"eval", app::setup_eval}, {"covisit", app::setup_covisit}, {"candidates", app::setup_candidates}};
    const auto it = setups.find(name);
    if (it == setups.end()) throw Error(concat("run_command: no subcommand '", name, "' here"));
    std::optional<nlohmann::ordered_json> result;
    struct HookGuard {  // 结束（包括出错）时清掉钩子
      ~HookGuard() { app::json_result_hook() = nullptr; }
    } guard;
    app::json_result_hook() = [&](const nlohmann::ordered_json& j) { result = j; };
    pycli::run_subcommand(it->second, name, args);
    return result ? to_python(*result) : py::object(py::none());
  }, py::arg("name"), py::arg("args"));

  // 共现目录（seqrec covisit 的产物）的一张表 → (aid, neighbour, weight) 三个 NumPy 数组，按 aid、权重从高到低。
  m.def("covisit_table", [](const std::string& dir, const std::string& table) {
    int kind = -1;
    for (int k = 0; k < kCovisitKinds; ++k)
      if (table == covisit_kind_name(k)) kind = k;
    if (kind < 0) throw Error(concat("table must be clicks, carts_orders or buy2buy, got '", table, "'"));
    CovisitModel cm;
    {
      py::gil_scoped_release nogil;
      cm = CovisitModel::load(dir);
    }
    const NeighbourTable& t = cm.tables[static_cast<size_t>(kind)];
    const auto n = static_cast<py::ssize_t>(t.neighbours.size());
    py::array_t<int64_t> aid(n), nb(n);
    py::array_t<float> w(n);
    int64_t* a = aid.mutable_data();
    int64_t* b = nb.mutable_data();
    float* c = w.mutable_data();
    for (int32_t i = 0; i + 1 < static_cast<int32_t>(t.offsets.size()); ++i)
      for (int64_t p = t.begin(i); p < t.end(i); ++p) {
        a[p] = cm.items.id(i);
        b[p] = cm.items.id(t.neighbours[static_cast<size_t>(p)]);
        c[p] = t.weights[static_cast<size_t>(p)];
      }
    return py::make_tuple(aid, nb, w, to_python(cm.info));
  }, py::arg("dir"), py::arg("table"));
}
