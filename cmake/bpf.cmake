# Compiling BPF programs: vmlinux.h from the running kernel's BTF, clang -target bpf,
# and a bpftool skeleton header that embeds the object in the binary.

find_program(CLANG_EXE NAMES clang REQUIRED)
find_program(BPFTOOL_EXE NAMES bpftool PATHS /usr/sbin /usr/local/sbin REQUIRED)

set(VMLINUX_BTF /sys/kernel/btf/vmlinux CACHE FILEPATH "Kernel BTF used to generate vmlinux.h")
set(BPF_GEN_DIR ${CMAKE_BINARY_DIR}/bpf)
file(MAKE_DIRECTORY ${BPF_GEN_DIR})

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  set(BPF_TARGET_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(BPF_TARGET_ARCH arm64)
else()
  message(FATAL_ERROR "unsupported architecture for BPF: ${CMAKE_SYSTEM_PROCESSOR}")
endif()

# libbpf's usdt.bpf.h includes <linux/errno.h>, whose <asm/errno.h> Debian keeps under the
# multiarch directory, where `clang -target bpf` does not look. Searched last: nothing
# there may shadow vmlinux.h or libbpf's headers.
set(BPF_SYSTEM_INCLUDES)
if(CMAKE_LIBRARY_ARCHITECTURE)
  set(BPF_SYSTEM_INCLUDES -idirafter /usr/include/${CMAKE_LIBRARY_ARCHITECTURE})
endif()

# vmlinux.h ends with extern declarations of the kernel's kfuncs (cmake/kfunc_protos.c):
# newer bpftools write them, programs written against those call kfuncs undeclared, and
# Debian's bpftool writes none. Made before the sanitizers are set: a tool of the build.
add_executable(kfunc_protos ${CMAKE_CURRENT_LIST_DIR}/kfunc_protos.c)
target_link_libraries(kfunc_protos PRIVATE PkgConfig::LIBBPF)
add_custom_command(
  OUTPUT ${BPF_GEN_DIR}/vmlinux.h
  COMMAND ${BPFTOOL_EXE} btf dump file ${VMLINUX_BTF} format c > ${BPF_GEN_DIR}/vmlinux.h.tmp
  COMMAND kfunc_protos ${VMLINUX_BTF} >> ${BPF_GEN_DIR}/vmlinux.h.tmp
  COMMAND ${CMAKE_COMMAND} -E rename ${BPF_GEN_DIR}/vmlinux.h.tmp ${BPF_GEN_DIR}/vmlinux.h
  DEPENDS ${VMLINUX_BTF} kfunc_protos
  COMMENT "Generating vmlinux.h from ${VMLINUX_BTF}")
add_custom_target(vmlinux_h DEPENDS ${BPF_GEN_DIR}/vmlinux.h)

# Beside vmlinux.h, the headers that give libbpf's headers what newer libbpf versions
# have (src/kernel/bpf/compat): in ringlua's include directory, searched before the
# system's, for the programs ringlua compiles for its users.
set(BPF_COMPAT_HEADERS ${PROJECT_SOURCE_DIR}/src/kernel/bpf/compat/bpf/bpf_helpers.h
    ${PROJECT_SOURCE_DIR}/src/kernel/bpf/compat/bpf/bpf_tracing.h)
foreach(header ${BPF_COMPAT_HEADERS})
  get_filename_component(header_name ${header} NAME)
  configure_file(${header} ${BPF_GEN_DIR}/bpf/${header_name} COPYONLY)
endforeach()

# bpf_object(NAME SOURCE [HEADERS...]): builds NAME.bpf.o from SOURCE and NAME.skel.h,
# and an INTERFACE library NAME_skel whose include path reaches the skeleton.
function(bpf_object name source)
  set(obj ${BPF_GEN_DIR}/${name}.bpf.o)
  set(skel ${BPF_GEN_DIR}/${name}.skel.h)
  get_filename_component(src_abs ${source} ABSOLUTE)
  get_filename_component(src_dir ${src_abs} DIRECTORY)
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${CLANG_EXE} -g -O2 -target bpf -D__TARGET_ARCH_${BPF_TARGET_ARCH}
            -Wall -Werror -I${BPF_GEN_DIR} -I${src_dir} -I${PROJECT_SOURCE_DIR}/src/kernel/bpf
            ${BPF_SYSTEM_INCLUDES} -c ${src_abs} -o ${obj}
    # vmlinux.h by name: the include scan alone missed its changes (new kfunc externs).
    DEPENDS ${src_abs} ${BPF_GEN_DIR}/vmlinux.h ${ARGN}
    IMPLICIT_DEPENDS C ${src_abs}
    COMMENT "Compiling BPF object ${name}")
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPFTOOL_EXE} gen skeleton ${obj} name ${name} > ${skel}.tmp
    COMMAND ${CMAKE_COMMAND} -E rename ${skel}.tmp ${skel}
    DEPENDS ${obj}
    COMMENT "Generating skeleton ${name}.skel.h")
  # vmlinux.h is made in the top directory: a target-level dependency reaches it from anywhere.
  add_custom_target(${name}_skel_gen DEPENDS ${skel})
  add_dependencies(${name}_skel_gen vmlinux_h)
  add_library(${name}_skel INTERFACE)
  add_dependencies(${name}_skel ${name}_skel_gen)
  target_include_directories(${name}_skel INTERFACE ${BPF_GEN_DIR})
endfunction()
