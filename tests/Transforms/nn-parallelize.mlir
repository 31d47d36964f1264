// RUN: nnc-opt %s --split-input-file --pass-pipeline='builtin.module(nn-parallelize{min-work=65536})' | FileCheck %s

// Enough work: the threads share the leading dimension (64 chunks), each its contiguous
// part from omp_get_thread_num / omp_get_num_threads; the inner dimension stays a loop.
// CHECK-LABEL: func.func @large
// CHECK:       %[[MAX:.*]] = call @omp_get_max_threads()
// CHECK:       %[[SEVERAL:.*]] = arith.cmpi sgt, %[[MAX]]
// CHECK:       scf.if %[[SEVERAL]] {
// CHECK:       omp.parallel {
// CHECK:         call @omp_get_thread_num()
// CHECK:         call @omp_get_num_threads()
// CHECK:         scf.for
// CHECK:           scf.for
// CHECK:             arith.addf
// CHECK:         omp.terminator
// CHECK:       } else {
// CHECK:         scf.for
// CHECK:           scf.for
// CHECK-NOT:   scf.parallel
func.func @large(%a: memref<64x1024xf32>, %b: memref<64x1024xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %c1024 = arith.constant 1024 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c64, %c1024) step (%c1, %c1) {
    %x = memref.load %a[%i, %j] : memref<64x1024xf32>
    %y = arith.addf %x, %x : f32
    memref.store %y, %b[%i, %j] : memref<64x1024xf32>
  }
  return
}

// -----

// Too little work for a fork and join: a sequential loop nest, no OpenMP.
// CHECK-LABEL: func.func @small
// CHECK-NOT:   omp.parallel
// CHECK:       scf.for
// CHECK:         scf.for
// CHECK-NOT:   scf.parallel
func.func @small(%a: memref<8x16xf32>, %b: memref<8x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c16) step (%c1, %c1) {
    %x = memref.load %a[%i, %j] : memref<8x16xf32>
    memref.store %x, %b[%i, %j] : memref<8x16xf32>
  }
  return
}

// -----

// A loop the contraction blocking marked parallel, inside a sequential loop (a recurrence):
// the region forks once per iteration of the outer loop, around the marked loop.
// CHECK-LABEL: func.func @marked
// CHECK:       scf.for
// CHECK:         omp.parallel
// CHECK:           scf.for
func.func @marked(%a: memref<128x1024xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c128 = arith.constant 128 : index
  %c1024 = arith.constant 1024 : index
  %f = arith.constant 1.0 : f32
  scf.for %t = %c0 to %c4 step %c1 {
    scf.for %i = %c0 to %c128 step %c1 {
      scf.for %j = %c0 to %c1024 step %c1 {
        memref.store %f, %a[%i, %j] : memref<128x1024xf32>
      }
    } {nnc.parallel}
  }
  return
}
