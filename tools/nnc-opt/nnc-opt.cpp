//===- nnc-opt.cpp - The nnc optimizer driver -----------------------------===//
//
// mlir-opt with the nn dialect: parses, verifies, runs passes on and prints
// IR, for lit tests and for running any pass of the pipeline alone. All
// upstream dialects, their interface extensions and passes are registered
// too, because the lowering half of the pipeline (linalg, bufferization,
// LLVM) needs their external models to be present when its passes run.
//
//===----------------------------------------------------------------------===//

#include "nnc/Dialect/NN/NNDialect.h"
#include "nnc/Conversion/Passes.h"
#include "nnc/Transforms/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  nnc::registerNNCPasses();
  nnc::registerNNCConversionPasses();

  mlir::DialectRegistry registry;
  registry.insert<nnc::nn::NNDialect>();
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);

  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "nnc optimizer driver\n", registry));
}
