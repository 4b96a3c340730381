# The layers DESIGN.md draws ("Layout"), checked on the link graph at configure
# time: a target that reaches a library it must not (directly or through what it
# links) stops the configure with the path that got there. Called at the end of the
# top-level CMakeLists.txt, once every target exists.
#
# Rules:
#  - core, the UI and the isolate client never reach V8 or libvirt (V8 is the
#    helper's, airlock-jsd; libvirt is airlock_microvm's, and PRIVATE there);
#  - core never reaches Qt Widgets, a UI target, a sandbox implementation or app/;
#  - the UI never reaches a sandbox implementation or app/'s composition root;
#  - only airlock-jsd and tst_v8_smoke link V8::V8 themselves; only airlock_microvm
#    links libvirt, and keeps it out of its usage requirements.

set(AIRLOCK_LAYER_CORE airlock_core airlock_providers airlock_policy airlock_project airlock_tools
    airlock_workspace airlock_secrets airlock_agent airlock_egress_policy airlock_mcp)
set(AIRLOCK_LAYER_UI airlock_ui airlock_preview)
set(AIRLOCK_LAYER_SANDBOXES airlock_isolate airlock_microvm airlock_guest_protocol airlock_wire airlock_egress
    airlock_browser)
set(AIRLOCK_LAYER_APP airlock_app_wiring airlock_cli airlock)
# Names that stand for V8 or libvirt, also when linked as a bare library or path.
set(_layer_v8_regex "^(V8::V8|.*[/]?lib(node|v8|v8_libplatform)\\.(so|a|dylib).*)$")
set(_layer_libvirt_regex "^(PkgConfig::LIBVIRT|virt|.*[/]?libvirt[^/]*\\.(so|a|dylib).*)$")

# The names a link item stands for, with generator expressions taken apart.
function(_airlock_layer_items out)
  set(items)
  foreach(raw IN LISTS ARGN)
    string(REGEX REPLACE "\\$<LINK_ONLY:([^>]*)>" "\\1" item "${raw}")
    if(item MATCHES "\\$<")
      # Some other expression (a condition): every name in it counts.
      string(REGEX MATCHALL "[A-Za-z0-9_.+-]+(::[A-Za-z0-9_.+-]+)?" names "${item}")
      list(APPEND items ${names})
    elseif(NOT item STREQUAL "")
      list(APPEND items "${item}")
    endif()
  endforeach()
  set(${out} "${items}" PARENT_SCOPE)
endfunction()

# Everything `target` links, transitively, as "name<TAB>path" pairs (the path: how
# it got there, for the message).
function(_airlock_layer_reach target out)
  get_target_property(direct ${target} LINK_LIBRARIES)
  if(NOT direct)
    set(direct)
  endif()
  _airlock_layer_items(queue ${direct})
  set(paths)
  foreach(item IN LISTS queue)
    list(APPEND paths "${target} -> ${item}")
  endforeach()
  set(seen)
  set(reached)
  while(queue)
    list(POP_FRONT queue item)
    list(POP_FRONT paths path)
    if(item IN_LIST seen)
      continue()
    endif()
    list(APPEND seen "${item}")
    list(APPEND reached "${item}|${path}")
    if(NOT TARGET "${item}")
      continue() # a plain library, or an imported target of another folder's scope
    endif()
    get_target_property(real "${item}" ALIASED_TARGET)
    if(real)
      set(item "${real}")
    endif()
    get_target_property(next "${item}" INTERFACE_LINK_LIBRARIES)
    if(NOT next)
      continue()
    endif()
    _airlock_layer_items(next ${next})
    foreach(n IN LISTS next)
      list(APPEND queue "${n}")
      list(APPEND paths "${path} -> ${n}")
    endforeach()
  endwhile()
  set(${out} "${reached}" PARENT_SCOPE)
endfunction()

