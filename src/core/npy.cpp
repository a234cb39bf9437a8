// .npy 读写实现。解析器对输入不做任何信任：所有长度、形状都先校验再使用。
#include "core/npy.h"

#include <cstring>
#include <regex>

#include "core/error.h"
#include "core/files.h"

namespace seqrec {

static const char kMagic[] = "\x93NUMPY";

std::string npy_encode(const Matrix& m) {
  SEQREC_CHECK(static_cast<int64_t>(m.data.size()) == m.rows * m.cols);
  std::string header = concat("{'descr': '<f4', 'fortran_order': False, 'shape': (", m.rows,
                              ", ", m.cols, "), }");
  // 前导 10 字节（魔数 6 + 版本 2 + 长度 2）+ 头 + '\n' 要对齐到 64 字节。
  size_t total = 10 + header.size() + 1;
  size_t pad = (64 - total % 64) % 64;
  header.append(pad, ' ');
  header.push_back('\n');
  SEQREC_CHECK(header.size() < 65536);
  std::string out(kMagic, 6);
  out.push_back('\x01');
  out.push_back('\x00');
  out.push_back(static_cast<char>(header.size() & 0xff));
  out.push_back(static_cast<char>((header.size() >> 8) & 0xff));
  out += header;
  out.append(reinterpret_cast<const char*>(m.data.data()), m.data.size() * sizeof(float));
  return out;
}

void npy_save(const std::string& path, const Matrix& m) { write_file_atomic(path, npy_encode(m)); }

Matrix npy_decode(const std::string& bytes, const std::string& what) {
  if (bytes.size() < 10 || std::memcmp(bytes.data(), kMagic, 6) != 0)
    throw Error(concat(what, ": not a .npy file (bad magic)"));
  const unsigned char major = static_cast<unsigned char>(bytes[6]);
  size_t hlen = 0, off = 0;
  if (major == 1) {
    hlen = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    off = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw Error(concat(what, ": truncated .npy header"));
    hlen = 0;
    for (int i = 0; i < 4; ++i) hlen |= static_cast<size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    off = 12;
  } else {
    throw Error(concat(what, ": unsupported .npy version ", int(major)));
  }
  if (off + hlen > bytes.size()) throw Error(concat(what, ": truncated .npy header"));
  const std::string header = bytes.substr(off, hlen);
  std::smatch m;
  if (!std::regex_search(header, m, std::regex("'descr'\\s*:\\s*'([^']*)'")) || m[1] != "<f4")
    throw Error(concat(what, ": expected dtype '<f4' (float32) in .npy header: ", header));
  if (!std::regex_search(header, m, std::regex("'fortran_order'\\s*:\\s*(True|False)")) ||
      m[1] != "False")
    throw Error(concat(what, ": expected fortran_order False in .npy header"));
  if (!std::regex_search(header, m, std::regex("'shape'\\s*:\\s*\\(\\s*(\\d+)\\s*,\\s*(\\d+)\\s*,?\\s*\\)")))
    throw Error(concat(what, ": expected a 2-D shape in .npy header: ", header));
  Matrix out;
  out.rows = std::stoll(m[1]);
  out.cols = std::stoll(m[2]);
  const size_t data_off = off + hlen;
  const size_t need = static_cast<size_t>(out.rows) * static_cast<size_t>(out.cols) * sizeof(float);
  if (out.rows < 0 || out.cols < 0 || bytes.size() - data_off != need)
    throw Error(concat(what, ": data size ", bytes.size() - data_off, " bytes does not match shape (",
                       out.rows, ", ", out.cols, ")"));
  out.data.resize(static_cast<size_t>(out.rows * out.cols));
  if (need > 0) std::memcpy(out.data.data(), bytes.data() + data_off, need);  // 空矩阵的 data() 可以是空指针
  return out;
}

Matrix npy_load(const std::string& path) { return npy_decode(read_file(path), path); }

}  // namespace seqrec
