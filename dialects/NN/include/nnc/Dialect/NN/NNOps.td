//===- NNOps.td - The ops of the nn dialect ----------------*- tablegen -*-===//
//
// Every op of docs/dialect.md. The declarative assembly formats print
// attributes inline (`axis = 1`, `perm = [1, 0]`) and unit flags as bare
// keywords, so the IR reads like the table in the spec; verifiers that need
// more than the type constraints live in NNOps.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DIALECT_NN_NNOPS_TD
#define NNC_DIALECT_NN_NNOPS_TD

include "nnc/Dialect/NN/NNDialect.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// nn.constant
//===----------------------------------------------------------------------===//

def NN_ConstantOp : NN_Op<"constant",
    [ConstantLike, Pure, AllTypesMatch<["value", "result"]>]> {
  let summary = "a constant tensor";
  let description = [{
    Produces the tensor held by the `value` attribute; its type is the type of
    the attribute. Folds to that attribute.

    Example:

    ```mlir
    %c = nn.constant dense<[1.0, 2.0]> : tensor<2xf32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "attr-dict $value";
  let builders = [
    OpBuilder<(ins "::mlir::ElementsAttr":$value), [{
      build($_builder, $_state, value.getType(), value);
    }]>];
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

class NN_BinaryOp<string mnemonic, string what, list<Trait> traits = []>
    : NN_Op<mnemonic, !listconcat(traits, [Pure, SameOperandsAndResultType])> {
  let summary = "elementwise " # what;
  let description = [{
    Elementwise }] # what # [{ of two float tensors of the same type. Shapes
    must match exactly: the front end makes broadcasting explicit with
    `nn.broadcast`.

    Example:

    ```mlir
    %r = nn.}] # mnemonic # [{ %a, %b : tensor<4x8xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$lhs, NN_FloatTensor:$rhs);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
}

def NN_AddOp : NN_BinaryOp<"add", "addition", [Commutative]>;
def NN_SubOp : NN_BinaryOp<"sub", "subtraction">;
def NN_MulOp : NN_BinaryOp<"mul", "multiplication", [Commutative]>;
def NN_DivOp : NN_BinaryOp<"div", "division">;
def NN_MaxOp : NN_BinaryOp<"max", "maximum", [Commutative]>;
def NN_MinOp : NN_BinaryOp<"min", "minimum", [Commutative]>;
def NN_PowOp : NN_BinaryOp<"pow", "power (`lhs` raised to `rhs`)">;

