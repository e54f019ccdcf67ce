# install.cmake - what `cmake --install` puts where (GNUInstallDirs; DESTDIR
# stages it, as debian/rules does):
#
#   bin/missive                                the binary
#   MISSIVE_MODULEDIR/missive-tls.so           TLS, loaded when configured
#   share/man/man1/missive.1, man5/missive.conf.5   from doc/*.scd (scdoc)
#   share/missive/                             aliases, errata, dates, corpus
#   share/doc/missive/README.md, examples/missive.conf
#   /etc/missive/missive.conf                  the example, unless one exists
#   MISSIVE_SYSTEMD_UNITDIR/missive.service, missive@.service
#
# The units in systemd/ name /usr/bin/missive; the installed copies name
# the binary where this prefix puts it.

install(TARGETS missive RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# The TLS module, loaded only when a config says tls = yes (conn_tlsload.c).
install(TARGETS missive_tls LIBRARY DESTINATION ${MISSIVE_MODULEDIR})

# --- man pages ------------------------------------------------------------------
find_program(SCDOC scdoc)
if(SCDOC)
  set(missive_manpages)
  foreach(page missive.1 missive.conf.5)
    string(REGEX MATCH "[0-9]$" section ${page})
    add_custom_command(
      OUTPUT ${CMAKE_BINARY_DIR}/doc/${page}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/doc
      COMMAND ${SCDOC} < ${CMAKE_SOURCE_DIR}/doc/${page}.scd > ${CMAKE_BINARY_DIR}/doc/${page}
      DEPENDS ${CMAKE_SOURCE_DIR}/doc/${page}.scd
      COMMENT "scdoc ${page}"
      VERBATIM)
    list(APPEND missive_manpages ${CMAKE_BINARY_DIR}/doc/${page})
    install(FILES ${CMAKE_BINARY_DIR}/doc/${page}
            DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
  endforeach()
  add_custom_target(manpages ALL DEPENDS ${missive_manpages})
else()
  message(WARNING "scdoc not found (apt-get install scdoc): no man pages will be installed")
endif()

# --- data, docs, example config ---------------------------------------------------
install(FILES
  ${CMAKE_SOURCE_DIR}/data/aliases.txt
  ${CMAKE_SOURCE_DIR}/data/errata.tsv
  ${CMAKE_SOURCE_DIR}/data/dates.tsv
  ${CMAKE_SOURCE_DIR}/data/stalin-churchill-1941.txt
  DESTINATION ${CMAKE_INSTALL_DATADIR}/missive)
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${CMAKE_SOURCE_DIR}/config/missive.conf
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# The daemon's config lives in /etc/missive whatever the prefix (the binary's
# default and the units name it).  An operator's edited file is never
# overwritten: only a missing one is installed.
option(MISSIVE_INSTALL_CONFIG "Install /etc/missive/missive.conf when there is none" ON)
set(MISSIVE_CONFDIR "/etc/missive" CACHE PATH "Directory of the daemon's config")
if(MISSIVE_INSTALL_CONFIG)
  install(CODE "
    set(dest \"\$ENV{DESTDIR}${MISSIVE_CONFDIR}/missive.conf\")
    if(EXISTS \"\${dest}\")
      message(STATUS \"Keeping: \${dest}\")
    else()
      file(INSTALL \"${CMAKE_SOURCE_DIR}/config/missive.conf\"
           DESTINATION \"${MISSIVE_CONFDIR}\"
           FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
    endif()")
endif()

# --- systemd units ------------------------------------------------------------------
foreach(unit missive.service missive@.service)
  file(READ ${CMAKE_SOURCE_DIR}/systemd/${unit} text)
  string(REPLACE "/usr/bin/missive" "${CMAKE_INSTALL_FULL_BINDIR}/missive" text "${text}")
  string(REPLACE "/etc/missive/" "${MISSIVE_CONFDIR}/" text "${text}")
  file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/systemd/${unit} CONTENT "${text}")
  install(FILES ${CMAKE_BINARY_DIR}/systemd/${unit} DESTINATION ${MISSIVE_SYSTEMD_UNITDIR})
endforeach()
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  ${CMAKE_SOURCE_DIR}/systemd/missive.service ${CMAKE_SOURCE_DIR}/systemd/missive@.service)
