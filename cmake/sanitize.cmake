# With RINGLUA_SANITIZE every C target built with AddressSanitizer (LeakSanitizer included)
# and UndefinedBehaviorSanitizer. -fno-sanitize-recover=all makes any finding abort the
# process, so a test that hits one fails instead of printing a warning and passing.
# The libFuzzer harnesses (RINGLUA_FUZZ) need clang and the sanitizers.
if(RINGLUA_SANITIZE)
  set(RINGLUA_SANITIZERS -fsanitize=address,undefined -fno-sanitize-recover=all)
  add_compile_options(${RINGLUA_SANITIZERS} -fno-omit-frame-pointer)
  add_link_options(${RINGLUA_SANITIZERS})
endif()

if(RINGLUA_FUZZ AND NOT (RINGLUA_SANITIZE AND CMAKE_C_COMPILER_ID STREQUAL "Clang"))
  message(FATAL_ERROR "RINGLUA_FUZZ needs CMAKE_C_COMPILER=clang and RINGLUA_SANITIZE=ON")
endif()

# Linked into every target made after this point, so every test binary carries them.
if(RINGLUA_SANITIZE)
  add_library(rl_sanitizer_options OBJECT ${CMAKE_CURRENT_LIST_DIR}/sanitizer_options.c)
  link_libraries(rl_sanitizer_options)
endif()

# The harnesses link ringlua's layer libraries: those carry libFuzzer's coverage
# instrumentation too, or the fuzzer would be blind inside them. C only: the one C++
# program (a test's target, built by the C++ compiler that may not be clang) has none.
if(RINGLUA_FUZZ)
  add_compile_options($<$<COMPILE_LANGUAGE:C>:-fsanitize=fuzzer-no-link>)
endif()