class NN_UnaryOp<string mnemonic, string what, list<Trait> traits = []>
    : NN_Op<mnemonic, !listconcat(traits, [Pure, SameOperandsAndResultType])> {
  let summary = "elementwise " # what;
  let description = [{
    Elementwise }] # what # [{ of a float tensor; the result has the operand's
    type.

    Example:

    ```mlir
    %r = nn.}] # mnemonic # [{ %x : tensor<4x8xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def NN_NegOp : NN_UnaryOp<"neg", "negation">;
def NN_ExpOp : NN_UnaryOp<"exp", "exponential">;
def NN_LogOp : NN_UnaryOp<"log", "natural logarithm">;
def NN_TanhOp : NN_UnaryOp<"tanh", "hyperbolic tangent">;
def NN_SigmoidOp
    : NN_UnaryOp<"sigmoid", "logistic sigmoid `1 / (1 + exp(-x))`">;
def NN_ReluOp : NN_UnaryOp<"relu", "rectified linear unit `max(x, 0)`">;
def NN_SqrtOp : NN_UnaryOp<"sqrt", "square root">;
def NN_RsqrtOp : NN_UnaryOp<"rsqrt", "reciprocal square root">;
def NN_AbsOp : NN_UnaryOp<"abs", "absolute value">;
def NN_SquareOp : NN_UnaryOp<"square", "square `x * x`">;
def NN_SignOp : NN_UnaryOp<"sign", "sign (-1, 0 or 1; no gradient)",
                           [NN_NoGradient]>;

def NN_CmpOp : NN_Op<"cmp", [Pure, NN_NoGradient,
    AllTypesMatch<["lhs", "rhs"]>,
    TypesMatchWith<"result is an i1 tensor of the operand shape", "lhs",
                   "result", "::nnc::nn::getI1SameShape($_self)">]> {
  let summary = "elementwise comparison";
  let description = [{
    Compares two tensors of the same type elementwise and yields an `i1`
    tensor of their shape. `predicate` is one of `eq`, `ne`, `lt`, `le`,
    `gt`, `ge`; integers compare as signed, floats as ordered (a NaN compares
    unequal to everything). Has no gradient.

    Example:

    ```mlir
    %m = nn.cmp lt, %a, %b : tensor<4x8xf32>
    ```
  }];
  let arguments = (ins StrAttr:$predicate, NN_NumericTensor:$lhs,
                       NN_NumericTensor:$rhs);
  let results = (outs NN_BoolTensor:$result);
  let assemblyFormat = [{
    custom<Predicate>($predicate) `,` $lhs `,` $rhs attr-dict `:` type($lhs)
  }];
  let builders = [
    OpBuilder<(ins "::llvm::StringRef":$predicate, "::mlir::Value":$lhs,
                   "::mlir::Value":$rhs), [{
      build($_builder, $_state, ::nnc::nn::getI1SameShape(lhs.getType()),
            $_builder.getStringAttr(predicate), lhs, rhs);
    }]>];
  let hasVerifier = 1;
}

def NN_SelectOp : NN_Op<"select", [Pure,
    AllTypesMatch<["true_value", "false_value", "result"]>,
    TypesMatchWith<"condition is an i1 tensor of the result shape", "result",
                   "condition", "::nnc::nn::getI1SameShape($_self)">]> {
  let summary = "elementwise choice between two tensors";
  let description = [{
    `result[i] = condition[i] ? true_value[i] : false_value[i]`. The condition
    is an `i1` tensor of the result's shape.

    Example:

    ```mlir
    %r = nn.select %m, %a, %b : tensor<4x8xf32>
    ```
  }];
  let arguments = (ins NN_BoolTensor:$condition, NN_NumericTensor:$true_value,
                       NN_NumericTensor:$false_value);
  let results = (outs NN_NumericTensor:$result);
  let assemblyFormat =
      "$condition `,` $true_value `,` $false_value attr-dict `:` type($result)";
}

def NN_CastOp : NN_Op<"cast", [Pure]> {
  let summary = "elementwise element-type conversion";
  let description = [{
    Converts each element to the result's element type; the shape is kept.
    `i1` converts to 0 or 1, integers are signed (`ui8`, bytes as a data set
    stores them, unsigned), float to integer truncates toward zero, and float
    to float rounds to nearest.

    Example:

    ```mlir
    %f = nn.cast %m : tensor<4xi1> -> tensor<4xf32>
    ```
  }];
  let arguments = (ins NN_NumericOrBytesTensor:$input);
  let results = (outs NN_NumericTensor:$result);
  let assemblyFormat =
      "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def NN_DequantizeOp : NN_Op<"dequantize", [Pure, NN_NoGradient]> {
  let summary = "bytes to floats: float(x) * scale";
  let description = [{
    Converts each unsigned byte to the result's float type and multiplies it
    by `scale` (rounded to that type): two roundings, never reassociated or
    contracted with other arithmetic, so that the result is bit for bit what
    `float(x) * scale` gives in C. Images stored as bytes enter the training
    step this way (`nn-byte-inputs`, scale 1/255). The bytes carry no
    gradient.

    Example:

    ```mlir
    %x = nn.dequantize %bytes scale = 0.0039215686274509803 : tensor<64x784xui8> -> tensor<64x784xf32>
    ```
  }];
  let arguments = (ins StaticShapeTensorOf<[UI8]>:$input, F64Attr:$scale);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat =
      "$input `scale` `=` $scale attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Linear algebra and shape ops
//===----------------------------------------------------------------------===//

def NN_MatmulOp : NN_Op<"matmul", [Pure]> {
  let summary = "2-D matrix product with optional transposes";
  let description = [{
    `result = op(lhs) x op(rhs)` where `op` transposes its operand when
    `transpose_a` (for `lhs`) or `transpose_b` (for `rhs`) is set. After the
    transposes the shapes are `[M, K] x [K, N] -> [M, N]`. All three tensors
    share one float element type.

    Example:

    ```mlir
    %r = nn.matmul %a, %b transpose_b
        : tensor<64x784xf32>, tensor<256x784xf32> -> tensor<64x256xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$lhs, NN_FloatTensor:$rhs,
                       UnitAttr:$transpose_a, UnitAttr:$transpose_b);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs (`transpose_a` $transpose_a^)? (`transpose_b` $transpose_b^)?
    attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasVerifier = 1;
}

