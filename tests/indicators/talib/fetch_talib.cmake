# Fetches TA-Lib 0.6's C sources for the indicator tests and benchmark: they
# ship inside the npm package talib@1.1.6 (under package/src/lib). Nothing of
# TA-Lib is ever committed; the tarball is cached in CACHE_DIR and unpacked
# into DEST inside the build tree.
#   cmake -DDEST=<dir> -DCACHE_DIR=<dir> -P fetch_talib.cmake
set(tarball ${CACHE_DIR}/talib-1.1.6.tgz)
set(expected_sha256 7587779fcf8d798b85e065a80e0625ce099fd38e71e00cb3c886f60c6d75586d)
if(EXISTS ${tarball})
  file(SHA256 ${tarball} have)
  if(NOT have STREQUAL expected_sha256)
    message(STATUS "talib: cached ${tarball} has the wrong checksum, fetching again")
    file(REMOVE ${tarball})
  endif()
endif()
if(NOT EXISTS ${tarball})
  file(MAKE_DIRECTORY ${CACHE_DIR})
  find_program(NPM npm REQUIRED)
  execute_process(COMMAND ${NPM} pack talib@1.1.6 --silent
                  WORKING_DIRECTORY ${CACHE_DIR}
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR NOT EXISTS ${tarball})
    message(FATAL_ERROR "talib: 'npm pack talib@1.1.6' failed (${rc}); TA-Lib comparison tests need it")
  endif()
  file(SHA256 ${tarball} have)
  if(NOT have STREQUAL expected_sha256)
    message(FATAL_ERROR "talib: downloaded tarball checksum ${have} != ${expected_sha256}")
  endif()
endif()
file(REMOVE_RECURSE ${DEST}/package)
file(ARCHIVE_EXTRACT INPUT ${tarball} DESTINATION ${DEST})
if(NOT EXISTS ${DEST}/package/src/lib/include/ta_libc.h)
  message(FATAL_ERROR "talib: ${tarball} has no package/src/lib/include/ta_libc.h")
endif()
