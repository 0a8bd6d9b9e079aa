# SPDX-License-Identifier: Apache-2.0
# The Debian package: `cpack -G DEB` in the build directory (scripts/build-deb.sh does it all).
# Installs as /usr (programs), /etc/stas (configuration, conffiles: never overwritten on
# upgrade), /lib/systemd/system (units) and /usr/share/dbus-1/system.d (bus policy).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME nvme-stas-cpp)
set(CPACK_PACKAGE_VENDOR "nvme-stas-cpp")
set(CPACK_PACKAGE_CONTACT "nvme-stas-cpp maintainers <root@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/linux-nvme/nvme-stas")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "NVMe over Fabrics STorage Appliance Services (stafd, stacd), in C++")
set(CPACK_PACKAGE_DESCRIPTION
    "stafd finds NVMe-oF discovery controllers (configured, referred, or announced with mDNS)\nand publishes their discovery log pages on D-Bus; stacd connects the I/O controllers\nthose pages list. A drop-in replacement for nvme-stas 2.x: same configuration files,\nD-Bus API and command lines.")
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
