# FindV8: the one place that decides which V8 Airlock embeds.
#
# Order of preference:
#   1. V8_ROOT (cache or environment) pointing at a prefix with include/ and lib/.
#   2. The project-local prefix packaging/install-deps.sh makes when Debian's
#      libnode-dev cannot be installed (.deps/libnode: usr/include/node,
#      usr/lib/<multiarch>/libnode.so.NNN).
#   3. Debian/Ubuntu's libnode-dev installed system-wide (/usr/include/node).
#   4. Homebrew's v8 on macOS (libv8 + libv8_libplatform).
#
# Result: the imported target V8::V8 and V8_FOUND, V8_INCLUDE_DIR, V8_LIBRARIES,
# V8_FLAVOUR ("libnode" or "v8"). Libraries from a private prefix are linked with
# their directory in the build and install RPATH, so the binaries run without
# LD_LIBRARY_PATH.

include(FindPackageHandleStandardArgs)

set(_v8_hints)
if(V8_ROOT)
  list(APPEND _v8_hints "${V8_ROOT}")
elseif(DEFINED ENV{V8_ROOT})
  list(APPEND _v8_hints "$ENV{V8_ROOT}")
endif()
list(APPEND _v8_hints "${PROJECT_SOURCE_DIR}/.deps/libnode/usr")

if(APPLE)
  execute_process(COMMAND brew --prefix v8 OUTPUT_VARIABLE _v8_brew
                  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE _v8_brew_rc)
  if(_v8_brew_rc EQUAL 0 AND _v8_brew)
    list(APPEND _v8_hints "${_v8_brew}")
  endif()
endif()

# libnode flavour: headers live under include/node.
find_path(V8_INCLUDE_DIR NAMES v8.h libplatform/libplatform.h
  HINTS ${_v8_hints}
  PATH_SUFFIXES include/node include
  NO_DEFAULT_PATH)
if(NOT V8_INCLUDE_DIR)
  find_path(V8_INCLUDE_DIR NAMES v8.h PATH_SUFFIXES node include/node)
endif()

find_library(V8_NODE_LIBRARY NAMES node libnode.so.108 libnode.so.109 libnode.so.115
  HINTS ${_v8_hints}
  PATH_SUFFIXES lib lib/${CMAKE_LIBRARY_ARCHITECTURE}
  NO_DEFAULT_PATH)
if(NOT V8_NODE_LIBRARY AND NOT APPLE)
  find_library(V8_NODE_LIBRARY NAMES node libnode.so.108 libnode.so.109)
endif()

if(V8_NODE_LIBRARY)
  set(V8_FLAVOUR libnode)
  set(V8_LIBRARIES "${V8_NODE_LIBRARY}")
else()
  # Plain V8 (Homebrew): libv8 + libv8_libplatform (+ libv8_libbase on some builds).
  find_library(V8_MAIN_LIBRARY NAMES v8 HINTS ${_v8_hints} PATH_SUFFIXES lib)
  find_library(V8_PLATFORM_LIBRARY NAMES v8_libplatform HINTS ${_v8_hints} PATH_SUFFIXES lib)
  find_library(V8_BASE_LIBRARY NAMES v8_libbase HINTS ${_v8_hints} PATH_SUFFIXES lib)
  if(V8_MAIN_LIBRARY AND V8_PLATFORM_LIBRARY)
    set(V8_FLAVOUR v8)
    set(V8_LIBRARIES "${V8_MAIN_LIBRARY}" "${V8_PLATFORM_LIBRARY}")
    if(V8_BASE_LIBRARY)
      list(APPEND V8_LIBRARIES "${V8_BASE_LIBRARY}")
    endif()
  endif()
endif()

find_package_handle_standard_args(V8
  REQUIRED_VARS V8_LIBRARIES V8_INCLUDE_DIR
  FAIL_MESSAGE "V8 not found: run packaging/install-deps.sh (Debian/Ubuntu: libnode-dev or the private .deps/libnode prefix, macOS: brew install v8), or set V8_ROOT")

if(V8_FOUND AND NOT TARGET V8::V8)
  add_library(V8::V8 INTERFACE IMPORTED)
  # SYSTEM: V8's headers are not ours, so our -Werror must not apply to them.
  set_target_properties(V8::V8 PROPERTIES
    INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${V8_INCLUDE_DIR}"
    INTERFACE_INCLUDE_DIRECTORIES "${V8_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES "${V8_LIBRARIES}")
  if(V8_FLAVOUR STREQUAL "v8")
    # Homebrew's V8 is built with pointer compression and the V8 sandbox.
    set_property(TARGET V8::V8 APPEND PROPERTY INTERFACE_COMPILE_DEFINITIONS
      V8_COMPRESS_POINTERS V8_ENABLE_SANDBOX)
  endif()
  list(GET V8_LIBRARIES 0 _v8_first)
  get_filename_component(V8_LIBRARY_DIR "${_v8_first}" DIRECTORY)
  mark_as_advanced(V8_INCLUDE_DIR V8_NODE_LIBRARY V8_MAIN_LIBRARY V8_PLATFORM_LIBRARY V8_BASE_LIBRARY)
endif()
