# Helpers shared by the layer CMakeLists.

# Lock discipline checked by the compiler (src/core/thread_annotations.h):
# clang reads the annotations; GCC ignores them. `make thread-safety` makes
# these warnings errors.
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  add_compile_options(-Wthread-safety)
endif()

# The public API is include/ alone: a layer exports only include/. src/ (the
# layers' internal headers) is reached through steward_internal, which the
# layers, tests, benchmarks and fuzzers link on purpose; a program embedding
# Steward does not, so an internal header leaking into include/ fails its build
# (and the public_api test in examples/).
add_library(steward_internal INTERFACE)
target_include_directories(steward_internal INTERFACE ${PROJECT_SOURCE_DIR}/src)

# steward_layer(NAME DIR DEPS...) builds every *.cc under DIR (except *_test.cc)
# into a static library. Globbing keeps parallel work from colliding in CMake.
function(steward_layer name dir)
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${dir}/*.cc)
  list(FILTER srcs EXCLUDE REGEX "_test\\.cc$")
  if(srcs)
    add_library(${name} STATIC ${srcs})
    target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/include)
    target_link_libraries(${name} PUBLIC ${ARGN} PRIVATE steward_internal)
  else()
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE ${PROJECT_SOURCE_DIR}/include)
    target_link_libraries(${name} INTERFACE ${ARGN})
  endif()
endfunction()

# steward_test(NAME DIR LIBS...) builds every *_test.cc under DIR into one
# GoogleTest binary registered with CTest.
function(steward_test name dir)
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${dir}/*_test.cc)
  if(NOT srcs)
    return()
  endif()
  file(GLOB_RECURSE helpers CONFIGURE_DEPENDS ${dir}/*_testlib.cc)
  add_executable(${name} ${srcs} ${helpers})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${ARGN} steward_internal GTest::gtest GTest::gmock GTest::gtest_main)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES ENVIRONMENT "STEWARD_BINARY=$<TARGET_FILE:steward>;STEWARD_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()

# steward_embed_migrations(OUT_VAR DIR SYMBOL) turns DIR/NNNN_name.sql files into
# a generated .cc defining
#   const std::vector<steward::EmbeddedMigration>& SYMBOL();
# (see src/store/migrations.h), so migrations ship inside the binary.
function(steward_embed_migrations out_var dir symbol)
  file(GLOB sqls CONFIGURE_DEPENDS ${dir}/*.sql)
  list(SORT sqls)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${symbol}.cc)
  # A ';' would split the shell command; pass the list '|'-separated.
  string(REPLACE ";" "|" files_arg "${sqls}")
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DSYMBOL=${symbol} "-DFILES=${files_arg}"
            -P ${PROJECT_SOURCE_DIR}/cmake/embed_migrations.cmake
    DEPENDS ${sqls} ${PROJECT_SOURCE_DIR}/cmake/embed_migrations.cmake
    COMMENT "Embedding migrations ${symbol}"
    VERBATIM)
  set(${out_var} ${out} PARENT_SCOPE)
endfunction()

# steward_embed_web(OUT_VAR) turns the dashboard's files into a generated .cc
# (src/server/web_assets.h): every file under web/src/ is served at
# /ui/<relative path>, and each line "<file under web/> <url path under /ui/>"
# of web/vendor.list adds a file from an npm package (web/node_modules,
# installed from the lockfile by scripts/install-deps.sh).
function(steward_embed_web out_var)
  set(web ${PROJECT_SOURCE_DIR}/web)
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${web}/src/*)
  set(pairs "")
  set(deps "")
  foreach(f ${srcs})
    file(RELATIVE_PATH rel ${web}/src ${f})
    list(APPEND pairs "${f}=/ui/${rel}")
    list(APPEND deps ${f})
  endforeach()
  if(EXISTS ${web}/vendor.list)
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${web}/vendor.list)
    file(STRINGS ${web}/vendor.list lines REGEX "^[^#]")
    foreach(line ${lines})
      string(REGEX MATCH "^([^ ]+) +([^ ]+)$" ok "${line}")
      if(NOT ok)
        message(FATAL_ERROR "web/vendor.list: expected '<file> <url path>', got '${line}'")
      endif()
      set(file ${web}/${CMAKE_MATCH_1})
      if(NOT EXISTS ${file})
        message(FATAL_ERROR "web/vendor.list names ${CMAKE_MATCH_1}, which is missing: "
                            "run `npm ci` in web/ (scripts/install-deps.sh does)")
      endif()
      list(APPEND pairs "${file}=/ui/${CMAKE_MATCH_2}")
      list(APPEND deps ${file})
    endforeach()
  endif()
  set(out ${CMAKE_CURRENT_BINARY_DIR}/web_assets.cc)
  string(REPLACE ";" "|" files_arg "${pairs}")
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} "-DFILES=${files_arg}"
            -P ${PROJECT_SOURCE_DIR}/cmake/embed_web.cmake
    DEPENDS ${deps} ${PROJECT_SOURCE_DIR}/cmake/embed_web.cmake
    COMMENT "Embedding the dashboard (web/)"
    VERBATIM)
  set(${out_var} ${out} PARENT_SCOPE)
endfunction()
