# SPDX-License-Identifier: MIT OR Apache-2.0
# cmake -DCOMPILER=... -DSOURCE=... -DINCLUDE=... -DSTANDARD=c++17 -P expect_one_error.cmake
#
# Compiles SOURCE (syntax only) in an older language mode and passes if the compiler stops with
# rtalloc's message "rtalloc needs C++20" and reports nothing else: no error that does not carry
# that message.
execute_process(
  COMMAND ${COMPILER} -std=${STANDARD} -fsyntax-only -I${INCLUDE} ${SOURCE}
  RESULT_VARIABLE status
  OUTPUT_VARIABLE output
  ERROR_VARIABLE output)
if(status EQUAL 0)
  message(FATAL_ERROR "compiling as ${STANDARD} succeeded; it should stop with rtalloc's message")
endif()
string(REGEX MATCHALL "[^\n]*error[^\n]*" errors "${output}")
set(others "")
foreach(line IN LISTS errors)
  # (Clang ends with a count, "2 errors generated.", which names no error)
  if(NOT line MATCHES "rtalloc needs C\\+\\+20" AND NOT line MATCHES "^[0-9]+ errors? generated")
    list(APPEND others "${line}")
  endif()
endforeach()
list(LENGTH errors count)
if(count EQUAL 0 OR others)
  message(FATAL_ERROR "expected only rtalloc's message, got:\n${output}")
endif()
message(STATUS "stopped with rtalloc's message (${count} lines name it):\n${output}")
