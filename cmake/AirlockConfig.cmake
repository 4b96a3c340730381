# One INTERFACE target that every Airlock target links: language level, warnings
# (errors on our code only) and Qt strictness defines.
add_library(airlock_config INTERFACE)
target_compile_features(airlock_config INTERFACE cxx_std_20)
# One include root: an include line names the folder of what it includes
# ("core/agent/AgentSession.h", "sandbox/microvm/MicroVm.h").
target_include_directories(airlock_config INTERFACE "${PROJECT_SOURCE_DIR}" "${PROJECT_BINARY_DIR}/generated")
target_compile_options(airlock_config INTERFACE
  $<$<CXX_COMPILER_ID:GNU,Clang,AppleClang>:-Wall -Wextra -Werror -Wnon-virtual-dtor -Woverloaded-virtual>)
target_compile_definitions(airlock_config INTERFACE
  QT_NO_CAST_TO_ASCII
  QT_NO_NARROWING_CONVERSIONS_IN_CONNECT
  QT_NO_FOREACH
  QT_NO_KEYWORDS
  QT_USE_QSTRINGBUILDER
  QT_DISABLE_DEPRECATED_BEFORE=0x060000)

if(AIRLOCK_SANITIZE)
  # vptr checks need RTTI of every polymorphic class crossing our code; V8 (libnode)
  # is built without RTTI, so that one check is off. The rest of UBSan stays on.
  set(_san -fsanitize=address,undefined -fno-sanitize=vptr -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  # A target can opt out (e.g. the guest agent, a static binary for the VM, which
  # ASan cannot be linked into) with the target property AIRLOCK_NO_SANITIZE.
  set(_want "$<NOT:$<BOOL:$<TARGET_PROPERTY:AIRLOCK_NO_SANITIZE>>>")
  target_compile_options(airlock_config INTERFACE "$<${_want}:${_san}>")
  target_link_options(airlock_config INTERFACE "$<${_want}:${_san}>")
endif()

# Poison headers (cmake/forbidden/): first on the include path of every target, so
# that <v8.h> or <libvirt/libvirt.h> (which sits in /usr/include, reachable by
# everything) does not compile where the layers forbid it (DESIGN.md, "Layout").
# The two targets that may use one set a property that lifts its poison:
# AIRLOCK_MAY_INCLUDE_V8 (airlock-jsd, tst_v8_smoke), AIRLOCK_MAY_INCLUDE_LIBVIRT
# (airlock_microvm). Besides the headers our code uses (kept in the source tree),
# every other header of the two families gets a generated poison in the build tree.
set(_forbidden_src "${PROJECT_SOURCE_DIR}/cmake/forbidden")
set(_forbidden_gen "${PROJECT_BINARY_DIR}/layering/forbidden")
function(_airlock_poison family subdir dir pattern who)
  file(GLOB headers RELATIVE "${dir}" "${dir}/${pattern}")
  foreach(h IN LISTS headers)
    if(EXISTS "${_forbidden_src}/${family}/${subdir}${h}")
      continue()
    endif()
    set(text "#error \"airlock layering: this target must not include <${subdir}${h}>: only ${who} may (DESIGN.md, Layout)\"\n")
    set(out "${_forbidden_gen}/${family}/${subdir}${h}")
    if(EXISTS "${out}")
      file(READ "${out}" old)
    else()
      set(old "")
    endif()
    if(NOT old STREQUAL text)
      file(WRITE "${out}" "${text}")
    endif()
  endforeach()
endfunction()
if(V8_INCLUDE_DIR)
  _airlock_poison(v8 "" "${V8_INCLUDE_DIR}" "v8*.h" "the isolate helper airlock-jsd (and tst_v8_smoke)")
  _airlock_poison(v8 "libplatform/" "${V8_INCLUDE_DIR}/libplatform" "*.h" "the isolate helper airlock-jsd (and tst_v8_smoke)")
endif()
find_path(AIRLOCK_LIBVIRT_INCLUDE_ROOT libvirt/libvirt.h)
if(AIRLOCK_LIBVIRT_INCLUDE_ROOT)
  _airlock_poison(libvirt "libvirt/" "${AIRLOCK_LIBVIRT_INCLUDE_ROOT}/libvirt" "*.h" "airlock_microvm")
endif()
set(_no_v8 "$<NOT:$<BOOL:$<TARGET_PROPERTY:AIRLOCK_MAY_INCLUDE_V8>>>")
set(_no_virt "$<NOT:$<BOOL:$<TARGET_PROPERTY:AIRLOCK_MAY_INCLUDE_LIBVIRT>>>")
target_include_directories(airlock_config BEFORE INTERFACE
  "$<${_no_v8}:${_forbidden_src}/v8>" "$<${_no_v8}:${_forbidden_gen}/v8>"
  "$<${_no_virt}:${_forbidden_src}/libvirt>" "$<${_no_virt}:${_forbidden_gen}/libvirt>")
