// 文件格式测试：.npy 与 safetensors 的读写往返、损坏输入的报错、原子写入、SHA-256、目录发布。
#include <cblas.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <vector>

#include "core/blas_core.h"
#include "core/error.h"
#include "core/files.h"
#include "core/manifest.h"
#include "core/npy.h"
#include "core/safetensors.h"
#include "test_util.h"

namespace seqrec {
namespace {

TEST(Npy, RoundTripAndHeaderLayout) {
  test::TempDir d;
  Matrix m;
  m.rows = 3;
  m.cols = 2;
  m.data = {1, 2, 3, 4, 5, -6.5f};
  npy_save(d.file("a.npy"), m);
  const std::string bytes = read_file(d.file("a.npy"));
  ASSERT_EQ(bytes.substr(0, 6), "\x93NUMPY");
  EXPECT_EQ(bytes[6], 1);  // 版本 1.0
  EXPECT_EQ(bytes[7], 0);
  const size_t hlen = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
  EXPECT_EQ((10 + hlen) % 64, 0u);  // 数据按 64 字节对齐
  EXPECT_EQ(bytes[10 + hlen - 1], '\n');
  EXPECT_NE(bytes.find("'descr': '<f4'"), std::string::npos);
  EXPECT_NE(bytes.find("'shape': (3, 2)"), std::string::npos);
  EXPECT_EQ(bytes.size(), 10 + hlen + 6 * sizeof(float));
  Matrix back = npy_load(d.file("a.npy"));
  EXPECT_EQ(back.rows, 3);
  EXPECT_EQ(back.cols, 2);
  EXPECT_EQ(back.data, m.data);
}

TEST(Npy, RejectsBadInput) {
  EXPECT_THROW(npy_decode("hello", "x.npy"), Error);
  Matrix m;
  m.rows = 2;
  m.cols = 2;
  m.data = {1, 2, 3, 4};
  std::string b = npy_encode(m);
  EXPECT_THROW(npy_decode(b.substr(0, b.size() - 4), "x.npy"), Error);  // 数据被截断
  std::string f8 = b;
  f8.replace(f8.find("<f4"), 3, "<f8");
  EXPECT_THROW(npy_decode(f8, "x.npy"), Error);
  try {
    npy_decode(b.substr(0, b.size() - 4), "emb.npy");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("emb.npy"), std::string::npos);
  }
}

TEST(SafeTensors, RoundTripAndCorruption) {
  TensorMap t;
  t["a"] = Tensor{{2, 3}, {1, 2, 3, 4, 5, 6}};
  t["b"] = Tensor{{1}, {7}};
  std::string bytes = safetensors_encode(t, {{"k", "v"}});
  TensorMap back = safetensors_decode(bytes, "w");
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back["a"].shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(back["a"].data, t["a"].data);
  EXPECT_EQ(back["b"].data, t["b"].data);
  // 头长度超过文件大小、截断、非 JSON 头都必须报错而不是崩溃。
  EXPECT_THROW(safetensors_decode(bytes.substr(0, 20), "w"), Error);
  EXPECT_THROW(safetensors_decode(bytes.substr(0, bytes.size() - 4), "w"), Error);
  std::string bad = bytes;
  bad[8] = '[';
  EXPECT_THROW(safetensors_decode(bad, "w"), Error);
  EXPECT_THROW(safetensors_decode("", "w"), Error);
}

TEST(Files, Sha256KnownVector) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  test::TempDir d;
  write_file_atomic(d.file("x"), "abc");
  EXPECT_EQ(sha256_file(d.file("x")), sha256_hex("abc"));
}

TEST(Files, AtomicWriteLeavesNoTempFiles) {
  test::TempDir d;
  write_file_atomic(d.file("x"), "one");
  write_file_atomic(d.file("x"), "two");
  EXPECT_EQ(read_file(d.file("x")), "two");
  int n = 0;
  for (auto& e : std::filesystem::directory_iterator(d.path())) (void)e, ++n;
  EXPECT_EQ(n, 1);
  EXPECT_THROW(read_file(d.file("missing")), Error);
}

TEST(Files, PublishDirReplacesAtomically) {
  test::TempDir d;
  const std::string target = d.file("model");
  std::string s1 = make_staging_dir(target);
  write_file_atomic(s1 + "/f", "v1");
  const std::string manifest = R"({"format_version": 1, "model_type": "test", "files": {"f": {}}})";
  write_file_atomic(s1 + "/manifest.json", manifest);
  publish_dir(s1, target);
  EXPECT_EQ(read_file(target + "/f"), "v1");
  std::string s2 = make_staging_dir(target);
  write_file_atomic(s2 + "/f", "v2");
  write_file_atomic(s2 + "/manifest.json", manifest);
  publish_dir(s2, target);
  EXPECT_EQ(read_file(target + "/f"), "v2");
  int n = 0;
  for (auto& e : std::filesystem::directory_iterator(d.path())) (void)e, ++n;
  EXPECT_EQ(n, 1);  // 没有残留的 staging 或旧目录
}

