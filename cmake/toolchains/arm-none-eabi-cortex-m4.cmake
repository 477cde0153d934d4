# SPDX-License-Identifier: MIT OR Apache-2.0
# Cross-compiles for an Arm Cortex-M4 with its single-precision FPU (Thumb-2, hard-float ABI) with
# the GNU Arm Embedded toolchain and newlib (Debian: gcc-arm-none-eabi, libnewlib-arm-none-eabi,
# libstdc++-arm-none-eabi-dev). Used by the cortex-m4 preset:
#
#   cmake --preset cortex-m4 && cmake --build --preset cortex-m4 && ctest --preset cortex-m4
#
# Programs are compiled without exceptions or RTTI and linked with the C driver, so that nothing
# needs libstdc++ (only its headers): C++ code for the target must not rely on the C++ runtime.
# Tests run under QEMU (Debian: qemu-system-arm) on the MPS2-AN386 board, a Cortex-M4 with flash at
# 0x0 and RAM at 0x20000000; targets/cortex-m holds its start-up code and linker script.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
set(CMAKE_OBJCOPY arm-none-eabi-objcopy CACHE FILEPATH "objcopy for the target")
set(CMAKE_SIZE arm-none-eabi-size CACHE FILEPATH "size for the target")

# The compiler checks cannot link a bare-metal program without a linker script.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(rtalloc_cpu_flags "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16")
set(CMAKE_C_FLAGS_INIT "${rtalloc_cpu_flags} -ffunction-sections -fdata-sections")
set(CMAKE_CXX_FLAGS_INIT
    "${rtalloc_cpu_flags} -ffunction-sections -fdata-sections -fno-exceptions -fno-rtti")
set(CMAKE_ASM_FLAGS_INIT "${rtalloc_cpu_flags}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,--gc-sections")

# Link C++ programs with the C driver: no libstdc++ (see above).
set(CMAKE_CXX_LINK_EXECUTABLE
    "<CMAKE_C_COMPILER> <FLAGS> <CMAKE_CXX_LINK_FLAGS> <LINK_FLAGS> <OBJECTS> -o <TARGET> <LINK_LIBRARIES>"
)

# ctest runs each test program on an emulated MPS2-AN386 board; semihosting gives it stdout and
# its exit status; `timeout` ends a program that hangs (a fault handler that fails to exit).
set(CMAKE_CROSSCOMPILING_EMULATOR
    timeout;--kill-after=5;300;qemu-system-arm;-M;mps2-an386;-cpu;cortex-m4;-nographic;-monitor;none;-semihosting-config;enable=on,target=native;-kernel
)

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
