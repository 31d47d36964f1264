# Writes INPUT into OUTPUT as a C++ function returning its text, so the standard library of
# layers ships inside the binaries and needs no install path.
file(READ ${INPUT} content)
file(WRITE ${OUTPUT} "// Generated from ${INPUT}; do not edit.\n#include \"llvm/ADT/StringRef.h\"\nnamespace nnc {\nllvm::StringRef stdlibSource() {\n  static const char text[] = R\"NNCSTDLIB(${content})NNCSTDLIB\";\n  return llvm::StringRef(text, sizeof(text) - 1);\n}\n} // namespace nnc\n")
