/* Stands in for <stddef.h> when a header is preprocessed into ffi declarations: LuaJIT
 * knows size_t, so the declarations need no definition of it. */
