// Python 扩展模块 seqrec._train：在进程内运行 `seqrec train`（同一个子命令，选项、默认值、校验与错误消息都相同）。
// 链接 LibTorch，所以与 seqrec._seqrec 分开：只有调用 seqrec.train 时才载入。
#include <pybind11/functional.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <filesystem>
#include <string>
#include <vector>

#include "cli_call.h"
#include "commands.h"
#include "core/blas_core.h"
#include "core/error.h"

namespace py = pybind11;
namespace pycli = seqrec::pycli;

namespace {

// seqrec.Error（定义在 seqrec._seqrec）：有意不释放，理由同 _seqrec.cpp 的 to_python。
PyObject* g_error = nullptr;

// 训练期间设置每轮的钩子，结束（包括出错）时清掉。
struct EpochHook {
  explicit EpochHook(std::function<void(const nlohmann::json&)> fn) { seqrec::app::train_epoch_hook() = std::move(fn); }
  ~EpochHook() { seqrec::app::train_epoch_hook() = nullptr; }
};

}  // namespace

PYBIND11_MODULE(_train, m) {
  m.doc() = "seqrec train in-process (use seqrec.train, not this module directly)";
  seqrec::ensure_blas_core();  // 与程序的 main() 相同：先于任何 BLAS 调用
  g_error = py::object(py::module_::import("seqrec._seqrec").attr("Error")).release().ptr();
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const seqrec::Error& e) {
      PyErr_SetString(g_error, e.what());
    } catch (const std::filesystem::filesystem_error& e) {
      PyErr_SetString(g_error, seqrec::concat("'", e.path1().string(), "': ", e.code().message()).c_str());
    }
  });

  // args：`seqrec train` 之后的参数；progress：每轮结束时以这一轮的记录（dict）调用，可为 None。
  m.def("run_train", [](const std::vector<std::string>& args, py::object progress) {
    py::object loads = py::module_::import("json").attr("loads");
    EpochHook hook(progress.is_none() ? std::function<void(const nlohmann::json&)>()
                                      : [&](const nlohmann::json& r) {
                                          py::gil_scoped_acquire gil;
                                          progress(loads(r.dump()));
                                        });
    pycli::run_subcommand(seqrec::app::setup_train, "train", args);
  }, py::arg("args"), py::arg("progress") = py::none());
}
