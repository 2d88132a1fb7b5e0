/* Stands in for <stdbool.h> when a header is preprocessed into ffi declarations: LuaJIT
 * knows bool, so the declarations need no definition of it. */
