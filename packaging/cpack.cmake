# SPDX-License-Identifier: Apache-2.0
# The Debian package: `cpack -G DEB` in the build directory (install.deb_build does it, and
# install.lintian checks the result). Installs as /usr (programs), /etc/stas (configuration,
# conffiles: never overwritten on upgrade), /lib/systemd/system (units),
# /usr/share/dbus-1/system.d (bus policy) and /usr/share/doc/nvme-stas-cpp (licence, changelog).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME nvme-stas-cpp)
set(CPACK_PACKAGE_VENDOR "nvme-stas-cpp")
# example.org (RFC 2606) until the project has an address; a distributor sets its own.
set(STAS_DEB_MAINTAINER "nvme-stas-cpp maintainers <nvme-stas-cpp@example.org>"
    CACHE STRING "The Maintainer of the Debian package (and of its changelog entry)")
set(CPACK_PACKAGE_CONTACT "${STAS_DEB_MAINTAINER}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/linux-nvme/nvme-stas")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "NVMe over Fabrics STorage Appliance Services (stafd, stacd), in C++")
# Lines of at most 80 characters (Debian Policy 3.4.1).
set(CPACK_PACKAGE_DESCRIPTION
    "stafd finds NVMe-oF discovery controllers (configured, referred, or announced\nwith mDNS) and publishes their discovery log pages on D-Bus; stacd connects the\nI/O controllers those pages list. A drop-in replacement for nvme-stas 2.x:\nsame configuration files, D-Bus API and command lines.")
# Library dependencies come from dpkg-shlibdeps; these are the programs the units and
# maintainer scripts call.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "dbus, procps")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "avahi-daemon, nvme-cli")
set(CPACK_DEBIAN_PACKAGE_PROVIDES "nvme-stas")
set(CPACK_DEBIAN_PACKAGE_CONFLICTS "nvme-stas")
set(CPACK_DEBIAN_PACKAGE_REPLACES "nvme-stas")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_CURRENT_LIST_DIR}/debian/conffiles ${CMAKE_CURRENT_LIST_DIR}/debian/postinst
    ${CMAKE_CURRENT_LIST_DIR}/debian/prerm ${CMAKE_CURRENT_LIST_DIR}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
set(CPACK_STRIP_FILES ON)  # the build is RelWithDebInfo: ship the programs without debug info
include(CPack)

# What Debian Policy asks of every package (12.5, 12.7): the licence in the machine-readable
# copyright format, and the changelog (a native package's: changelog.gz, gzip -9n).
set(STAS_DOCDIR ${CMAKE_INSTALL_DATADIR}/doc/${CPACK_PACKAGE_NAME})
install(FILES ${CMAKE_CURRENT_LIST_DIR}/debian/copyright DESTINATION ${STAS_DOCDIR})
configure_file(${CMAKE_CURRENT_LIST_DIR}/debian/changelog.in
               ${CMAKE_BINARY_DIR}/packaging/changelog @ONLY)
add_custom_command(
  OUTPUT ${CMAKE_BINARY_DIR}/packaging/changelog.gz
  COMMAND gzip -9n -c ${CMAKE_BINARY_DIR}/packaging/changelog > ${CMAKE_BINARY_DIR}/packaging/changelog.gz
  DEPENDS ${CMAKE_BINARY_DIR}/packaging/changelog
  VERBATIM)
add_custom_target(deb_changelog ALL DEPENDS ${CMAKE_BINARY_DIR}/packaging/changelog.gz)
install(FILES ${CMAKE_BINARY_DIR}/packaging/changelog.gz DESTINATION ${STAS_DOCDIR})
