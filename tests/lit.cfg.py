# lit configuration for nnc: FileCheck tests of the front end, the nn dialect and every pass.
import os
import shutil
import lit.formats
from lit.llvm import llvm_config

config.name = "NNC"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".nn", ".test"]
config.excludes = ["lit.cfg.py", "lit.site.cfg.py", "CMakeLists.txt", "Inputs", "unit"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.nnc_obj_root, "tests")

config.substitutions.append(("%models", os.path.join(config.nnc_src_root, "models")))
config.substitutions.append(("%src", config.nnc_src_root))
config.substitutions.append(("%inputs", os.path.join(config.test_source_root, "Inputs")))

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.nnc_tools_dir, append_path=True)
llvm_config.add_tool_substitutions(["nnc-train", "nnc", "nnc-opt", "nnc-eval"], [config.nnc_tools_dir])
config.substitutions.append(("%nnc_bin", os.path.join(config.nnc_tools_dir, "nnc")))
config.substitutions.append(("%python", "python3"))

# The trainers count heap allocations, except in sanitizer builds (whose runtime owns malloc).
# There, too, trainers link the sanitizers' runtime: they are standalone only elsewhere.
if config.nnc_count_allocations:
    config.available_features.add("heap-counting")
    config.available_features.add("standalone")

# Graphviz renders --emit=dot (.ci/setup installs it); without it, render-dot.test is unsupported.
if shutil.which("dot"):
    config.available_features.add("graphviz")
