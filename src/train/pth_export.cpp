// seqrec export --format pth 的实现：safetensors → torch::pickle_save 的 state dict（与 Python torch.save 的
// 格式相同，torch.load 可读）。
#include "train/pth_export.h"

#include <torch/serialize.h>
#include <torch/torch.h>

#include <filesystem>

#include "core/error.h"
#include "core/files.h"
#include "core/manifest.h"
#include "core/safetensors.h"
#include "core/version.h"
#include "models/registry.h"

namespace seqrec {

namespace fs = std::filesystem;

nlohmann::ordered_json export_pth(const std::string& model_dir, const std::string& out_dir) {
  const nlohmann::json manifest = load_and_verify_manifest(model_dir);
  const std::string type = manifest.value("model_type", std::string());
  if (type.empty()) throw Error(concat(model_dir, ": not a model directory (its manifest.json has no model_type)"));
  if (is_generative_model_type(type))
    throw Error(concat(model_dir, " is a generative model (", type, "): it ranks by beam search over semantic ids and "
                       "has no PyTorch module here; --format pth exports vector models (long_short, sasrec, gru4rec, "
                       "lightgcn)"));
  if (fs::weakly_canonical(model_dir) == fs::weakly_canonical(out_dir))
    throw Error(concat("--out ", out_dir, " is the model directory itself; give another directory"));
  check_output_dir(out_dir);
  const TensorMap weights =
      safetensors_decode(read_file((fs::path(model_dir) / "model.safetensors").string()), model_dir + "/model.safetensors");
  // state dict：名字 → float32 张量（复制出来，写完即释放）
  c10::Dict<std::string, at::Tensor> state;
  nlohmann::ordered_json shapes;
  for (const auto& [name, t] : weights) shapes[name] = t.shape;
  for (const auto& [name, t] : weights)
    state.insert(name, torch::from_blob(const_cast<float*>(t.data.data()), t.shape, torch::kFloat32).clone());
  const std::vector<char> pth = torch::pickle_save(state);

  const std::string stage = make_staging_dir(out_dir);
  try {
    auto path = [&](const char* f) { return (fs::path(stage) / f).string(); };
    write_file_atomic(path("model.pth"), std::string(pth.begin(), pth.end()));
    write_file_atomic(path("seqrec_torch.py"), torch_modules_source());
    for (const char* f : {"item_map.json", "user_map.json"})
      write_file_atomic(path(f), read_file((fs::path(model_dir) / f).string()));
    nlohmann::ordered_json m;
    m["format_version"] = 1;
    m["artifact"] = "pth";
    m["model_type"] = type;
    m["model"] = manifest.at("model");
    m["tensors"] = shapes;  // 名字 → 形状（state dict 的键）
    m["source"] = {{"model_dir", model_dir},
                   {"model_commit", manifest.value("seqrec_commit", "unknown")},
                   {"manifest_sha256", sha256_file((fs::path(model_dir) / "manifest.json").string())}};
    m["seqrec_version"] = kSeqrecVersion;
    m["seqrec_commit"] = git_commit();
    m["torch_version"] = TORCH_VERSION;
    m["usage"] = "import torch, seqrec_torch; net = seqrec_torch.load(DIR); net(items, users) -> user vectors";
    m["files"] = file_checksums(stage, {"model.pth", "seqrec_torch.py", "item_map.json", "user_map.json"});
    write_file_atomic(path("manifest.json"), m.dump(2));  // 最后写 manifest
    fsync_path(stage);
    publish_dir(stage, out_dir);
    return m;
  } catch (...) {
    std::error_code ec;
    fs::remove_all(stage, ec);
    throw;
  }
}

}  // namespace seqrec