def NN_BroadcastOp : NN_Op<"broadcast", [Pure]> {
  let summary = "broadcast a tensor to a larger shape";
  let description = [{
    Operand dimension `i` becomes result dimension `dims[i]`; `dims` is
    strictly increasing and has one entry per operand dimension. Each operand
    dimension has size 1 (it is repeated) or the size of its result dimension.
    Result dimensions not named in `dims` are new.

    Example:

    ```mlir
    // A bias row [8] added to every row of a [4, 8] batch.
    %b = nn.broadcast %bias dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, DenseI64ArrayAttr:$dims);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input `dims` `=` $dims attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

class NN_ReduceOp<string mnemonic, string what>
    : NN_Op<mnemonic, [Pure]> {
  let summary = "reduce a float tensor along axes by " # what;
  let description = [{
    Reduces `input` along `axes` (sorted, unique, in range) by }] # what # [{.
    Without `keep_dims` the reduced dimensions are removed; with it they stay
    with size 1. The element type is kept.

    Example:

    ```mlir
    %s = nn.}] # mnemonic # [{ %x axes = [1] : tensor<4x8xf32> -> tensor<4xf32>
    %k = nn.}] # mnemonic # [{ %x axes = [0, 1] keep_dims
        : tensor<4x8xf32> -> tensor<1x1xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, DenseI64ArrayAttr:$axes,
                       UnitAttr:$keep_dims);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $input `axes` `=` $axes (`keep_dims` $keep_dims^)? attr-dict `:`
    type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

def NN_ReduceSumOp : NN_ReduceOp<"reduce_sum", "summation">;
def NN_ReduceMeanOp : NN_ReduceOp<"reduce_mean", "the arithmetic mean">;
def NN_ReduceMaxOp : NN_ReduceOp<"reduce_max", "the maximum">;

