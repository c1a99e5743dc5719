# The Debian package: `cmake --build build --target package` makes
# synguard_<version>_amd64.deb with CPack's DEB generator.
#
# Why CPack and not debian/ + dpkg-buildpackage: the build is one CMake
# project (BPF objects, skeletons, daemon), and its install rules already say
# where the binary goes; CPack packs those same rules from the build tree the
# developers and CI already have, with no second build description to keep in
# sync (debian/rules calling cmake again, Build-Depends mirroring
# deploy/install-deps.sh). What debhelper would add we do here: Depends are
# computed by dpkg-shlibdeps (CPACK_DEBIAN_PACKAGE_SHLIBDEPS), binaries are
# stripped, and the maintainer scripts in deploy/debian/ do what
# dh_installsystemd would (enable without starting). The cost: lintian sees a
# package that no source package describes; deploy/debian/synguard.lintian-
# overrides says which of its tags follow from that and why.

include(GNUInstallDirs)

# Everything below is in the component "deb", excluded from a plain
# `cmake --install`: a manual install (docs/operations.md) stays the binary alone and
# never writes /etc/synguard or /lib/systemd over what the operator has.

set(SG_DEB_DIR ${CMAKE_CURRENT_SOURCE_DIR}/deploy/debian)
set(SG_SHARE ${CMAKE_INSTALL_DATAROOTDIR}/synguard)
set(SG_DOC ${CMAKE_INSTALL_DATAROOTDIR}/doc/synguard)

# Man pages from scdoc sources (docs/man/*.scd), generated at build time and
# compressed as Debian wants (gzip -9n: no timestamp, reproducible).
find_program(SG_SCDOC scdoc)
find_program(SG_GZIP gzip REQUIRED)
set(SG_MAN_PAGES synguard.8 synguard.yaml.5)
set(SG_MAN_OUTPUTS)
if(SG_SCDOC)
  foreach(page IN LISTS SG_MAN_PAGES)
    set(src ${CMAKE_CURRENT_SOURCE_DIR}/docs/man/${page}.scd)
    set(out ${CMAKE_CURRENT_BINARY_DIR}/man/${page}.gz)
    add_custom_command(OUTPUT ${out}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_CURRENT_BINARY_DIR}/man
      COMMAND sh -c "'${SG_SCDOC}' < '${src}' | '${SG_GZIP}' -9n > '${out}'"
      DEPENDS ${src}
      COMMENT "scdoc ${page}"
      VERBATIM)
    list(APPEND SG_MAN_OUTPUTS ${out})
    string(REGEX REPLACE ".*\\.([0-9])$" "\\1" section ${page})
    install(FILES ${out} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section}
      COMPONENT deb EXCLUDE_FROM_ALL)
  endforeach()
  add_custom_target(synguard_man ALL DEPENDS ${SG_MAN_OUTPUTS})
else()
  message(WARNING "scdoc not found (deploy/install-deps.sh installs it): "
                  "the package will have no man pages")
endif()

# The Debian changelog (a native package: changelog.gz) and copyright.
set(SG_CHANGELOG ${CMAKE_CURRENT_BINARY_DIR}/debian/changelog.gz)
add_custom_command(OUTPUT ${SG_CHANGELOG}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_CURRENT_BINARY_DIR}/debian
  COMMAND sh -c "'${SG_GZIP}' -9n < '${SG_DEB_DIR}/changelog' > '${SG_CHANGELOG}'"
  DEPENDS ${SG_DEB_DIR}/changelog
  VERBATIM)
add_custom_target(synguard_changelog ALL DEPENDS ${SG_CHANGELOG})
install(FILES ${SG_CHANGELOG} ${SG_DEB_DIR}/copyright DESTINATION ${SG_DOC}
  COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES deploy/synguard.yaml DESTINATION ${SG_DOC}/examples
  COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES ${SG_DEB_DIR}/synguard.lintian-overrides
  DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/lintian/overrides RENAME synguard
  COMPONENT deb EXCLUDE_FROM_ALL)

# The unit, with the path the package installs the binary at (the source
# file says /usr/local/sbin, for a manual install).
file(READ ${CMAKE_CURRENT_SOURCE_DIR}/deploy/synguard.service SG_UNIT_TEXT)
string(REPLACE "/usr/local/sbin/synguard" "/usr/sbin/synguard" SG_UNIT_TEXT "${SG_UNIT_TEXT}")
file(GENERATE OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/debian/synguard.service CONTENT "${SG_UNIT_TEXT}")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  ${CMAKE_CURRENT_SOURCE_DIR}/deploy/synguard.service)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/debian/synguard.service DESTINATION /lib/systemd/system
  COMPONENT deb EXCLUDE_FROM_ALL)

# The config is a conffile (deploy/debian/conffiles): an upgrade keeps the
# operator's edits.
install(FILES deploy/synguard.yaml DESTINATION /etc/synguard
  COMPONENT deb EXCLUDE_FROM_ALL)

# Alert rules, their unit test, the dashboard and the sysctl.d profile. The
# profile is not installed into /etc/sysctl.d: synguard sets and restores
# these itself; a host that wants them permanent links the file there.
install(FILES deploy/prometheus/synguard-rules.yml deploy/prometheus/synguard-rules.test.yml
  deploy/prometheus/prometheus.yml
  DESTINATION ${SG_SHARE}/prometheus
  COMPONENT deb EXCLUDE_FROM_ALL)
install(DIRECTORY deploy/prometheus/grafana/ DESTINATION ${SG_SHARE}/grafana
  COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES deploy/sysctl.d/60-synguard.conf DESTINATION ${SG_SHARE}/sysctl.d
  COMPONENT deb EXCLUDE_FROM_ALL)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME synguard)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_CONTACT
  "synguard maintainers <maintainers@users.noreply.h-seed-1d59908b.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "XDP SYN-flood defense with SYN cookies")
set(CPACK_PACKAGE_DESCRIPTION
  "synguard answers TCP SYN floods with SYN cookies from an XDP program on the\n\
server's interfaces and hands real clients to the kernel's listener, so spoofed\n\
SYNs cost no socket, no conntrack entry and no skb. The daemon loads and\n\
attaches the programs, rotates the cookie secrets, tunes the SYN sysctls and\n\
restores them on exit, engages cookies per port when it sees an attack, and\n\
exports Prometheus metrics. It runs as the systemd service synguard.service.")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${SG_DEB_DIR}/conffiles ${SG_DEB_DIR}/postinst ${SG_DEB_DIR}/prerm ${SG_DEB_DIR}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# One package of both components: the binary (daemon/) and the "deb" files.
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_COMPONENTS_ALL Unspecified deb)
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
  OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
include(CPack)
