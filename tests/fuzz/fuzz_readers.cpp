// libFuzzer 目标：每一种数据文件读取器（CSV、三种序列文件、RecBole .inter、OTTO JSONL、.npy、safetensors、
// 预处理缓存、ID 映射 JSON）。第 1 个字节选读取器，其余是文件内容。
// 读取器对坏输入只能抛出 seqrec::Error（带文件名与行号的清楚说明）；其他异常、崩溃或 ASan/UBSan 报告都算失败。
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/error.h"
#include "core/npy.h"
#include "core/safetensors.h"
#include "data/cache.h"
#include "data/csv_reader.h"
#include "data/dataset.h"
#include "data/formats.h"
#include "data/id_map.h"

using namespace seqrec;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  const int which = data[0] % 11;
  try {
    CsvOptions csv;
    switch (which) {
      case 0: parse_interactions(text, "fuzz.csv", csv); break;
      case 1: parse_sequences(text, "fuzz.txt", DataFormat::kSeqUid); break;
      case 2: parse_sequences(text, "fuzz.txt", DataFormat::kSeqPlain); break;
      case 3: parse_sequences(text, "fuzz.txt", DataFormat::kSeqPairs); break;
      case 4: parse_recbole_inter(text, "fuzz.inter"); break;
      case 5: parse_otto_jsonl(text, "fuzz.jsonl"); break;
      case 6: npy_decode(text, "fuzz.npy"); break;
      case 7: safetensors_decode(text, "fuzz.safetensors"); break;
      case 8: {
        std::string why;
        decode_sequence_data(text, &why);
        break;
      }
      case 9: {
        const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
        if (!j.is_discarded()) IdMap::from_json(j, "fuzz_map.json");
        break;
      }
      default: {
        // 自动识别格式后读取（与 seqrec train --format auto 相同的路径），再建序列。
        const Interactions in = parse_any(text, "fuzz.data", detect_format("fuzz.data", text), csv);
        FilterOptions f;
        f.min_user_interactions = 1;
        build_sequences(in, f);
        break;
      }
    }
  } catch (const Error&) {
    // 预期中的拒绝
  } catch (const std::exception& e) {
    std::fprintf(stderr, "reader %d threw a non-seqrec exception: %s\n", which, e.what());
    std::abort();
  }
  return 0;
}