# Fails when `target` reaches a name matching `regex` or listed in ARGN.
function(_airlock_layer_forbid target why regex)
  if(NOT TARGET ${target})
    return()
  endif()
  _airlock_layer_reach(${target} reached)
  foreach(entry IN LISTS reached)
    string(REGEX REPLACE "\\|.*$" "" name "${entry}")
    string(REGEX REPLACE "^[^|]*\\|" "" path "${entry}")
    set(hit FALSE)
    if(NOT regex STREQUAL "" AND name MATCHES "${regex}")
      set(hit TRUE)
    endif()
    if(name IN_LIST ARGN)
      set(hit TRUE)
    endif()
    if(hit)
      message(FATAL_ERROR "airlock layering: ${target} must not link ${name} (${why}).\n  via: ${path}\n"
                          "See cmake/Layering.cmake and DESIGN.md, \"Layout\".")
    endif()
  endforeach()
endfunction()

# Every target defined under `dir`, recursively.
function(_airlock_layer_targets dir out)
  get_property(targets DIRECTORY "${dir}" PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY "${dir}" PROPERTY SUBDIRECTORIES)
  foreach(sub IN LISTS subdirs)
    _airlock_layer_targets("${sub}" more)
    list(APPEND targets ${more})
  endforeach()
  set(${out} "${targets}" PARENT_SCOPE)
endfunction()

function(airlock_check_layering)
  set(no_v8 "V8 is only for the isolate helper airlock-jsd")
  set(no_virt "libvirt is only for airlock_microvm")
  foreach(t IN LISTS AIRLOCK_LAYER_CORE AIRLOCK_LAYER_UI ITEMS airlock_isolate)
    _airlock_layer_forbid(${t} "${no_v8}" "${_layer_v8_regex}")
    _airlock_layer_forbid(${t} "${no_virt}" "${_layer_libvirt_regex}")
  endforeach()
  foreach(t IN LISTS AIRLOCK_LAYER_CORE)
    _airlock_layer_forbid(${t} "core has no widgets" "^Qt6?::Widgets$")
    _airlock_layer_forbid(${t} "core depends on nothing above it or beside it" ""
                          ${AIRLOCK_LAYER_UI} ${AIRLOCK_LAYER_SANDBOXES} ${AIRLOCK_LAYER_APP} airlock_webengine)
  endforeach()
  foreach(t IN LISTS AIRLOCK_LAYER_UI)
    _airlock_layer_forbid(${t} "the UI gets sandboxes only through app/'s AgentSetupFactory" ""
                          ${AIRLOCK_LAYER_SANDBOXES} ${AIRLOCK_LAYER_APP})
  endforeach()

  # Who may name V8 or libvirt in its own link line at all.
  _airlock_layer_targets("${PROJECT_SOURCE_DIR}" all)
  foreach(t IN LISTS all)
    get_target_property(type ${t} TYPE)
    if(type STREQUAL "UTILITY")
      continue()
    endif()
    set(own)
    get_target_property(direct ${t} LINK_LIBRARIES)
    if(direct)
      _airlock_layer_items(own ${direct})
    endif()
    foreach(item IN LISTS own)
      if(item MATCHES "${_layer_v8_regex}" AND NOT t MATCHES "^(airlock-jsd|tst_v8_smoke)$")
        message(FATAL_ERROR "airlock layering: ${t} links ${item} (${no_v8} and tst_v8_smoke).")
      endif()
      if(item MATCHES "${_layer_libvirt_regex}" AND NOT t STREQUAL "airlock_microvm")
        message(FATAL_ERROR "airlock layering: ${t} links ${item} (${no_virt}).")
      endif()
    endforeach()
  endforeach()
  if(TARGET airlock_microvm)
    get_target_property(usage airlock_microvm INTERFACE_LINK_LIBRARIES)
    foreach(item IN LISTS usage)
      if(item MATCHES "${_layer_libvirt_regex}")
        message(FATAL_ERROR "airlock layering: airlock_microvm must link libvirt PRIVATE (its users must not "
                            "see libvirt's headers), not as ${item}.")
      endif()
    endforeach()
  endif()
endfunction()
