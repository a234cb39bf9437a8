// 把一个向量模型目录导出为 PyTorch 的形式（seqrec export --format pth）：
//   model.pth        state dict（张量名与 model.safetensors 相同），Python 里 torch.load 直接读
//   seqrec_torch.py  模块的源码（即 python/seqrec/torch_modules.py，只依赖 torch 与 NumPy）
//   item_map.json、user_map.json  从模型目录复制（第 i 行物品 / 用户的原始 ID）
//   manifest.json    模型的 model 段、来源模型与版本、各文件的校验和（最后写）
// 整个目录先写到同级的临时目录再原子发布，与模型目录相同。
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace seqrec {

// 导出 model_dir（校验和先验证）到 out_dir（替换规则同 publish_dir）；返回写出的 manifest。
// 生成式模型（colarec）没有对应的 PyTorch 模块：报错，什么也不写。
nlohmann::ordered_json export_pth(const std::string& model_dir, const std::string& out_dir);

// seqrec_torch.py 的内容（构建时从 python/seqrec/torch_modules.py 嵌入）。
const char* torch_modules_source();

}  // namespace seqrec
