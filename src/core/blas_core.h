// OpenBLAS 内核选择的修正。
// Debian 的 OpenBLAS（0.3.21，DYNAMIC_ARCH）在启动时按 CPU 型号挑选内核；它不认识的新型号
// （例如 Intel family 6 model 207，第五代至强）会退回到通用的 Prescott（SSE3）内核，sgemm 只有
// 应有速度的 1/7（本机实测 1024²：Prescott 19.9 GFLOP/s，SkylakeX 146.3）。训练的矩阵乘法全部经过它。
// 这里在程序开头检查：若 OpenBLAS 退回了 Prescott，而 CPU 实际支持 AVX-512 / AVX2，就按 CPU 的指令集
// 重新选择内核（与设置环境变量 OPENBLAS_CORETYPE 效果相同）。用户自己设置了 OPENBLAS_CORETYPE 时不动。
#pragma once

#include <string>

namespace seqrec {

// 检查并在需要时修正 OpenBLAS 的内核选择；必须在任何 BLAS 调用与任何线程启动之前调用。
// 修正了（或该修正而无法修正）时返回一行说明，否则返回空串；第一次调用的说明同时留给 blas_core_note()。
// 没有链接 OpenBLAS（参考 BLAS 等）时什么也不做。
std::string ensure_blas_core();
// 第一次 ensure_blas_core() 的说明（没有调用过或无需修正时为空）：程序开头静默修正，
// 由 train 之类在乎速度的命令写进自己的日志，而不让每个命令的输出多一行。
const std::string& blas_core_note();

// 当前 BLAS 的说明，写进训练产物的 manifest（不同内核的浮点舍入不同，复现结果时要知道用的是哪个）：
// OpenBLAS 时为它的配置串（DYNAMIC_ARCH 版本的配置串里已有当前内核名），配置串里没有内核名时
// 再接上 ", core <内核名>"；不是 OpenBLAS 时为 "not OpenBLAS"。
std::string blas_description();
// 把 OpenBLAS 的配置串与当前内核名合成说明：配置串里已有这个内核名（以空格分开的一个词，不分大小写）
// 时原样返回，否则接上 ", core <内核名>"（纯函数，便于测试）。
std::string blas_join_description(const std::string& config, const std::string& core);
// OpenBLAS 时设置它自己的线程数并返回 true；别的 BLAS（参考实现没有这个函数）什么也不做，返回 false。
bool blas_set_threads(int n);

// 给定 OpenBLAS 当前的内核名与 CPU 的指令集，应改用的内核名；不需要修正时返回空串（纯函数，便于测试）。
std::string blas_core_upgrade(const std::string& current, bool avx512, bool avx2_fma, bool avx);

}  // namespace seqrec
