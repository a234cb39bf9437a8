// NumPy .npy v1.0 格式（float32、C 顺序、二维）的读写。
// 布局：魔数 "\x93NUMPY"、版本 1.0、2 字节小端头长度、Python 字典形式的头（用空格补齐，
// 以 '\n' 结尾，使数据起点按 64 字节对齐），随后是行优先的 float32 小端数据。
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace seqrec {

// 二维 float32 矩阵（行优先）。
struct Matrix {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<float> data;
  const float* row(int64_t r) const { return data.data() + r * cols; }
  float* row(int64_t r) { return data.data() + r * cols; }
};

// 不拥有数据的只读矩阵视图（行优先）；可由 Matrix 隐式构造。被看的数据必须比视图活得久。
struct MatrixView {
  const float* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  MatrixView() = default;
  MatrixView(const Matrix& m) : data(m.data.data()), rows(m.rows), cols(m.cols) {}  // NOLINT：有意允许隐式转换
  MatrixView(const float* d, int64_t r, int64_t c) : data(d), rows(r), cols(c) {}
  const float* row(int64_t r) const { return data + r * cols; }
};

// 把矩阵序列化为 .npy 字节串。
std::string npy_encode(const Matrix& m);
// 原子地写出 .npy 文件。
void npy_save(const std::string& path, const Matrix& m);
// 解析 .npy 字节串；只接受 '<f4'、fortran_order False、二维形状；出错时消息带上 what（通常是路径）。
Matrix npy_decode(const std::string& bytes, const std::string& what);
// 读取 .npy 文件。
Matrix npy_load(const std::string& path);

}  // namespace seqrec
