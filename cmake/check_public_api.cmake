# Compiles every public header on its own and every example with the public
# include directory only (plus the third-party headers they name), so a
# header of src/ leaking into the public API fails a test.
#
#   cmake -DCXX=c++ -DSOURCE_DIR=/repo -DWORK_DIR=/tmp/x "-DSYSTEM_INCLUDES=a|b" \
#         -P check_public_api.cmake
file(GLOB headers ${SOURCE_DIR}/include/steward/*.h)
file(GLOB examples ${SOURCE_DIR}/examples/*.cc)
set(flags -std=c++20 -fsyntax-only -Wall -Wextra -Wpedantic -Werror -I${SOURCE_DIR}/include)
string(REPLACE "|" ";" system_includes "${SYSTEM_INCLUDES}")
foreach(dir IN LISTS system_includes)
  # The compiler's own default must stay last in its search order.
  if(dir AND NOT dir STREQUAL "/usr/include" AND NOT dir STREQUAL "/usr/local/include")
    list(APPEND flags -isystem ${dir})
  endif()
endforeach()

set(failed "")
file(MAKE_DIRECTORY ${WORK_DIR})
foreach(file IN LISTS headers examples)
  set(unit ${file})
  if(file MATCHES "\\.h$")
    # A header on its own: a unit that includes only it.
    get_filename_component(name ${file} NAME_WE)
    set(unit ${WORK_DIR}/${name}_alone.cc)
    file(WRITE ${unit} "#include \"steward/${name}.h\"\n")
  endif()
  execute_process(COMMAND ${CXX} ${flags} ${unit}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(rc EQUAL 0)
    message(STATUS "ok      ${file}")
  else()
    message("${out}")
    message(STATUS "FAILED  ${file}")
    list(APPEND failed ${file})
  endif()
endforeach()
list(LENGTH headers n_headers)
list(LENGTH examples n_examples)
if(failed)
  message(FATAL_ERROR "does not compile with only include/ on the include path: ${failed}")
endif()
message(STATUS "${n_headers} public headers and ${n_examples} examples compile with only include/")
