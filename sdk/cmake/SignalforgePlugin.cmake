# signalforge_add_plugin(<target> <sources>...)
# Builds a Signalforge plugin: a MODULE library that links only the SDK,
# hides every symbol but the entry point and has no "lib" prefix.
function(signalforge_add_plugin target)
  add_library(${target} MODULE ${ARGN})
  if(TARGET Signalforge::sdk)
    target_link_libraries(${target} PRIVATE Signalforge::sdk)
  else()
    target_link_libraries(${target} PRIVATE signalforge_sdk)
  endif()
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(DEFINED SF_PLUGIN_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${SF_PLUGIN_OUTPUT_DIR})
  endif()
  # Catch unresolved symbols at build time, not at dlopen. Sanitizer builds
  # resolve their runtime from the host executable, so they skip the check.
  if(NOT APPLE AND NOT SF_SANITIZE)
    target_link_options(${target} PRIVATE -Wl,--no-undefined)
  endif()
endfunction()
