/* Stands in for <stdint.h> when a header is preprocessed into ffi declarations: LuaJIT
 * knows the fixed-width integer types, so the declarations need no definitions of them. */
