# toolchain-aarch64.cmake - cross-building facmon for 64-bit ARM (a
# Raspberry Pi 3/4/5 or an industrial gateway running arm64 Debian) on an
# amd64 Debian 12 machine, with Debian's cross compiler and the :arm64
# multiarch -dev packages (scripts/test-arm64 installs both):
#
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=packaging/toolchain-aarch64.cmake
#
# pkg-config looks only at the arm64 libraries' .pc files, so every
# pkg_check_modules() finds /usr/lib/aarch64-linux-gnu/... and never the
# build machine's. Tests run under qemu-aarch64 when it is installed
# (CMAKE_CROSSCOMPILING_EMULATOR), so `ctest -L unit` works as usual.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(FACMON_TRIPLET aarch64-linux-gnu)

set(CMAKE_C_COMPILER ${FACMON_TRIPLET}-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE ${FACMON_TRIPLET})

# Debian multiarch: arm64 libraries live beside the build machine's, under
# /usr/lib/aarch64-linux-gnu, and share /usr/include.
set(CMAKE_FIND_ROOT_PATH /usr/${FACMON_TRIPLET})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

# FACMON_CROSS_PKGCONFIG: more .pc files, searched first (scripts/test-arm64
# puts net-snmp's there: Debian's libsnmp-dev cannot be co-installed for two
# architectures).
# (Passed on through the environment: try_compile() reads this file again
# without the cache, and the environment is the process's.)
if(FACMON_CROSS_PKGCONFIG)
  set(ENV{FACMON_CROSS_PKGCONFIG} "${FACMON_CROSS_PKGCONFIG}")
endif()
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/${FACMON_TRIPLET}/pkgconfig:/usr/share/pkgconfig")
if(DEFINED ENV{FACMON_CROSS_PKGCONFIG})
  set(ENV{PKG_CONFIG_LIBDIR} "$ENV{FACMON_CROSS_PKGCONFIG}:$ENV{PKG_CONFIG_LIBDIR}")
endif()
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")

find_program(FACMON_QEMU NAMES qemu-aarch64-static qemu-aarch64)
if(FACMON_QEMU AND EXISTS /lib/ld-linux-aarch64.so.1)
  # The loader and libc of libc6:arm64 (multiarch), beside the other arm64
  # libraries. Not `-L /usr/aarch64-linux-gnu`: that loader (the cross
  # compiler's libc6-arm64-cross) with the multiarch libc makes threaded
  # tests spin forever under qemu 7.2.
  set(CMAKE_CROSSCOMPILING_EMULATOR ${FACMON_QEMU})
elseif(FACMON_QEMU)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${FACMON_QEMU} -L /usr/${FACMON_TRIPLET})
endif()

# The Debian package of a cross build is for arm64.
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE arm64)
