// 按模型类型构建原生推理模型（服务、评估与导出共用）。
#include <memory>

#include "core/error.h"
#include "models/encoder.h"
#include "models/gru4rec_native.h"
#include "models/lightgcn_native.h"
#include "models/long_short_native.h"
#include "models/sasrec_native.h"

namespace seqrec {

std::unique_ptr<SequenceEncoder> make_encoder(const TensorMap& weights, const ModelConfig& cfg) {
  if (cfg.type == "long_short") return std::make_unique<LongShortModel>(LongShortModel::from_tensors(weights, cfg));
  if (cfg.type == "sasrec") return std::make_unique<SasRecModel>(SasRecModel::from_tensors(weights, cfg));
  if (cfg.type == "gru4rec") return std::make_unique<Gru4RecModel>(Gru4RecModel::from_tensors(weights, cfg));
  if (cfg.type == "lightgcn") return std::make_unique<LightGcnModel>(LightGcnModel::from_tensors(weights, cfg));
  throw Error(concat("unknown model type '", cfg.type, "'"));
}

}  // namespace seqrec
