//===- SanitizerDefaults.cpp - Options built into sanitizer builds ----------===//
//
// Under -DNNC_SANITIZE=ON (and NNC_FUZZ) every executable links this file, so a tool behaves
// the same whether ctest, lit, a Python test script or a shell starts it, without
// ASAN_OPTIONS/LSAN_OPTIONS in the environment (which lit and the scripts would have to pass on).
// Options set in the environment still override these.
//
//===----------------------------------------------------------------------===//

extern "C" {

// Leaks are errors; the exit code of a report is 1 like any failure, the message says which.
const char *__asan_default_options() {
  return "detect_leaks=1:check_initialization_order=1:strict_string_checks=1:"
         "detect_stack_use_after_return=1";
}

const char *__ubsan_default_options() { return "print_stacktrace=1:halt_on_error=1"; }

// LeakSanitizer suppressions: none needed so far (the whole suite, JIT included, exits without a
// leak report). Only third-party code may ever appear here, never nnc's: a line such as
// "leak:libMLIR.so" for memory that uninstrumented libLLVM.so/libMLIR.so keep for the life of
// the process, with a comment saying which test showed it.
const char *__lsan_default_suppressions() { return ""; }
}
