include_guard()
set(CONSUMER_CDEF_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/gen_consumer_cdef.cmake)
set(CDEF_INCLUDE_DIR ${CMAKE_CURRENT_LIST_DIR}/cdef_include)
include(${CMAKE_CURRENT_LIST_DIR}/event_cdef.cmake)

# consumer_cdef_lua(OUT HEADER LIBRARY): generates the Lua module OUT
# (ringlua.consumer_cdef) holding HEADER preprocessed into ffi declarations (the standard
# headers it includes stand empty: LuaJIT has their types), the file name of the shared
# LIBRARY target and its install directory. ringlua.consumer declares the library's API
# from it, so C and Lua share one declaration of each struct. struct rl_rec is left out
# (RINGLUA_REC_H defined): ringlua.rec_cdef declares it, for the host too.
function(consumer_cdef_lua out header library)
  get_filename_component(hdr ${header} ABSOLUTE)
  set(pre ${CMAKE_BINARY_DIR}/cdef/consumer.cdef)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/cdef
    COMMAND ${CLANG_EXE} -E -P -nostdinc -isystem ${CDEF_INCLUDE_DIR}
            -I${PROJECT_SOURCE_DIR}/src -DRINGLUA_REC_H -x c ${hdr} -o ${pre}
    COMMAND ${CMAKE_COMMAND} -DIN=${pre} -DOUT=${out}
            -DLIBRARY=$<TARGET_SONAME_FILE_NAME:${library}>
            -DLIBDIR=${CMAKE_INSTALL_FULL_LIBDIR} -P ${CONSUMER_CDEF_SCRIPT}
    DEPENDS ${hdr} ${CONSUMER_CDEF_SCRIPT} ${CDEF_INCLUDE_DIR}/stddef.h
            ${CDEF_INCLUDE_DIR}/stdint.h ${CDEF_INCLUDE_DIR}/stdbool.h
    COMMENT "Generating the ffi declarations of libringlua"
    VERBATIM)
endfunction()
