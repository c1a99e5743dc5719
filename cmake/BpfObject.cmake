# Builds BPF objects with clang-19 and their libbpf skeletons with bpftool.
#
#   sg_bpf_object(NAME SOURCE [DEFINES D...]) -> target NAME_skel (INTERFACE)
#   whose include directory holds NAME.skel.h; the object is bpf/NAME.bpf.o
#   in the build dir. DEFINES build a variant of a source under another name.
#
# Kernel types come from bpf/vmlinux/<arch>/vmlinux.h, kept in the repository
# (bpf/vmlinux/README.md): the build does not depend on the build host's
# kernel, and CO-RE relocates the programs against the running kernel's BTF
# when they load, so one build runs on every kernel the matrix covers.

find_program(SG_BPF_CLANG NAMES clang-19)
if(NOT SG_BPF_CLANG)
  message(FATAL_ERROR
    "clang-19 is needed to build the BPF programs (clang-14 puts static const tables where "
    "libbpf 1.1 cannot open them). Install it with: apt-get install clang-19 "
    "(or run deploy/install-deps.sh).")
endif()
find_program(SG_BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin)
if(NOT SG_BPFTOOL)
  message(FATAL_ERROR "bpftool is needed to generate BPF skeletons: apt-get install bpftool")
endif()

# The target architecture of this build, as the kernel's headers and
# bpf_tracing.h name it.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(SG_BPF_ARCH_DIR x86_64)
  set(SG_BPF_TARGET_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
  set(SG_BPF_ARCH_DIR arm64)
  set(SG_BPF_TARGET_ARCH arm64)
else()
  message(FATAL_ERROR
    "synguard's BPF programs are built for x86_64 and arm64; ${CMAKE_SYSTEM_PROCESSOR} has "
    "no bpf/vmlinux/<arch>/vmlinux.h (bpf/vmlinux/generate.sh makes one)")
endif()
set(SG_VMLINUX_DIR ${CMAKE_SOURCE_DIR}/bpf/vmlinux/${SG_BPF_ARCH_DIR})
if(NOT EXISTS ${SG_VMLINUX_DIR}/vmlinux.h)
  message(FATAL_ERROR "${SG_VMLINUX_DIR}/vmlinux.h is missing (bpf/vmlinux/generate.sh)")
endif()

set(SG_BPF_OUT ${CMAKE_BINARY_DIR}/bpf)

function(sg_bpf_object NAME SOURCE)
  cmake_parse_arguments(ARG "" "" "DEFINES" ${ARGN})
  set(obj ${SG_BPF_OUT}/${NAME}.bpf.o)
  set(skel ${SG_BPF_OUT}/${NAME}.skel.h)
  set(defines)
  foreach(d IN LISTS ARG_DEFINES)
    list(APPEND defines -D${d})
  endforeach()
  file(GLOB_RECURSE deps CONFIGURE_DEPENDS
    ${CMAKE_SOURCE_DIR}/bpf/*.h ${CMAKE_SOURCE_DIR}/include/synguard/*.h)
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${SG_BPF_OUT}
    COMMAND ${SG_BPF_CLANG} -g -O2 -target bpf -D__TARGET_ARCH_${SG_BPF_TARGET_ARCH}
            ${defines} -Wall -Werror
            -I${SG_VMLINUX_DIR} -I${CMAKE_SOURCE_DIR}/include -I${CMAKE_SOURCE_DIR}/bpf
            -c ${SOURCE} -o ${obj}
    DEPENDS ${SOURCE} ${deps} ${SG_VMLINUX_DIR}/vmlinux.h
    COMMENT "BPF ${NAME}.bpf.o (clang-19)"
    VERBATIM)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${SG_BPFTOOL} gen skeleton ${obj} name ${NAME} > ${skel}.tmp
    COMMAND ${CMAKE_COMMAND} -E rename ${skel}.tmp ${skel}
    DEPENDS ${obj}
    COMMENT "BPF skeleton ${NAME}.skel.h"
    VERBATIM)
  add_custom_target(${NAME}_skel_gen DEPENDS ${skel})
  add_library(${NAME}_skel INTERFACE)
  add_dependencies(${NAME}_skel ${NAME}_skel_gen)
  target_include_directories(${NAME}_skel INTERFACE ${SG_BPF_OUT})
  target_link_libraries(${NAME}_skel INTERFACE PkgConfig::LIBBPF synguard_shared)
  set_property(GLOBAL APPEND PROPERTY SG_BPF_OBJECTS ${obj})
endfunction()