def NN_ArgmaxOp : NN_Op<"argmax", [Pure, NN_NoGradient]> {
  let summary = "index of the largest element along an axis";
  let description = [{
    The `i32` index of the largest element along `axis` (the first one on
    ties); the axis is removed from the shape. Has no gradient.

    Example:

    ```mlir
    %p = nn.argmax %logits axis = 1 : tensor<64x10xf32> -> tensor<64xi32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, I64Attr:$axis);
  let results = (outs NN_I32Tensor:$result);
  let assemblyFormat = [{
    $input `axis` `=` $axis attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

def NN_ReshapeOp : NN_Op<"reshape", [Pure]> {
  let summary = "reinterpret a tensor with another shape";
  let description = [{
    The elements of `input` in row-major order, with the result's shape. The
    element count and the element type are kept.

    Example:

    ```mlir
    %f = nn.reshape %x : tensor<64x1x28x28xf32> -> tensor<64x784xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat =
      "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def NN_TransposeOp : NN_Op<"transpose", [Pure]> {
  let summary = "permute the dimensions of a tensor";
  let description = [{
    Result dimension `i` is operand dimension `perm[i]`; `perm` is a
    permutation of `[0, rank)`.

    Example:

    ```mlir
    %t = nn.transpose %x perm = [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input `perm` `=` $perm attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

def NN_SliceOp : NN_Op<"slice", [Pure]> {
  let summary = "a static strided window of a tensor";
  let description = [{
    `result[i...] = input[offsets + i * strides]` for `i < sizes`. The result
    shape is `sizes`; `offsets` are non-negative, `strides` positive, and
    every selected element is in bounds.

    Example:

    ```mlir
    %s = nn.slice %x offsets = [0, 2] sizes = [4, 3] strides = [1, 2]
        : tensor<4x8xf32> -> tensor<4x3xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, DenseI64ArrayAttr:$offsets,
                       DenseI64ArrayAttr:$sizes, DenseI64ArrayAttr:$strides);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input `offsets` `=` $offsets `sizes` `=` $sizes `strides` `=` $strides
    attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

def NN_TakeOp : NN_Op<"take", [Pure]> {
  let summary = "one slot of a tensor along an axis, at a dynamic index";
  let description = [{
    `result = input[..., index, ...]` with `index` applied to dimension
    `axis`, which is removed from the shape. The index is an SSA `index`
    (typically an `scf.for` induction variable); it must be in
    `[0, input.shape[axis])`, which is not checked at run time.

    Example:

    ```mlir
    // The time step %t of a [batch, time, features] sequence.
    %x_t = nn.take %seq[%t] axis = 1 : tensor<32x20x16xf32> -> tensor<32x16xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, Index:$index, I64Attr:$axis);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input `[` $index `]` `axis` `=` $axis attr-dict `:` type($input) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

def NN_PutOp : NN_Op<"put", [Pure, AllTypesMatch<["dest", "result"]>]> {
  let summary = "a tensor with one slot along an axis replaced or increased";
  let description = [{
    The inverse of `nn.take`: `dest` with slot `index` of dimension `axis`
    replaced by `src` or, with `accumulate`, increased by `src`. `src` has
    the shape of `dest` without `axis` and the same element type.

    Example:

    ```mlir
    %r = nn.put %dest[%t], %d_t axis = 1 accumulate
        : tensor<32x20x16xf32>, tensor<32x16xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$dest, NN_Tensor:$src, Index:$index,
                       I64Attr:$axis, UnitAttr:$accumulate);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $dest `[` $index `]` `,` $src `axis` `=` $axis
    (`accumulate` $accumulate^)? attr-dict `:` type($dest) `,` type($src)
  }];
  let hasVerifier = 1;
}

def NN_GatherOp : NN_Op<"gather", [Pure]> {
  let summary = "rows of a table picked by integer ids (an embedding lookup)";
  let description = [{
    `result[i..., d] = table[ids[i...], d]` for a 2-D float `table` `[V, D]`
    and integer `ids` of any shape; the result is `ids`' shape with `D`
    appended. An id outside `[0, V)` reads row 0 (the data loaders reject
    such ids with the file's name first). The gradient with respect to the
    table is `nn.scatter_add`; the ids have none.

    Example:

    ```mlir
    %e = nn.gather %table[%ids] : tensor<65x64xf32>, tensor<32x64xi32> -> tensor<32x64x64xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$table, NN_IntTensor:$ids);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $table `[` $ids `]` attr-dict `:` type($table) `,` type($ids) `->` type($result)
  }];
  let hasVerifier = 1;
}

def NN_ScatterAddOp : NN_Op<"scatter_add", [Pure, NN_NoGradient]> {
  let summary = "rows added into a zero table at integer ids (the gradient of nn.gather)";
  let description = [{
    `result[v, d] = sum of updates[i..., d] over the positions i... with
    ids[i...] = v`, a `[V, D]` tensor (V from the result type) that starts
    at zero. The sum runs over the positions in row-major order, one after
    the other, so the bits do not depend on the thread count. Ids outside
    `[0, V)` are skipped. Built by the gradient of `nn.gather` only.

    Example:

    ```mlir
    %g = nn.scatter_add %dy[%ids] : tensor<32x64x64xf32>, tensor<32x64xi32> -> tensor<65x64xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$updates, NN_IntTensor:$ids);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $updates `[` $ids `]` attr-dict `:` type($updates) `,` type($ids) `->` type($result)
  }];
  let hasVerifier = 1;
}

def NN_ConcatOp : NN_Op<"concat", [Pure]> {
  let summary = "join tensors along an axis";
  let description = [{
    Concatenates one or more tensors of the same rank and element type along
    `axis`; all other dimensions must agree.

    Example:

    ```mlir
    %c = nn.concat %a, %b axis = 1
        : tensor<4x8xf32>, tensor<4x2xf32> -> tensor<4x10xf32>
    ```
  }];
  let arguments = (ins Variadic<NN_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $inputs `axis` `=` $axis attr-dict `:` type($inputs) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Softmax and losses
//===----------------------------------------------------------------------===//

class NN_SoftmaxBase<string mnemonic, string what>
    : NN_Op<mnemonic, [Pure, SameOperandsAndResultType]> {
  let summary = what # " along an axis";
  let description = [{
    The }] # what # [{ of `input` along `axis`, computed in the numerically
    stable form (the maximum along the axis is subtracted first).

    Example:

    ```mlir
    %p = nn.}] # mnemonic # [{ %logits axis = 1 : tensor<64x10xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, I64Attr:$axis);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input `axis` `=` $axis attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def NN_SoftmaxOp : NN_SoftmaxBase<"softmax", "softmax">;
def NN_LogSoftmaxOp : NN_SoftmaxBase<"log_softmax", "logarithm of the softmax">;

def NN_CrossEntropyOp : NN_Op<"cross_entropy", [Pure]> {
  let summary = "mean softmax cross-entropy of logits against class labels";
  let description = [{
    `mean over b of -log_softmax(logits[b])[labels[b]]` for float `logits` of
    shape `[B, C]` and integer `labels` of shape `[B]`, each in `[0, C)`. The
    result is a rank-0 tensor of the logits' element type. The labels get no
    gradient.

    Example:

    ```mlir
    %l = nn.cross_entropy %logits, %labels
        : tensor<64x10xf32>, tensor<64xi32> -> tensor<f32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$logits, NN_IntTensor:$labels);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $logits `,` $labels attr-dict `:` type($logits) `,` type($labels) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

def NN_MseOp : NN_Op<"mse", [Pure, AllTypesMatch<["pred", "target"]>]> {
  let summary = "mean squared error";
  let description = [{
    The mean over all elements of `(pred - target)^2`, as a rank-0 tensor of
    the operands' element type.

    Example:

    ```mlir
    %l = nn.mse %pred, %target : tensor<64x1xf32> -> tensor<f32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$pred, NN_FloatTensor:$target);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat =
      "$pred `,` $target attr-dict `:` type($pred) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Convolution, pooling, normalization
//===----------------------------------------------------------------------===//

def NN_Conv2dOp : NN_Op<"conv2d", [Pure]> {
  let summary = "2-D convolution, NCHW input and OIHW filter";
  let description = [{
    Cross-correlates `input` `[N, C, H, W]` with `filter`
    `[O, C / groups, KH, KW]` into `[N, O, OH, OW]`, where

    ```
    OH = (H + pad_top + pad_bottom - dil_h * (KH - 1) - 1) / stride_h + 1
    OW = (W + pad_left + pad_right - dil_w * (KW - 1) - 1) / stride_w + 1
    ```

    `strides` and `dilations` are `[h, w]` and positive, `padding` is
    `[top, left, bottom, right]` and non-negative (zero padding). `groups`
    divides both `C` and `O`. There is no bias: the front end adds one with
    `nn.broadcast` and `nn.add`.

    Example:

    ```mlir
    %y = nn.conv2d %x, %w strides = [1, 1] padding = [1, 1, 1, 1]
        dilations = [1, 1] groups = 1
        : tensor<8x3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<8x16x32x32xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, NN_FloatTensor:$filter,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilations, I64Attr:$groups);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $filter `strides` `=` $strides `padding` `=` $padding
    `dilations` `=` $dilations `groups` `=` $groups attr-dict `:`
    type($input) `,` type($filter) `->` type($result)
  }];
  let hasVerifier = 1;
}

class NN_Pool2dOp<string mnemonic, string what> : NN_Op<mnemonic, [Pure]> {
  let summary = "2-D " # what # " pooling, NCHW";
  let description = [{
    The }] # what # [{ of each `kernel` window of `input` `[N, C, H, W]`,
    giving `[N, C, OH, OW]` with `OH = (H + pad_top + pad_bottom - KH) /
    stride_h + 1` (likewise `OW`). `kernel` and `strides` are `[h, w]` and
    positive; `padding` is `[top, left, bottom, right]`, non-negative and at
    most half the kernel (as in PyTorch). Max pooling ignores padding;
    average pooling counts the zero padding in the divisor (PyTorch's
    default, `count_include_pad`).

    Example:

    ```mlir
    %p = nn.}] # mnemonic # [{ %x kernel = [2, 2] strides = [2, 2]
        padding = [0, 0, 0, 0]
        : tensor<8x16x32x32xf32> -> tensor<8x16x16x16xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, DenseI64ArrayAttr:$kernel,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $input `kernel` `=` $kernel `strides` `=` $strides `padding` `=` $padding
    attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

def NN_MaxPool2dOp : NN_Pool2dOp<"max_pool2d", "maximum">;
def NN_AvgPool2dOp : NN_Pool2dOp<"avg_pool2d", "average">;

def NN_BatchNormTrainOp : NN_Op<"batch_norm_train", [Pure,
    AllTypesMatch<["input", "output"]>,
    AllTypesMatch<["gamma", "beta", "mean", "var"]>]> {
  let summary = "batch normalization with batch statistics";
  let description = [{
    Normalizes `input` with the mean and the biased variance computed over
    every dimension but `axis`, then scales by `gamma` and shifts by `beta`:
    `output = (input - mean) / sqrt(var + epsilon) * gamma + beta`. Also
    returns `mean` and `var`, from which the step updates the running
    statistics. `gamma`, `beta`, `mean` and `var` are 1-D of size
    `input.shape[axis]`; `epsilon` is positive.

    Example:

    ```mlir
    %y, %mean, %var = nn.batch_norm_train %x, %gamma, %beta
        epsilon = 1.000000e-05 axis = 1 : tensor<8x16x4x4xf32>, tensor<16xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, NN_FloatTensor:$gamma,
                       NN_FloatTensor:$beta, F64Attr:$epsilon, I64Attr:$axis);
  let results = (outs NN_FloatTensor:$output, NN_FloatTensor:$mean,
                      NN_FloatTensor:$var);
  let assemblyFormat = [{
    $input `,` $gamma `,` $beta `epsilon` `=` $epsilon `axis` `=` $axis
    attr-dict `:` type($input) `,` type($gamma)
  }];
  let hasVerifier = 1;
}

def NN_BatchNormInferOp : NN_Op<"batch_norm_infer", [Pure,
    AllTypesMatch<["input", "output"]>,
    AllTypesMatch<["mean", "var", "gamma", "beta"]>]> {
  let summary = "batch normalization with given statistics";
  let description = [{
    `output = (input - mean) / sqrt(var + epsilon) * gamma + beta`, with
    `mean`, `var`, `gamma` and `beta` 1-D of size `input.shape[axis]` and
    broadcast along the other dimensions; `epsilon` is positive.

    Example:

    ```mlir
    %y = nn.batch_norm_infer %x, %mean, %var, %gamma, %beta
        epsilon = 1.000000e-05 axis = 1 : tensor<8x16x4x4xf32>, tensor<16xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, NN_FloatTensor:$mean,
                       NN_FloatTensor:$var, NN_FloatTensor:$gamma,
                       NN_FloatTensor:$beta, F64Attr:$epsilon, I64Attr:$axis);
  let results = (outs NN_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $mean `,` $var `,` $gamma `,` $beta `epsilon` `=` $epsilon
    `axis` `=` $axis attr-dict `:` type($input) `,` type($mean)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Gradient ops: vector-Jacobian products the autodiff pass builds.
//===----------------------------------------------------------------------===//

def NN_InsertSliceOp : NN_Op<"insert_slice", [Pure,
    AllTypesMatch<["dest", "result"]>]> {
  let summary = "writes a tensor into a strided window of another";
  let description = [{
    `dest` with the window at `offsets` (one per dimension), of `src`'s shape
    and with `strides`, replaced by `src`: the inverse of `nn.slice`, and its
    gradient.

    Example:

    ```mlir
    %r = nn.insert_slice %dest, %src offsets = [0, 4] strides = [1, 1]
        : tensor<8x16xf32>, tensor<8x4xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$dest, NN_Tensor:$src,
                       DenseI64ArrayAttr:$offsets, DenseI64ArrayAttr:$strides);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $dest `,` $src `offsets` `=` $offsets `strides` `=` $strides attr-dict `:`
    type($dest) `,` type($src)
  }];
  let hasVerifier = 1;
}

def NN_CrossEntropyGradOp : NN_Op<"cross_entropy_grad", [Pure,
    AllTypesMatch<["logits", "result"]>]> {
  let summary = "the logits gradient of nn.cross_entropy";
  let description = [{
    `(softmax(logits) - onehot(labels)) * grad / B` for logits `[B, C]`,
    integer labels `[B]` and the scalar adjoint `grad` of the loss: the fused
    rule of softmax with cross-entropy.

    Example:

    ```mlir
    %d = nn.cross_entropy_grad %logits, %labels, %g
        : tensor<64x10xf32>, tensor<64xi32>, tensor<f32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$logits, NN_IntTensor:$labels,
                       NN_FloatTensor:$grad);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $logits `,` $labels `,` $grad attr-dict `:` type($logits) `,`
    type($labels) `,` type($grad)
  }];
  let hasVerifier = 1;
}

def NN_Conv2dGradInputOp : NN_Op<"conv2d_grad_input", [Pure]> {
  let summary = "the input gradient of nn.conv2d";
  let description = [{
    Given the gradient `grad` `[N, O, OH, OW]` of a convolution's result and
    its `filter`, the gradient of its input (the result type, `[N, C, H, W]`):
    a transposed convolution with the forward op's attributes.

    Example:

    ```mlir
    %dx = nn.conv2d_grad_input %g, %w strides = [1, 1] padding = [1, 1, 1, 1]
        dilations = [1, 1] groups = 1
        : tensor<8x16x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<8x3x32x32xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$grad, NN_FloatTensor:$filter,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilations, I64Attr:$groups);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $grad `,` $filter `strides` `=` $strides `padding` `=` $padding
    `dilations` `=` $dilations `groups` `=` $groups attr-dict `:`
    type($grad) `,` type($filter) `->` type($result)
  }];
  let hasVerifier = 1;
}

def NN_Conv2dGradFilterOp : NN_Op<"conv2d_grad_filter", [Pure]> {
  let summary = "the filter gradient of nn.conv2d";
  let description = [{
    Given a convolution's `input` and the gradient `grad` of its result, the
    gradient of its filter (the result type, `[O, C / groups, KH, KW]`).

    Example:

    ```mlir
    %dw = nn.conv2d_grad_filter %x, %g strides = [1, 1] padding = [1, 1, 1, 1]
        dilations = [1, 1] groups = 1
        : tensor<8x3x32x32xf32>, tensor<8x16x32x32xf32> -> tensor<16x3x3x3xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, NN_FloatTensor:$grad,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilations, I64Attr:$groups);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $grad `strides` `=` $strides `padding` `=` $padding
    `dilations` `=` $dilations `groups` `=` $groups attr-dict `:`
    type($input) `,` type($grad) `->` type($result)
  }];
  let hasVerifier = 1;
}

def NN_MaxPool2dGradOp : NN_Op<"max_pool2d_grad", [Pure,
    AllTypesMatch<["input", "result"]>]> {
  let summary = "the input gradient of nn.max_pool2d";
  let description = [{
    Sends each window's `grad` to the position of the window's first maximum
    in `input` (row-major, padding ignored), accumulating where windows
    overlap.

    Example:

    ```mlir
    %dx = nn.max_pool2d_grad %x, %g kernel = [2, 2] strides = [2, 2]
        padding = [0, 0, 0, 0] : tensor<8x16x32x32xf32>, tensor<8x16x16x16xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, NN_FloatTensor:$grad,
                       DenseI64ArrayAttr:$kernel, DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$padding);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $grad `kernel` `=` $kernel `strides` `=` $strides `padding` `=`
    $padding attr-dict `:` type($input) `,` type($grad)
  }];
  let hasVerifier = 1;
}

