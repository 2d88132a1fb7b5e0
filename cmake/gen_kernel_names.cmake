# Script mode:
#   cmake -DSYSCALL_HEADER=h -DERRNO_HEADERS="h1;h2" -DSIGNAL_HEADER=h -DOUT=f.lua -P this
# Writes the Lua module OUT: { syscalls = {[nr] = "name"}, errnos = {[n] = "ENAME"},
# signals = {[n] = "SIGNAME"} } from the `#define NAME number` lines of the headers. Where
# two names share a number (SIGIOT after SIGABRT) the first one wins.
#   cmake -DSYSCALL_HEADER=h -DOUT_C=f.inc -P this
# Writes the system calls alone as C initializers, `{ "name", nr },` a line.
cmake_minimum_required(VERSION 3.20)

# lua_entries(OUT_VAR PREFIX KEEP_PREFIX BELOW HEADERS...): "[n] = \"name\"," lines of
# the defines whose name starts with PREFIX and whose number is below BELOW; KEEP_PREFIX
# says whether the name keeps the prefix.
function(lua_entries out_var prefix keep_prefix below)
  set(seen)
  set(text)
  foreach(hdr ${ARGN})
    if(NOT EXISTS ${hdr})
      message(FATAL_ERROR "${hdr} not found: install linux-libc-dev")
    endif()
    file(STRINGS ${hdr} lines REGEX "^#define[ \t]+${prefix}[A-Za-z0-9_]+[ \t]+[0-9]+")
    foreach(line ${lines})
      string(REGEX MATCH "^#define[ \t]+${prefix}([A-Za-z0-9_]+)[ \t]+([0-9]+)" _ ${line})
      set(name ${CMAKE_MATCH_1})
      set(number ${CMAKE_MATCH_2})
      if(keep_prefix)
        set(name ${prefix}${name})
      endif()
      if(number LESS below AND NOT number IN_LIST seen)
        list(APPEND seen ${number})
        string(APPEND text "    [${number}] = \"${name}\",\n")
      endif()
    endforeach()
  endforeach()
  if(NOT seen)
    message(FATAL_ERROR "no ${prefix}* numbers found in ${ARGN}")
  endif()
  set(${out_var} "${text}" PARENT_SCOPE)
endfunction()

if(OUT_C)
  lua_entries(syscalls "__NR_" FALSE 100000 ${SYSCALL_HEADER})
  string(REGEX REPLACE "\\[([0-9]+)\\] = (\"[A-Za-z0-9_]+\")," "{ \\2, \\1 }," syscalls
         "${syscalls}")
  file(WRITE ${OUT_C}.tmp "/* Generated at build time from ${SYSCALL_HEADER}. */\n${syscalls}")
  file(RENAME ${OUT_C}.tmp ${OUT_C})
  return()
endif()

# Signals from SIGRTMIN (32) on are numbered, not named; SIGSTKSZ is a size.
set(SIGRTMIN 32)
lua_entries(syscalls "__NR_" FALSE 100000 ${SYSCALL_HEADER})
lua_entries(errnos "E" TRUE 100000 ${ERRNO_HEADERS})
lua_entries(signals "SIG" TRUE ${SIGRTMIN} ${SIGNAL_HEADER})
string(REPLACE ";" ", " sources "${SYSCALL_HEADER};${ERRNO_HEADERS};${SIGNAL_HEADER}")

file(WRITE ${OUT}.tmp
  "-- Generated at build time from ${sources}.\n"
  "return {\n"
  "  syscalls = {\n${syscalls}  },\n"
  "  errnos = {\n${errnos}  },\n"
  "  signals = {\n${signals}  },\n"
  "}\n")
file(RENAME ${OUT}.tmp ${OUT})
