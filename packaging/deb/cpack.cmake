# cpack.cmake - the Debian package of facmon (CPack's DEB generator).
#
# Included by the top-level CMakeLists.txt; scripts/package configures a
# release build for /usr and runs `cpack -G DEB`. What the package holds and
# what its maintainer scripts do is in docs/deployment.md.
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "facmon")
set(CPACK_PACKAGE_VENDOR "facmon")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "monitoring agent for server rooms: Modbus and SNMP to MQTT alerts")
set(CPACK_PACKAGE_DESCRIPTION
"facmon polls a room's sensors and facility equipment over Modbus (RTU on
RS-485, and TCP) and SNMP (v1, v2c, v3, traps), evaluates alert rules with
hysteresis, delays and rates, keeps every alert event in a local SQLite
history and publishes telemetry, device states and alerts over MQTT.
Built for audited rooms (FISC, ISO 27001): every alert carries the control
IDs it is evidence for.")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)          # facmon_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_RELEASE "")
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
if(NOT CPACK_DEBIAN_PACKAGE_MAINTAINER)
  set(CPACK_DEBIAN_PACKAGE_MAINTAINER "facmon maintainers <facmon@invalid>")
endif()
# The shared libraries' packages come from dpkg-shlibdeps (libmodbus5,
# libmosquitto1, libconfig9, libcjson1, libsqlite3-0, libsnmp40,
# libprotobuf-c1, libmd0, libc6); adduser is what postinst needs. libcurl4
# (outputs.alertmanager) and libmicrohttpd12 (outputs.http) are loaded
# only when those outputs start (outputs/lazy_*.c), so they are
# recommended, and the agent says which to install if one is missing.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libcurl4, libmicrohttpd12")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "mosquitto, mosquitto-clients")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${CMAKE_CURRENT_LIST_DIR}/conffiles"
    "${CMAKE_CURRENT_LIST_DIR}/postinst"
    "${CMAKE_CURRENT_LIST_DIR}/prerm"
    "${CMAKE_CURRENT_LIST_DIR}/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)

# A package of a build that looks for profiles in the source tree would
# install a library it never reads: checked when cpack runs.
set(FACMON_PACKAGE_PROFILE_DIR "${CPACK_PACKAGING_INSTALL_PREFIX}/share/facmon/profiles")
configure_file("${CMAKE_CURRENT_LIST_DIR}/cpack-check.cmake.in"
               "${CMAKE_BINARY_DIR}/cpack-check.cmake" @ONLY)
set(CPACK_PROJECT_CONFIG_FILE "${CMAKE_BINARY_DIR}/cpack-check.cmake")

include(CPack)
