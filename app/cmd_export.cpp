// `seqrec export`：把模型目录导出为别的框架能直接读的形式。--format pth：PyTorch 的 state dict 与模块源码
// （见 src/train/pth_export.h）。只在带训练的 seqrec 程序里（需要 LibTorch 写 .pth）。
#include <cstdio>
#include <memory>

#include "commands.h"
#include "core/error.h"
#include "train/pth_export.h"

namespace seqrec::app {

namespace {

// export 子命令的选项。
struct ExportFlags {
  std::string model, out, format = "pth";
};

}  // namespace

// 注册 export 子命令。
void setup_export(CLI::App& app) {
  auto f = std::make_shared<ExportFlags>();
  auto* cmd = app.add_subcommand("export", "export a model directory for another framework (pth: a PyTorch state "
                                           "dict and the module's source)");
  cmd->add_option("--model", f->model, "model directory written by 'seqrec train' (a vector model)")->required();
  cmd->add_option("--out", f->out, "output directory (replaced atomically): model.pth, seqrec_torch.py, "
                                   "item_map.json, user_map.json, manifest.json")
      ->required();
  cmd->add_option("--format", f->format, "pth: torch.load-able state dict with the tensor names of model.safetensors, "
                                         "and seqrec_torch.py whose modules run the same forward pass as seqrec")
      ->capture_default_str()
      ->check(CLI::IsMember({"pth"}));
  cmd->callback([f] {
    const auto m = export_pth(f->model, f->out);
    std::printf("exported %s (%s, %zu tensors) to %s: model.pth, seqrec_torch.py\nin Python: import sys; "
                "sys.path.insert(0, \"%s\"); import seqrec_torch; net = seqrec_torch.load(\"%s\")\n",
                f->model.c_str(), m["model_type"].get<std::string>().c_str(), m["tensors"].size(), f->out.c_str(),
                f->out.c_str(), f->out.c_str());
  });
}

}  // namespace seqrec::app
