# Script mode: cmake -DIN=decls -DOUT=f.lua -DLIBRARY=soname -DLIBDIR=dir -P this
# Writes the Lua module OUT: { cdef = "<the declarations of IN>", library = LIBRARY,
# libdir = LIBDIR }.
file(READ ${IN} text)
string(STRIP "${text}" text)
if(text MATCHES "]==]")
  message(FATAL_ERROR "${IN} holds ]==], which would end the Lua string")
endif()
file(WRITE ${OUT}.tmp
  "-- Generated at build time from the public header of libringlua (src/ring/ring.h).\n"
  "return {\n"
  "  cdef = [==[\n${text}\n]==],\n"
  "  library = \"${LIBRARY}\",\n"
  "  libdir = \"${LIBDIR}\",\n"
  "}\n")
file(RENAME ${OUT}.tmp ${OUT})
