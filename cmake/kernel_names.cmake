include_guard()
set(KERNEL_NAMES_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/gen_kernel_names.cmake)

# The uapi headers that number system calls, errors and signals (linux-libc-dev).
set(SYSCALL_HEADER /usr/include/${CMAKE_LIBRARY_ARCHITECTURE}/asm/unistd_64.h
    CACHE FILEPATH "Header defining __NR_* system call numbers for this architecture")
set(ERRNO_HEADERS /usr/include/asm-generic/errno-base.h /usr/include/asm-generic/errno.h
    CACHE STRING "Headers defining the E* error numbers")
set(SIGNAL_HEADER /usr/include/${CMAKE_LIBRARY_ARCHITECTURE}/asm/signal.h
    CACHE FILEPATH "Header defining the SIG* signal numbers")

# kernel_names_lua(OUT): generates the Lua module OUT (ringlua.kernel_names) with the
# system call, errno and signal names of the headers above. Missing headers stop the
# configuration with what to install.
function(kernel_names_lua out)
  foreach(hdr ${SYSCALL_HEADER} ${ERRNO_HEADERS} ${SIGNAL_HEADER})
    if(NOT EXISTS ${hdr})
      message(FATAL_ERROR "${hdr} not found: install linux-libc-dev (system call, errno and "
                          "signal names are generated from it), or set SYSCALL_HEADER, "
                          "ERRNO_HEADERS and SIGNAL_HEADER")
    endif()
  endforeach()
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} "-DSYSCALL_HEADER=${SYSCALL_HEADER}"
            "-DERRNO_HEADERS=${ERRNO_HEADERS}" "-DSIGNAL_HEADER=${SIGNAL_HEADER}"
            -DOUT=${out} -P ${KERNEL_NAMES_SCRIPT}
    DEPENDS ${SYSCALL_HEADER} ${ERRNO_HEADERS} ${SIGNAL_HEADER} ${KERNEL_NAMES_SCRIPT}
    COMMENT "Generating system call, errno and signal names"
    VERBATIM)
endfunction()

# syscall_numbers_c(OUT): generates OUT, the system calls of SYSCALL_HEADER as C
# initializers (`{ "read", 0 },`), for a table of struct { const char *; int; }.
function(syscall_numbers_c out)
  if(NOT EXISTS ${SYSCALL_HEADER})
    message(FATAL_ERROR "${SYSCALL_HEADER} not found: install linux-libc-dev (system call "
                        "numbers are generated from it), or set SYSCALL_HEADER")
  endif()
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} "-DSYSCALL_HEADER=${SYSCALL_HEADER}" -DOUT_C=${out}
            -P ${KERNEL_NAMES_SCRIPT}
    DEPENDS ${SYSCALL_HEADER} ${KERNEL_NAMES_SCRIPT}
    COMMENT "Generating system call numbers"
    VERBATIM)
endfunction()
