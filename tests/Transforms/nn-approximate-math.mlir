// RUN: nnc-opt %s --pass-pipeline='builtin.module(func.func(nn-approximate-math))' | FileCheck %s

// f32 tanh, exp and log become inline arithmetic (no call, vectorizable); f64 keeps the
// math ops (libm), sqrt is left alone (an instruction).
// CHECK-LABEL: func.func @f32
// CHECK-NOT:   math.tanh
// CHECK-NOT:   math.exp
// CHECK-NOT:   math.log
// CHECK:       math.sqrt
func.func @f32(%x: f32) -> f32 {
  %0 = math.tanh %x : f32
  %1 = math.exp %0 : f32
  %2 = math.log %1 : f32
  %3 = math.sqrt %2 : f32
  return %3 : f32
}

// CHECK-LABEL: func.func @f64
// CHECK:       math.tanh
// CHECK:       math.exp
func.func @f64(%x: f64) -> f64 {
  %0 = math.tanh %x : f64
  %1 = math.exp %0 : f64
  return %1 : f64
}
