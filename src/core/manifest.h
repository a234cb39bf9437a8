// 模型目录的 manifest.json：格式版本、模型类型、全部选项、数据集统计、验证指标、每个文件的 sha256。
// 服务端加载前用它核对目录完整性（STYLE.md 第 9 条：自描述、带版本的产物）。
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace seqrec {

// 当前产物格式版本；加载时不同的主版本会被拒绝。
constexpr int kFormatVersion = 1;

// 模型目录里一个文件的路径：name 必须是目录里的普通文件名（不含 '/'、不是 '.' 或 '..'、不是空串），
// 是符号链接时必须指向目录之内。否则抛出 Error（manifest 里的名字来自不可信的文件，不能借它读目录外的文件）。
std::string model_file_path(const std::string& dir, const std::string& name);

// nlohmann::json 异常的说明，去掉它附带的“last read: '...'”（那是文件内容的片段，不能出现在错误消息与
// HTTP 回答里）。
std::string json_error_text(const std::exception& e);

// 为目录 dir 中的 files 计算 sha256 与字节数，写成 manifest["files"]。
nlohmann::json file_checksums(const std::string& dir, const std::vector<std::string>& files);

// 只读取 dir/manifest.json 并检查格式版本与 files 表，不计算文件的 sha256（便宜；用于在真正载入之前
// 先看选项，例如 --init-from 的冲突检查）。真正使用目录里的文件时仍须 load_and_verify_manifest。
nlohmann::json load_manifest(const std::string& dir, std::string* raw = nullptr);

// 读取并校验 dir/manifest.json：格式版本、每个列出的文件名合法（model_file_path）、是普通文件、
// 大小与 bytes 一致（先比大小，不符就不读）、sha256 一致。任何不符都抛出 Error，指明是哪个文件出了什么问题；
// 消息里不含文件内容，也不含算出的哈希。返回解析后的 manifest。
// raw 非空时写入 manifest.json 的原始文本（用于计算模型版本）。
nlohmann::json load_and_verify_manifest(const std::string& dir, std::string* raw = nullptr);

// 模型版本：manifest.json 原文的 sha256 前 12 位（目录内容变了，版本就变；服务的 X-Model-Version）。
std::string manifest_version(const std::string& raw);

// 改写已发布模型目录里的 manifest.json（例如记下在验证集上选出的 dense_mix）：先重读文件，确认它仍是
// 版本 expected_version 的那一份（读入之后没被重新训练、没被别的进程改过），按原有的键顺序解析后交给 edit
// 修改，再原子地写回（格式与导出时相同：缩进 2、键序不变，新键排在所在对象的末尾）。
// 文件已变、或 edit 改动了 files 表（它校验的是别的文件，不能顺手改）或格式版本时抛出 Error，什么也不写。
void edit_manifest(const std::string& dir, const std::string& expected_version,
                   const std::function<void(nlohmann::ordered_json&)>& edit);

}  // namespace seqrec
