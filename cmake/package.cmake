# What `cmake --install` and the .deb carry beyond the binary and its Lua files: the man
# page, made from `ringlua --help` by help2man (one source for both), and the systemd
# unit template that runs a script as a daemon. `cpack -G DEB` in the build tree makes
# the package.
find_program(HELP2MAN_EXE help2man REQUIRED)
set(MAN_PAGE ${CMAKE_BINARY_DIR}/ringlua.1)
add_custom_command(
  OUTPUT ${MAN_PAGE}
  COMMAND ${HELP2MAN_EXE} --no-info --no-discard-stderr
          --name "consume BPF ring buffers and hand every event to a LuaJIT script"
          --include ${PROJECT_SOURCE_DIR}/docs/ringlua.h2m
          --output ${MAN_PAGE} $<TARGET_FILE:ringlua>
  DEPENDS ringlua ${PROJECT_SOURCE_DIR}/docs/ringlua.h2m
  COMMENT "Generating the man page from ringlua --help")
add_custom_target(man_page ALL DEPENDS ${MAN_PAGE})
install(FILES ${MAN_PAGE} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

# The manual, where the man page's SEE ALSO says it is: the README and docs/*.md (and
# the pictures they show) beside it as in the tree, so the README's links to docs/ hold.
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs
        FILES_MATCHING PATTERN "*.md" PATTERN "*.svg")

# The unit's ExecStart is where the binary is installed, which only the install knows:
# `cmake --install` puts it under the configured prefix (/usr/local), the .deb under
# /usr (CPack installs with its own CMAKE_INSTALL_PREFIX). So the unit is made then.
set(UNIT_OUT ${CMAKE_BINARY_DIR}/unit/ringlua@.service)
install(CODE "
  set(RINGLUA_BINDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\")
  configure_file(\"${PROJECT_SOURCE_DIR}/scripts/ringlua@.service.in\" \"${UNIT_OUT}\" @ONLY)")
install(FILES ${UNIT_OUT} DESTINATION lib/systemd/system)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ringlua)
set(CPACK_PACKAGE_CONTACT "ringlua maintainers <ringlua@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "consume BPF ring buffers and hand every event to a LuaJIT script")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# The libraries the binary links, found by dpkg-shlibdeps; clang compiles .bpf.c files
# given with --bpf, which a machine that only runs ready scripts does not need.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "clang, llvm")
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
include(CPack)
