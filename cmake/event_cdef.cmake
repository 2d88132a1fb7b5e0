include_guard()
set(EVENT_CDEF_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/embed_text.cmake)

# event_cdef(OUT_VAR SYMBOL HEADER): preprocesses HEADER (macros expanded, directives gone)
# into plain declarations for ffi.cdef and embeds them as `const char SYMBOL[]`; appends
# the generated .c file to OUT_VAR. One header serves the BPF side, C, and Lua.
function(event_cdef out_var symbol header)
  get_filename_component(hdr ${header} ABSOLUTE)
  get_filename_component(base ${header} NAME_WE)
  set(pre ${CMAKE_BINARY_DIR}/cdef/${base}.cdef)
  set(gen ${CMAKE_BINARY_DIR}/cdef/${base}_cdef.c)
  add_custom_command(
    OUTPUT ${gen}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/cdef
    COMMAND ${CLANG_EXE} -E -P -nostdinc -x c ${hdr} -o ${pre}
    COMMAND ${CMAKE_COMMAND} -DIN=${pre} -DOUT=${gen} -DSYMBOL=${symbol} -P ${EVENT_CDEF_SCRIPT}
    DEPENDS ${hdr} ${EVENT_CDEF_SCRIPT}
    COMMENT "Embedding event declarations of ${base}.h")
  set(${out_var} ${${out_var}} ${gen} PARENT_SCOPE)
endfunction()

# lua_cdef_module(OUT HEADER [DEFINE...]): preprocesses HEADER (relative to src/, with
# src/ on the include path, the standard headers standing empty: LuaJIT has their types,
# and each DEFINE defined: a header guard defined leaves that header out) into plain
# declarations, and writes the Lua module OUT returning them as a string: how a C struct
# shared with Lua is declared once and reaches ffi.cdef.
set(EMBED_LUA_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/embed_lua.cmake)
set(CDEF_INCLUDE_DIR ${CMAKE_CURRENT_LIST_DIR}/cdef_include)
function(lua_cdef_module out header)
  set(hdr ${PROJECT_SOURCE_DIR}/src/${header})
  get_filename_component(base ${header} NAME_WE)
  set(pre ${CMAKE_BINARY_DIR}/cdef/${base}.lua.cdef)
  set(defines)
  foreach(d ${ARGN})
    list(APPEND defines -D${d})
  endforeach()
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/cdef
    COMMAND ${CLANG_EXE} -E -P -nostdinc -isystem ${CDEF_INCLUDE_DIR}
            -I${PROJECT_SOURCE_DIR}/src ${defines} -x c ${hdr} -o ${pre}
    COMMAND ${CMAKE_COMMAND} -DIN=${pre} -DOUT=${out} -DSOURCE=src/${header}
            -P ${EMBED_LUA_SCRIPT}
    DEPENDS ${hdr} ${EMBED_LUA_SCRIPT}
    IMPLICIT_DEPENDS C ${hdr}
    COMMENT "Generating ffi declarations of ${header}")
endfunction()
