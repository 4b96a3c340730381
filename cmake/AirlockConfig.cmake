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
