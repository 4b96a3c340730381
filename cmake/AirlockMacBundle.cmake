# macOS: Airlock.app and a DragNDrop .dmg. Written, NOT tested on this project's
# machines (they run Debian); packaging/README.md lists what a tester on a Mac should
# check. Included by cmake/AirlockPackaging.cmake on APPLE only.
#
# Layout (cmake/AirlockInstallDirs.cmake): Contents/MacOS/{airlock,airlock-jsd},
# Contents/share/airlock/guest/, Contents/Resources/airlock.icns, Qt frameworks by
# macdeployqt. V8 (brew's v8) and libvirt (brew's libvirt, with QEMU) come from
# Homebrew: macdeployqt copies the dylibs it finds linked into Contents/Frameworks.

set(_icns "${PROJECT_BINARY_DIR}/packaging/airlock.icns")
find_program(AIRLOCK_ICONUTIL iconutil)
find_program(AIRLOCK_RSVG_CONVERT rsvg-convert)
if(AIRLOCK_ICONUTIL AND AIRLOCK_RSVG_CONVERT)
  set(_iconset "${PROJECT_BINARY_DIR}/packaging/airlock.iconset")
  set(_cmds)
  foreach(size 16 32 128 256 512)
    math(EXPR size2 "${size} * 2")
    list(APPEND _cmds
      COMMAND ${AIRLOCK_RSVG_CONVERT} -w ${size} -h ${size} -o "${_iconset}/icon_${size}x${size}.png"
              "${PROJECT_SOURCE_DIR}/packaging/linux/airlock.svg"
      COMMAND ${AIRLOCK_RSVG_CONVERT} -w ${size2} -h ${size2} -o "${_iconset}/icon_${size}x${size}@2x.png"
              "${PROJECT_SOURCE_DIR}/packaging/linux/airlock.svg")
  endforeach()
  add_custom_command(OUTPUT "${_icns}"
    COMMAND ${CMAKE_COMMAND} -E make_directory "${_iconset}"
    ${_cmds}
    COMMAND ${AIRLOCK_ICONUTIL} -c icns -o "${_icns}" "${_iconset}"
    DEPENDS "${PROJECT_SOURCE_DIR}/packaging/linux/airlock.svg" VERBATIM)
  target_sources(airlock PRIVATE "${_icns}")
  set_source_files_properties("${_icns}" PROPERTIES MACOSX_PACKAGE_LOCATION Resources)
else()
  message(WARNING "iconutil or rsvg-convert (brew install librsvg) not found: Airlock.app gets no icon")
endif()

set_target_properties(airlock PROPERTIES
  MACOSX_BUNDLE ON
  OUTPUT_NAME airlock
  MACOSX_BUNDLE_INFO_PLIST "${PROJECT_SOURCE_DIR}/packaging/macos/Info.plist.in"
  MACOSX_BUNDLE_BUNDLE_NAME "Airlock"
  MACOSX_BUNDLE_EXECUTABLE_NAME "airlock"
  MACOSX_BUNDLE_GUI_IDENTIFIER "${AIRLOCK_APP_ID}"
  MACOSX_BUNDLE_ICON_FILE "airlock.icns"
  MACOSX_BUNDLE_SHORT_VERSION_STRING "${PROJECT_VERSION}"
  MACOSX_BUNDLE_BUNDLE_VERSION "${PROJECT_VERSION}")

# The Preview's engine, where PreviewView looks (../lib/airlock from Contents/MacOS).
if(TARGET airlock_webengine)
  install(TARGETS airlock_webengine LIBRARY DESTINATION "${AIRLOCK_INSTALL_PKGLIBDIR}")
endif()

# Qt frameworks and plugins, and the Homebrew dylibs (V8, libvirt), into the bundle.
find_program(AIRLOCK_MACDEPLOYQT macdeployqt HINTS "${Qt6_DIR}/../../../bin")
if(AIRLOCK_MACDEPLOYQT)
  install(CODE "execute_process(COMMAND \"${AIRLOCK_MACDEPLOYQT}\" \"\${CMAKE_INSTALL_PREFIX}/Airlock.app\"
                  \"-executable=\${CMAKE_INSTALL_PREFIX}/${AIRLOCK_INSTALL_HELPERDIR}/airlock-jsd\" -always-overwrite
                  COMMAND_ERROR_IS_FATAL ANY)")
else()
  message(WARNING "macdeployqt not found: Airlock.app will need Qt from Homebrew at run time")
endif()

set(CPACK_GENERATOR "DragNDrop")
set(CPACK_DMG_VOLUME_NAME "Airlock ${PROJECT_VERSION}")
set(CPACK_DMG_FORMAT "UDZO")
set(CPACK_PACKAGE_FILE_NAME "Airlock-${PROJECT_VERSION}-macos-${CMAKE_SYSTEM_PROCESSOR}")
