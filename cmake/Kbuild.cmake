# add_kbuild_module(TARGET <target> MODULE <name> SOURCES <files>...)
#
# Builds an out-of-tree kernel module with Kbuild against RDMAPIN_KDIR.
# Kbuild writes its objects beside the sources, so the sources are copied
# into the build tree first and the source tree stays clean.
function(add_kbuild_module)
  cmake_parse_arguments(KM "" "TARGET;MODULE" "SOURCES" ${ARGN})
  set(_dir "${CMAKE_CURRENT_BINARY_DIR}")
  set(_ko "${_dir}/${KM_MODULE}.ko")
  set(_copies)
  foreach(_src ${KM_SOURCES})
    get_filename_component(_name "${_src}" NAME)
    add_custom_command(
      OUTPUT "${_dir}/${_name}"
      COMMAND ${CMAKE_COMMAND} -E copy_if_different
              "${CMAKE_CURRENT_SOURCE_DIR}/${_src}" "${_dir}/${_name}"
      DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/${_src}")
    list(APPEND _copies "${_dir}/${_name}")
  endforeach()
  add_custom_command(
    OUTPUT "${_ko}"
    COMMAND $(MAKE) -C ${RDMAPIN_KDIR} M=${_dir} modules
    DEPENDS ${_copies}
    WORKING_DIRECTORY "${_dir}"
    COMMENT "Kbuild ${KM_MODULE}.ko for ${RDMAPIN_KVER}"
    VERBATIM)
  add_custom_target(${KM_TARGET} ALL DEPENDS "${_ko}")
endfunction()
