# cmake -DINPUT=prelude.js -DOUTPUT=PreludeBundle.cpp -P EmbedPrelude.cmake
# Writes the bundled prelude into a C++ source as a raw string literal, so the
# helper carries it and needs no file (or npm) at run time.
file(READ "${INPUT}" _js)
string(LENGTH "${_js}" _len)
string(FIND "${_js}" ")airlock_prelude\"" _clash)
if(NOT _clash EQUAL -1)
  message(FATAL_ERROR "the prelude bundle contains the raw-string delimiter")
endif()
# GCC and Clang accept long raw strings, but some compilers cap a single literal:
# split into 16 KiB pieces that the compiler concatenates.
set(_out "// Generated from resources/js by sandbox/isolate/EmbedPrelude.cmake. Do not edit.\n")
string(APPEND _out "#include \"sandbox/isolate/jsd/PreludeBundle.h\"\n\nnamespace airlock::jsd {\n\nconst char kPreludeSource[] =\n")
set(_pos 0)
while(_pos LESS _len)
  string(SUBSTRING "${_js}" ${_pos} 16384 _piece)
  string(APPEND _out "R\"airlock_prelude(${_piece})airlock_prelude\"\n")
  math(EXPR _pos "${_pos} + 16384")
endwhile()
string(APPEND _out ";\nconst std::size_t kPreludeSize = sizeof(kPreludeSource) - 1;\n\n} // namespace airlock::jsd\n")
file(WRITE "${OUTPUT}.tmp" "${_out}")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
