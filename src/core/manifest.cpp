// manifest 的生成与校验。
#include "core/manifest.h"

#include <filesystem>

#include "core/error.h"
#include "core/files.h"

namespace fs = std::filesystem;

namespace seqrec {

namespace {
constexpr uint64_t kMaxManifestBytes = 64u << 20;  // manifest.json 的上限（实际只有几 KB）
}  // namespace

std::string model_file_path(const std::string& dir, const std::string& name) {
  const bool plain = !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
                     name.find('\0') == std::string::npos;
  if (!plain)
    throw Error(concat(dir, "/manifest.json lists a file named '", name,
                       "'; only plain file names inside the model directory are allowed"));
  const fs::path p = fs::path(dir) / name;
  std::error_code ec;
  if (fs::is_symlink(fs::symlink_status(p, ec))) {
    // 符号链接：解析后的路径必须仍在模型目录之内。
    const fs::path target = fs::weakly_canonical(p, ec);
    const fs::path root = fs::weakly_canonical(dir, ec);
    const std::string t = target.string(), r = root.string() + "/";
    if (ec || t.compare(0, r.size(), r) != 0)
      throw Error(concat("model file '", p.string(), "' is a symbolic link that leaves the model directory"));
  }
  return p.string();
}

std::string json_error_text(const std::exception& e) {
  std::string s = e.what();
  const size_t cut = s.find("; last read:");
  if (cut != std::string::npos) s.erase(cut);
  return s;
}

nlohmann::json file_checksums(const std::string& dir, const std::vector<std::string>& files) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& f : files) {
    const std::string p = (fs::path(dir) / f).string();
    out[f] = {{"sha256", sha256_file(p)}, {"bytes", fs::file_size(p)}};
  }
  return out;
}

nlohmann::json load_manifest(const std::string& dir, std::string* raw) {
  if (!fs::is_directory(dir)) throw Error(concat("model directory '", dir, "' does not exist"));
  const std::string mpath = (fs::path(dir) / "manifest.json").string();
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(mpath, ec)))
    throw Error(concat("'", mpath, "' is missing: not a complete seqrec model directory"));
  model_file_path(dir, "manifest.json");  // 符号链接不能指向目录之外
  nlohmann::json m;
  const std::string text = read_regular_file(mpath, kMaxManifestBytes);
  if (raw) *raw = text;
  try {
    m = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(concat("'", mpath, "' is not valid JSON: ", json_error_text(e)));
  }
  if (!m.is_object() || !m.contains("format_version") || !m["format_version"].is_number_integer())
    throw Error(concat("'", mpath, "' has no integer 'format_version'"));
  if (m["format_version"].get<int>() != kFormatVersion)
    throw Error(concat("'", mpath, "' has format_version ", m["format_version"].dump(),
                       "; this seqrec reads version ", kFormatVersion));
  if (!m.contains("files") || !m["files"].is_object())
    throw Error(concat("'", mpath, "' has no 'files' object"));
  return m;
}

nlohmann::json load_and_verify_manifest(const std::string& dir, std::string* raw) {
  nlohmann::json m = load_manifest(dir, raw);
  const std::string mpath = (fs::path(dir) / "manifest.json").string();
  for (auto it = m["files"].begin(); it != m["files"].end(); ++it) {
    const std::string p = model_file_path(dir, it.key());
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(p, ec))) throw Error(concat("model file '", p, "' listed in manifest.json is missing"));
    const auto& e = it.value();
    if (!e.is_object() || !e.contains("sha256") || !e["sha256"].is_string())
      throw Error(concat("'", mpath, "': entry for '", it.key(), "' has no sha256"));
    if (!e.contains("bytes") || !e["bytes"].is_number_unsigned())
      throw Error(concat("'", mpath, "': entry for '", it.key(), "' has no byte count ('bytes')"));
    // 先比大小（不读文件），再算哈希；哈希值不进消息（文件可能不是模型自己的）。
    const std::string got = sha256_file(p, static_cast<int64_t>(e["bytes"].get<uint64_t>()));
    if (got != e["sha256"].get<std::string>())
      throw Error(concat("model file '", p, "' is corrupt: its sha256 does not match manifest.json"));
  }
  return m;
}

std::string manifest_version(const std::string& raw) { return sha256_hex(raw).substr(0, 12); }

void edit_manifest(const std::string& dir, const std::string& expected_version,
                   const std::function<void(nlohmann::ordered_json&)>& edit) {
  const std::string mpath = (fs::path(dir) / "manifest.json").string();
  std::string raw;
  load_manifest(dir, &raw);  // 先做与加载时相同的检查（格式版本、files 表）
  if (manifest_version(raw) != expected_version)
    throw Error(concat("'", mpath, "' changed since it was read (version ", expected_version, ", now ",
                       manifest_version(raw), "): not rewritten"));
  // ordered_json 保留导出时的键顺序，改写后的文件只在改动处与原文件不同。
  const auto before = nlohmann::ordered_json::parse(raw);
  nlohmann::ordered_json m = before;
  edit(m);
  if (!m.is_object() || !m.contains("files") || m["files"] != before["files"] ||
      !m.contains("format_version") || m["format_version"] != before["format_version"])
    throw Error(concat("'", mpath, "': the rewrite would change its files table or format version; not rewritten"));
  write_file_atomic(mpath, m.dump(2));
}

}  // namespace seqrec
