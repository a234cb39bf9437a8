// safetensors 读写实现。解析时把文件视为不可信输入。
#include "core/safetensors.h"

#include <cmath>

#include <cstring>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace seqrec {

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

std::string safetensors_encode(const TensorMap& tensors,
                               const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  size_t offset = 0;
  for (const auto& [name, t] : tensors) {
    SEQREC_CHECK(t.numel() == static_cast<int64_t>(t.data.size()), name);
    const size_t bytes = t.data.size() * sizeof(float);
    header[name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::string h = header.dump();
  h.append((8 - h.size() % 8) % 8, ' ');  // 数据起点按 8 字节对齐（规范允许用空格补齐）
  std::string out(8, '\0');
  uint64_t n = h.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  out += h;
  for (const auto& [name, t] : tensors)
    out.append(reinterpret_cast<const char*>(t.data.data()), t.data.size() * sizeof(float));
  return out;
}

TensorMap safetensors_decode(const std::string& bytes, const std::string& what,
                             std::map<std::string, std::string>* metadata) {
  if (metadata) metadata->clear();
  if (bytes.size() < 8) throw Error(concat(what, ": not a safetensors file (too short)"));
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  if (n > bytes.size() - 8) throw Error(concat(what, ": safetensors header length ", n, " exceeds file size"));
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<int64_t>(n));
  } catch (const std::exception& e) {
    throw Error(concat(what, ": safetensors header is not valid JSON: ", e.what()));
  }
  if (!header.is_object()) throw Error(concat(what, ": safetensors header must be a JSON object"));
  const size_t data_start = 8 + n;
  const size_t data_size = bytes.size() - data_start;
  TensorMap out;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!metadata) continue;
      if (!it.value().is_object()) throw Error(concat(what, ": safetensors __metadata__ must be a JSON object"));
      for (auto m = it.value().begin(); m != it.value().end(); ++m) {
        if (!m.value().is_string())
          throw Error(concat(what, ": safetensors __metadata__ value '", m.key(), "' must be a string"));
        (*metadata)[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    const auto& v = it.value();
    try {
      if (v.at("dtype").get<std::string>() != "F32")
        throw Error(concat("dtype ", v.at("dtype").dump(), " (only F32 is supported)"));
      Tensor t;
      t.shape = v.at("shape").get<std::vector<int64_t>>();
      auto offs = v.at("data_offsets").get<std::vector<uint64_t>>();
      if (offs.size() != 2 || offs[0] > offs[1] || offs[1] > data_size)
        throw Error("data_offsets out of range");
      for (auto d : t.shape)
        if (d < 0) throw Error("negative dimension");
      if (static_cast<uint64_t>(t.numel()) * sizeof(float) != offs[1] - offs[0])
        throw Error("shape does not match data_offsets");
      t.data.resize(static_cast<size_t>(t.numel()));
      if (offs[1] > offs[0]) std::memcpy(t.data.data(), bytes.data() + data_start + offs[0], offs[1] - offs[0]);
      out.emplace(it.key(), std::move(t));
    } catch (const Error& e) {
      throw Error(concat(what, ": tensor '", it.key(), "': ", e.what()));
    } catch (const std::exception& e) {
      throw Error(concat(what, ": tensor '", it.key(), "': malformed entry: ", e.what()));
    }
  }
  return out;
}

void check_finite_tensors(const TensorMap& tensors, const std::string& what) {
  for (const auto& [name, t] : tensors)
    for (size_t i = 0; i < t.data.size(); ++i)
      if (!std::isfinite(t.data[i]))
        throw Error(concat(what, ": tensor '", name, "' has a ", std::isnan(t.data[i]) ? "NaN" : "infinite",
                           " value at element ", i));
}

}  // namespace seqrec
