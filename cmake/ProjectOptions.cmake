# Warnings and sanitizers as interface targets (cpp-best-practices style):
# every project target links lce_warnings, and lce_sanitizers when
# LCE_SANITIZE is set (e.g. -DLCE_SANITIZE=address,undefined).
#
# LCE_FUZZ (clang only) defaults LCE_SANITIZE to address,undefined and adds
# libFuzzer's coverage instrumentation (-fsanitize=fuzzer-no-link) through
# lce_sanitizers, so exactly the project's own code is instrumented; Debian's
# prebuilt libraries (yaml-cpp, simdjson, ...) are linked as they are.

add_library(lce_warnings INTERFACE)
target_compile_options(lce_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual -Wnull-dereference
  -Wno-pedantic)
if(LCE_WARNINGS_AS_ERRORS)
  target_compile_options(lce_warnings INTERFACE -Werror)
endif()

set(LCE_SANITIZE "" CACHE STRING "Comma separated sanitizers, e.g. address,undefined")
if(LCE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "LCE_FUZZ needs clang (libFuzzer): configure with -DCMAKE_CXX_COMPILER=clang++")
  endif()
  if(NOT LCE_SANITIZE)
    set(LCE_SANITIZE "address,undefined" CACHE STRING "Comma separated sanitizers, e.g. address,undefined" FORCE)
  endif()
endif()
add_library(lce_sanitizers INTERFACE)
if(LCE_SANITIZE)
  target_compile_options(lce_sanitizers INTERFACE -fsanitize=${LCE_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(lce_sanitizers INTERFACE -fsanitize=${LCE_SANITIZE})
endif()
if(LCE_FUZZ)
  target_compile_options(lce_sanitizers INTERFACE -fsanitize=fuzzer-no-link)
endif()

# lce_module(NAME SOURCES... DEPS ...): a static library for one module, with
# the project's warning/sanitizer flags. Its public headers are
# include/NAME/llm_cost_exporter/*.h (included as "llm_cost_exporter/x.h"):
# a module sees its own headers and those of the modules it depends on
# (PUBLIC_DEPS, transitively), nothing else, so an include that skips the
# dependency graph does not compile (tests/build checks that). Every module
# depends on util (Status, the one error type).
function(lce_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(lce_${name} STATIC ${ARG_SOURCES})
  if(EXISTS ${PROJECT_SOURCE_DIR}/include/${name})
    target_include_directories(lce_${name} PUBLIC ${PROJECT_SOURCE_DIR}/include/${name})
  endif()
  target_include_directories(lce_${name} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  if(NOT name STREQUAL "util")
    list(APPEND ARG_PUBLIC_DEPS lce_util)
  endif()
  target_link_libraries(lce_${name} PUBLIC ${ARG_PUBLIC_DEPS}
                        PRIVATE ${ARG_PRIVATE_DEPS} lce_warnings lce_sanitizers)
endfunction()

# lce_unit_test(NAME SOURCES... DEPS ...): a Catch2 test binary whose test
# cases are each their own ctest entry.
function(lce_unit_test name)
  # POSTGRES: the tests use the cluster of tests/postgres (fixture "postgres").
  cmake_parse_arguments(ARG "POSTGRES" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} lce_catch_main lce_warnings lce_sanitizers)
  target_compile_definitions(${name} PRIVATE LCE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  set(properties LABELS unit)
  if(ARG_POSTGRES)
    list(APPEND properties FIXTURES_REQUIRED postgres ENVIRONMENT "LCE_TEST_POSTGRES_STATE=${LCE_POSTGRES_STATE}")
  endif()
  catch_discover_tests(${name} TEST_PREFIX "${name}:" PROPERTIES ${properties})
endfunction()
