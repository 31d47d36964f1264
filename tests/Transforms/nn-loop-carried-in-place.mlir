// RUN: nnc-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(nn-loop-carried-in-place))' | FileCheck %s
// RUN: nnc-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(nn-loop-carried-in-place), one-shot-bufferize{bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map})' | FileCheck %s --check-prefix=BUF

#id = affine_map<(i) -> (i)>

// The new state is computed by an elementwise op that only writes its init: it writes
// into the iter_arg instead. Bufferized, the loop allocates nothing and needs no
// 'allow-return-allocs-from-loops'.
// CHECK-LABEL: func.func @recurrence
// CHECK:       scf.for {{.*}} iter_args(%[[H:.*]] = %{{.*}})
// CHECK:         %[[NEW:.*]] = linalg.generic {{.*}} ins(%[[H]], %{{.*}} : {{.*}}) outs(%[[H]] : tensor<16xf32>)
// CHECK:         scf.yield %[[NEW]]
// BUF-LABEL:   func.func @recurrence
// BUF:         scf.for
// BUF-NOT:       memref.alloc
// BUF:         }
func.func @recurrence(%h0: tensor<16xf32>, %x: tensor<16xf32>) -> tensor<16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %r = scf.for %i = %c0 to %c8 step %c1 iter_args(%h = %h0) -> tensor<16xf32> {
    %e = tensor.empty() : tensor<16xf32>
    %n = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
        ins(%h, %x : tensor<16xf32>, tensor<16xf32>) outs(%e : tensor<16xf32>) {
    ^bb0(%a: f32, %b: f32, %o: f32):
      %m = arith.mulf %a, %b : f32
      %t = math.tanh %m : f32
      linalg.yield %t : f32
    } -> tensor<16xf32>
    scf.yield %n : tensor<16xf32>
  }
  return %r : tensor<16xf32>
}

// -----

#id = affine_map<(i) -> (i)>

// The state %h is still read after its new value is computed: the new value is copied
// into the iter_arg at the end of the iteration. The sum reads %s last: it writes into it.
// CHECK-LABEL: func.func @read_after
// CHECK:       scf.for {{.*}} iter_args(%[[H:.*]] = %{{.*}}, %[[S:.*]] = %{{.*}})
// CHECK:         %[[NEW:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<16xf32>)
// CHECK:         %[[SUM:.*]] = linalg.add ins(%[[S]], %[[H]] : {{.*}}) outs(%[[S]] : tensor<16xf32>)
// CHECK:         %[[COPY:.*]] = bufferization.materialize_in_destination %[[NEW]] in %[[H]]
// CHECK:         scf.yield %[[COPY]], %[[SUM]]
func.func @read_after(%h0: tensor<16xf32>, %s0: tensor<16xf32>) -> (tensor<16xf32>, tensor<16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %r:2 = scf.for %i = %c0 to %c8 step %c1 iter_args(%h = %h0, %s = %s0) -> (tensor<16xf32>, tensor<16xf32>) {
    %e = tensor.empty() : tensor<16xf32>
    %n = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
        ins(%h : tensor<16xf32>) outs(%e : tensor<16xf32>) {
    ^bb0(%a: f32, %o: f32):
      %t = math.tanh %a : f32
      linalg.yield %t : f32
    } -> tensor<16xf32>
    %e2 = tensor.empty() : tensor<16xf32>
    %sum = linalg.add ins(%s, %h : tensor<16xf32>, tensor<16xf32>) outs(%e2 : tensor<16xf32>) -> tensor<16xf32>
    scf.yield %n, %sum : tensor<16xf32>, tensor<16xf32>
  }
  return %r#0, %r#1 : tensor<16xf32>, tensor<16xf32>
}
