# Script mode: cmake -DIN=file -DOUT=file.lua -P embed_lua.cmake
# Writes the Lua module OUT returning the text of IN (C declarations for ffi.cdef) as a
# string.
file(READ ${IN} text)
set(level "=")
while(text MATCHES "]${level}]")
  set(level "${level}=")
endwhile()
file(WRITE ${OUT}.tmp "-- generated from ${SOURCE}: do not edit\nreturn [${level}[\n${text}]${level}]\n")
file(RENAME ${OUT}.tmp ${OUT})
