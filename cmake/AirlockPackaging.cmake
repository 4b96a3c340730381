# The installers (CPack), made by `make package` from what the install() rules put
# into the tree (cmake/AirlockInstallDirs.cmake). Linux: a .deb (Debian 12, Ubuntu
# 24.04) and a .tar.gz of the same tree. macOS: a DragNDrop .dmg of Airlock.app
# (cmake/AirlockMacBundle.cmake; written, not tested on this project's machines).
#
# V8: the .deb depends on the distribution's libnode (libnode108 on Debian 12,
# libnode109 on Ubuntu 24.04) and ships no copy. Where the build linked the private
# prefix packaging/install-deps.sh unpacks (.deps/libnode, because another Node.js
# shadows Debian's libnode-dev there), that prefix holds the very same library from
# the very same Debian package, so the dependency is exact; the installed binaries
# carry no RPATH into it (top-level CMakeLists.txt).

set(CPACK_PACKAGE_NAME "airlock")
set(CPACK_PACKAGE_VENDOR "Airlock")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "workbench for prototyping AI agents with sandboxed tools")
# Lines of at most 80 columns: the .deb's extended description shows them as they are.
set(CPACK_PACKAGE_DESCRIPTION "Airlock is a desktop workbench for people who build AI agents. You chat\n\
with a remote model; every tool call it asks for stops at an approval card,\n\
and an approved call runs in a sandbox: a V8 isolate for JavaScript tools,\n\
or a QEMU microVM managed by libvirt for commands and files. Every session\n\
is an append-only event log. Includes the airlock command-line interface.")
set(CPACK_PACKAGE_CHECKSUM SHA256)
set(CPACK_OUTPUT_FILE_PREFIX "${PROJECT_BINARY_DIR}/packages")
set(CPACK_STRIP_FILES ON)
set(CPACK_SOURCE_IGNORE_FILES "/build/;/\\\\.deps/;/\\\\.git/;/node_modules/")
set(AIRLOCK_PACKAGE_MAINTAINER "Airlock developers <airlock@localhost>"
    CACHE STRING "Maintainer field of the .deb")

if(APPLE)
  include(AirlockMacBundle)
else()
  set(CPACK_GENERATOR "DEB;TGZ")
  set(CPACK_SYSTEM_NAME "linux-${CMAKE_SYSTEM_PROCESSOR}")
  # The tarball: airlock-VERSION-linux-ARCH/{bin,lib,share}, relocatable.
  set(CPACK_PACKAGE_FILE_NAME "airlock-${PROJECT_VERSION}-${CPACK_SYSTEM_NAME}")
  set(CPACK_INCLUDE_TOPLEVEL_DIRECTORY ON)

  set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # airlock_VERSION_ARCH.deb
  set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${AIRLOCK_PACKAGE_MAINTAINER}")
  set(CPACK_DEBIAN_PACKAGE_SECTION "devel")
  set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
  set(CPACK_DEBIAN_COMPRESSION_TYPE "xz")
  set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
  # Library dependencies from the ELF files (dpkg-shlibdeps), plus what runs beside them.
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)

  set(_depends)
  # libnode: from its SONAME (libnode.so.108 -> libnode108). From the private prefix
  # dpkg-shlibdeps finds the file but no package owning it, so it is named here.
  get_filename_component(_v8_real "${V8_NODE_LIBRARY}" REALPATH)
  string(REGEX MATCH "libnode\\.so\\.([0-9]+)" _v8_so "${_v8_real}")
  if(V8_FLAVOUR STREQUAL "libnode" AND CMAKE_MATCH_1)
    list(APPEND _depends "libnode${CMAKE_MATCH_1}")
    if(NOT V8_LIBRARY_DIR MATCHES "^/usr/lib")
      set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS "${V8_LIBRARY_DIR}")
    endif()
  endif()
  list(APPEND _depends
    qt6-qpa-plugins          # Qt's platform plugins (xcb, wayland, offscreen): no window without them
    libvirt-daemon-system    # the microVM sandbox: the libvirt daemon ...
    libvirt-daemon-driver-qemu
    qemu-system-x86          # ... and QEMU (KVM where present, TCG where not)
    qemu-utils)              # qemu-img: per-session copy-on-write disks, checkpoints
  list(JOIN _depends ", " CPACK_DEBIAN_PACKAGE_DEPENDS)
  # Debian guest images are built on first use (vm.packages in a project).
  set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "mmdebstrap, uidmap, genext2fs, e2fsprogs, qt6-wayland")
  # The browser tools drive a headless Chromium; API keys live in a Secret Service.
  set(CPACK_DEBIAN_PACKAGE_SUGGESTS "chromium, gnome-keyring")
endif()

include(CPack)
