# 每次构建时运行：把当前 git 提交号（有未提交改动时加 -dirty）写入 version.cpp。
# 内容没变时不改写文件，避免无谓的重新编译。用法：cmake -DSRC=源码目录 -DOUT=输出文件 -P git_version.cmake
execute_process(COMMAND git -C "${SRC}" rev-parse --short=12 HEAD
                OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR commit STREQUAL "")
  set(commit "unknown")
else()
  execute_process(COMMAND git -C "${SRC}" status --porcelain --untracked-files=no
                  OUTPUT_VARIABLE dirty OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(NOT dirty STREQUAL "")
    set(commit "${commit}-dirty")
  endif()
endif()
set(content "// 由 cmake/git_version.cmake 生成，不要手改。\n#include \"core/version.h\"\nnamespace seqrec {\nconst char* git_commit() { return \"${commit}\"; }\n}  // namespace seqrec\n")
set(old "")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL content)
  file(WRITE "${OUT}" "${content}")
endif()