def NN_AvgPool2dGradOp : NN_Op<"avg_pool2d_grad", [Pure]> {
  let summary = "the input gradient of nn.avg_pool2d";
  let description = [{
    Adds `grad / (KH * KW)` of each window to every input position the window
    covers; the result type is the forward op's input type.

    Example:

    ```mlir
    %dx = nn.avg_pool2d_grad %g kernel = [2, 2] strides = [2, 2]
        padding = [0, 0, 0, 0] : tensor<8x16x16x16xf32> -> tensor<8x16x32x32xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$grad, DenseI64ArrayAttr:$kernel,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $grad `kernel` `=` $kernel `strides` `=` $strides `padding` `=` $padding
    attr-dict `:` type($grad) `->` type($result)
  }];
  let hasVerifier = 1;
}

def NN_BatchNormGradOp : NN_Op<"batch_norm_grad", [Pure,
    AllTypesMatch<["input", "grad", "dinput"]>,
    AllTypesMatch<["gamma", "mean", "var", "dgamma", "dbeta"]>]> {
  let summary = "the gradients of nn.batch_norm_train";
  let description = [{
    Given the forward op's `input`, `gamma`, batch `mean` and biased `var`,
    and the gradient `grad` of its output: with `N` elements per channel,
    `r = 1 / sqrt(var + epsilon)` and `xhat = (input - mean) * r`,
    `dbeta = sum(grad)`, `dgamma = sum(grad * xhat)` and
    `dinput = gamma * r / N * (N * grad - dbeta - xhat * dgamma)`.

    Example:

    ```mlir
    %dx, %dgamma, %dbeta = nn.batch_norm_grad %x, %gamma, %mean, %var, %g
        epsilon = 1.000000e-05 axis = 1 : tensor<64x512xf32>, tensor<512xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, NN_FloatTensor:$gamma,
                       NN_FloatTensor:$mean, NN_FloatTensor:$var,
                       NN_FloatTensor:$grad, F64Attr:$epsilon, I64Attr:$axis);
  let results = (outs NN_FloatTensor:$dinput, NN_FloatTensor:$dgamma,
                      NN_FloatTensor:$dbeta);
  let assemblyFormat = [{
    $input `,` $gamma `,` $mean `,` $var `,` $grad `epsilon` `=` $epsilon
    `axis` `=` $axis attr-dict `:` type($input) `,` type($gamma)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Randomness
//===----------------------------------------------------------------------===//

def NN_RandomUniformOp : NN_Op<"random_uniform", [Pure, NN_NoGradient]> {
  let summary = "counter-based uniform random numbers in [0, 1)";
  let description = [{
    A float tensor whose element `i` (row-major) is a pure function of
    `(key, stream, i)`, uniform in `[0, 1)`. Being pure, the op can be
    recomputed (the backward pass regenerates a dropout mask) or CSE'd;
    distinct random ops of one step use distinct `stream`s (non-negative).

    Example:

    ```mlir
    %u = nn.random_uniform %key stream = 0 : tensor<64x256xf32>
    ```
  }];
  let arguments = (ins I64:$key, I64Attr:$stream);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat =
      "$key `stream` `=` $stream attr-dict `:` type($result)";
  let hasVerifier = 1;
}

#endif // NNC_DIALECT_NN_NNOPS_TD
