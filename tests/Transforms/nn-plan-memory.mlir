// RUN: nnc-opt %s --split-input-file --pass-pipeline='builtin.module(nn-plan-memory)' | FileCheck %s

// %a and %b are live together: two globals. %c comes after %a's last use: it shares
// %a's global. No alloc and no dealloc is left.
// CHECK-DAG: memref.global "private" @__nnc_chain_buffer0 : memref<64xi8> = uninitialized {alignment = 64 : i64}
// CHECK-DAG: memref.global "private" @__nnc_chain_buffer1 : memref<64xi8> = uninitialized {alignment = 64 : i64}
// CHECK-LABEL: func.func @chain
// CHECK-DAG:   %[[G0:.*]] = memref.get_global @__nnc_chain_buffer0
// CHECK-DAG:   %[[G1:.*]] = memref.get_global @__nnc_chain_buffer1
// CHECK:       %[[A:.*]] = memref.view %[[G0]]
// CHECK:       linalg.fill {{.*}} outs(%[[A]]
// CHECK:       %[[B:.*]] = memref.view %[[G1]]
// CHECK:       %[[C:.*]] = memref.view %[[G0]]
// CHECK:       linalg.add ins(%[[B]], %[[B]] {{.*}} outs(%[[C]]
// CHECK-NOT:   memref.alloc
// CHECK-NOT:   memref.dealloc
func.func @chain(%out: memref<16xf32>) {
  %one = arith.constant 1.0 : f32
  %a = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
  linalg.fill ins(%one : f32) outs(%a : memref<16xf32>)
  %b = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
  linalg.add ins(%a, %a : memref<16xf32>, memref<16xf32>) outs(%b : memref<16xf32>)
  %c = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
  linalg.add ins(%b, %b : memref<16xf32>, memref<16xf32>) outs(%c : memref<16xf32>)
  memref.copy %c, %out : memref<16xf32> to memref<16xf32>
  memref.dealloc %a : memref<16xf32>
  memref.dealloc %b : memref<16xf32>
  memref.dealloc %c : memref<16xf32>
  return
}

// -----

// A buffer used inside a loop lives through the whole loop: the one allocated in the
// body gets a global of its own. A view keeps its buffer alive as long as it is used.
// CHECK-DAG: memref.global "private" @__nnc_loop_buffer0 : memref<128xi8>
// CHECK-DAG: memref.global "private" @__nnc_loop_buffer1 : memref<64xi8>
// CHECK-LABEL: func.func @loop
// CHECK-NOT:   memref.alloc
// CHECK:       %[[OUTER:.*]] = memref.view %{{.*}}[%{{.*}}][] : memref<128xi8> to memref<32xf32>
// CHECK:       scf.for
// CHECK:         %[[INNER:.*]] = memref.view %{{.*}}[%{{.*}}][] : memref<64xi8> to memref<16xf32>
// CHECK-NOT:   memref.dealloc
func.func @loop(%out: memref<16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %one = arith.constant 1.0 : f32
  %outer = memref.alloc() : memref<32xf32>
  linalg.fill ins(%one : f32) outs(%outer : memref<32xf32>)
  %half = memref.subview %outer[0] [16] [1] : memref<32xf32> to memref<16xf32, strided<[1]>>
  scf.for %i = %c0 to %c4 step %c1 {
    %inner = memref.alloc() : memref<16xf32>
    linalg.add ins(%half, %out : memref<16xf32, strided<[1]>>, memref<16xf32>) outs(%inner : memref<16xf32>)
    memref.copy %inner, %out : memref<16xf32> to memref<16xf32>
    memref.dealloc %inner : memref<16xf32>
  }
  memref.dealloc %outer : memref<32xf32>
  return
}

// -----

// Left on the heap: a dynamic size, and a buffer freed in another block.
// CHECK-LABEL: func.func @heap
// CHECK:       memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK:       memref.alloc() : memref<8xf32>
// CHECK-NOT:   memref.get_global
func.func @heap(%n: index, %c: i1) {
  %d = memref.alloc(%n) : memref<?xf32>
  memref.dealloc %d : memref<?xf32>
  %e = memref.alloc() : memref<8xf32>
  scf.if %c {
    memref.dealloc %e : memref<8xf32>
  }
  return
}
