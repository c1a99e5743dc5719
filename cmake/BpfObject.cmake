# Builds BPF objects with clang-19 and their libbpf skeletons with bpftool.
#
#   sg_bpf_object(NAME SOURCE) -> target NAME_skel (INTERFACE) whose include
#   directory holds NAME.skel.h; the object is bpf/NAME.bpf.o in the build dir.
#
# vmlinux.h is generated from the running kernel's BTF, so the programs see
# the kernel's own types (newer than Debian's 6.1 UAPI headers).

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

set(SG_BTF_SOURCE /sys/kernel/btf/vmlinux CACHE FILEPATH "BTF used to generate vmlinux.h")
if(NOT EXISTS ${SG_BTF_SOURCE})
  message(FATAL_ERROR "${SG_BTF_SOURCE} not found: the kernel must be built with CONFIG_DEBUG_INFO_BTF")
endif()

set(SG_BPF_OUT ${CMAKE_BINARY_DIR}/bpf)
set(SG_VMLINUX_DIR ${SG_BPF_OUT}/vmlinux)
add_custom_command(
  OUTPUT ${SG_VMLINUX_DIR}/vmlinux.h
  COMMAND ${CMAKE_COMMAND} -E make_directory ${SG_VMLINUX_DIR}
  COMMAND ${SG_BPFTOOL} btf dump file ${SG_BTF_SOURCE} format c > ${SG_VMLINUX_DIR}/vmlinux.h.tmp
  COMMAND ${CMAKE_COMMAND} -E rename ${SG_VMLINUX_DIR}/vmlinux.h.tmp ${SG_VMLINUX_DIR}/vmlinux.h
  COMMENT "Generating vmlinux.h from ${SG_BTF_SOURCE}"
  VERBATIM)
add_custom_target(sg_vmlinux_h DEPENDS ${SG_VMLINUX_DIR}/vmlinux.h)

function(sg_bpf_object NAME SOURCE)
  set(obj ${SG_BPF_OUT}/${NAME}.bpf.o)
  set(skel ${SG_BPF_OUT}/${NAME}.skel.h)
  file(GLOB_RECURSE deps CONFIGURE_DEPENDS
    ${CMAKE_SOURCE_DIR}/bpf/*.h ${CMAKE_SOURCE_DIR}/include/synguard/*.h)
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${SG_BPF_CLANG} -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror
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
  # vmlinux.h is built once, by its own target, before any object that needs it.
  add_dependencies(${NAME}_skel_gen sg_vmlinux_h)
  add_library(${NAME}_skel INTERFACE)
  add_dependencies(${NAME}_skel ${NAME}_skel_gen)
  target_include_directories(${NAME}_skel INTERFACE ${SG_BPF_OUT})
  target_link_libraries(${NAME}_skel INTERFACE PkgConfig::LIBBPF synguard_shared)
  set_property(GLOBAL APPEND PROPERTY SG_BPF_OBJECTS ${obj})
endfunction()