TEST(Files, PublishDirNeverReplacesUserData) {
  test::TempDir d;
  write_file_atomic(d.file("ratings.csv"), "precious");
  std::string s1 = make_staging_dir(d.file("ratings.csv"));
  EXPECT_THROW(publish_dir(s1, d.file("ratings.csv")), Error);  // 已存在的普通文件
  EXPECT_EQ(read_file(d.file("ratings.csv")), "precious");
  std::filesystem::create_directory(d.file("home"));
  write_file_atomic(d.file("home") + "/notes.txt", "mine");
  std::string s2 = make_staging_dir(d.file("home"));
  EXPECT_THROW(publish_dir(s2, d.file("home")), Error);  // 非空且不是模型目录
  EXPECT_EQ(read_file(d.file("home") + "/notes.txt"), "mine");
  EXPECT_THROW(read_file(d.path()), Error);  // 目录不是文件
}

TEST(Manifest, DetectsMissingAndCorruptFiles) {
  test::TempDir d;
  write_file_atomic(d.file("a.bin"), "payload");
  nlohmann::json m = {{"format_version", kFormatVersion}, {"files", file_checksums(d.path(), {"a.bin"})}};
  write_file_atomic(d.file("manifest.json"), m.dump());
  EXPECT_NO_THROW(load_and_verify_manifest(d.path()));
  write_file_atomic(d.file("a.bin"), "tampered");
  EXPECT_THROW(load_and_verify_manifest(d.path()), Error);
  std::filesystem::remove(d.file("a.bin"));
  EXPECT_THROW(load_and_verify_manifest(d.path()), Error);
  m["format_version"] = 99;
  write_file_atomic(d.file("manifest.json"), m.dump());
  EXPECT_THROW(load_and_verify_manifest(d.path()), Error);
  EXPECT_THROW(load_and_verify_manifest(d.file("nope")), Error);
}

// OpenBLAS 内核修正：只在 OpenBLAS 退回通用的 Prescott 内核、且 CPU 有更宽的向量指令时升级。
TEST(BlasCore, UpgradesOnlyFromGenericPrescott) {
  EXPECT_EQ(blas_core_upgrade("Prescott", true, true, true), "SkylakeX");
  EXPECT_EQ(blas_core_upgrade("PRESCOTT", false, true, true), "Haswell");
  EXPECT_EQ(blas_core_upgrade("Prescott", false, false, true), "Sandybridge");
  EXPECT_EQ(blas_core_upgrade("Prescott", false, false, false), "");  // 真正的老 CPU：不动
  EXPECT_EQ(blas_core_upgrade("Haswell", true, true, true), "");      // OpenBLAS 认出的内核：不动
  EXPECT_EQ(blas_core_upgrade("SkylakeX", true, true, true), "");
}

// 说明里的内核名只出现一次：配置串里已有它时不再接 ", core <名>"。
TEST(BlasCore, DescriptionNamesTheCoreOnce) {
  const std::string dyn = "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH USE_OPENMP SkylakeX MAX_THREADS=64";
  EXPECT_EQ(blas_join_description(dyn, "SkylakeX"), dyn);
  EXPECT_EQ(blas_join_description(dyn, "skylakex"), dyn);  // 大小写不同也算同一个内核
  EXPECT_EQ(blas_join_description(dyn, "Haswell"), dyn + ", core Haswell");
  EXPECT_EQ(blas_join_description("OpenBLAS 0.3.21", "Haswell"), "OpenBLAS 0.3.21, core Haswell");
  // 只比较整词：配置串里的 "SkylakeX2" 不算已有 SkylakeX
  EXPECT_EQ(blas_join_description("OpenBLAS SkylakeX2", "SkylakeX"), "OpenBLAS SkylakeX2, core SkylakeX");
}

// 修正之后（不论本机是否需要修正）BLAS 仍算得对，再调用一次不再改动。
TEST(BlasCore, EnsureKeepsSgemmCorrect) {
  ensure_blas_core();
  EXPECT_EQ(ensure_blas_core(), "");
  // 测试程序链接的是 OpenBLAS：说明以 "OpenBLAS" 开头。
  EXPECT_EQ(blas_description().rfind("OpenBLAS", 0), 0u) << blas_description();
  const int n = 96;
  std::vector<float> a(static_cast<size_t>(n) * n), b(a.size()), c(a.size()), ref(a.size(), 0.0f);
  for (size_t i = 0; i < a.size(); ++i) {
    a[i] = static_cast<float>((i * 7) % 13) - 6.0f;
    b[i] = static_cast<float>((i * 5) % 11) - 5.0f;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < n; ++k)
      for (int j = 0; j < n; ++j)
        ref[static_cast<size_t>(i * n + j)] += a[static_cast<size_t>(i * n + k)] * b[static_cast<size_t>(k * n + j)];
  for (size_t i = 0; i < c.size(); ++i) ASSERT_EQ(c[i], ref[i]) << i;  // 小整数的乘加在 float 中精确
}

}  // namespace
}  // namespace seqrec
