//===- VectorizeContractions.cpp - Register blocks for the contractions ---===//
//
// `nn-vectorize-contractions` turns each contraction on buffers into a register-blocked
// kernel (the schedule of ../shared/codegen-experiment, in C++ and scoped to the
// contractions so that the rest of the step is untouched):
//
//   for the block's dims (TM × TN):            scf.for over every other dimension
//     acc = C[m : m+TM, n : n+TN]              hoisted out of the reduction loops
//     for k:                                   the innermost loop
//       acc += A[m : m+TM, k] ⊗ B[k, n : n+TN] TM broadcasts, TM · TN / lanes FMAs
//     C[...] = acc
//
// `n` is the output's innermost dimension and must be innermost in one operand too (B,
// read as whole vectors); `m` is a dimension of the other operand (A, read as scalars).
// When the vector width does not divide `n`, the op is split along `n` and the remainder
// gets a narrower block. A product of rows (the output contiguous in neither operand, the
// reduction innermost in both: a filter gradient) gets a block of vector accumulators along
// the reduction instead (buildDotBlock). Other contractions are left to the loop lowering.
//
//===----------------------------------------------------------------------===//

#include "nnc/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace nnc {
#define GEN_PASS_DEF_VECTORIZECONTRACTIONS
#include "nnc/Transforms/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

/// Marks a loop over a parallel dimension, whose iterations are independent.
void markParallel(Operation *loop) {
  loop->setAttr("nnc.parallel", UnitAttr::get(loop->getContext()));
}

/// How a contraction maps onto the register block.
struct Structure {
  unsigned vecDim;   // n: innermost in the output and in the vector operand
  unsigned bcastDim; // m: from the other operand, broadcast element by element
  unsigned kDim;     // the reduction dimension of the innermost loop
};

std::optional<unsigned> innermostDim(AffineMap map) {
  if (map.getNumResults() == 0)
    return std::nullopt;
  if (auto d = dyn_cast<AffineDimExpr>(map.getResults().back()))
    return d.getPosition();
  return std::nullopt;
}

/// The position of `dim` among `map`'s results, or -1.
int64_t positionIn(AffineMap map, unsigned dim) {
  for (auto [i, e] : llvm::enumerate(map.getResults()))
    if (auto d = dyn_cast<AffineDimExpr>(e); d && d.getPosition() == dim)
      return int64_t(i);
  return -1;
}

/// Of `candidates`, the one that comes last among `map`'s results (nearest the innermost).
std::optional<unsigned> lastIn(AffineMap map, ArrayRef<unsigned> candidates) {
  std::optional<unsigned> last;
  int64_t best = -1;
  for (unsigned c : candidates)
    if (int64_t p = positionIn(map, c); p > best) {
      best = p;
      last = c;
    }
  return last;
}

/// The dimensions of a float contraction on buffers with static shapes (two inputs, one
/// output), the only kind the blocks handle.
std::optional<linalg::ContractionDimensions> contractionDims(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1)
    return std::nullopt;
  auto outType = dyn_cast<MemRefType>(op.getDpsInitOperand(0)->get().getType());
  if (!outType || !isa<Float32Type, Float64Type>(outType.getElementType()) ||
      !outType.hasStaticShape() || !linalg::isaContractionOpInterface(op))
    return std::nullopt;
  FailureOr<linalg::ContractionDimensions> dims = linalg::inferContractionDims(op);
  if (failed(dims))
    return std::nullopt;
  return *dims;
}

std::optional<Structure> analyze(linalg::GenericOp op) {
  std::optional<linalg::ContractionDimensions> dims = contractionDims(op);
  if (!dims)
    return std::nullopt;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  AffineMap lhs = maps[0], rhs = maps[1], out = maps[2];
  std::optional<unsigned> d = innermostDim(out);
  if (!d)
    return std::nullopt;
  // The vector operand reads whole vectors along d; the other one supplies the scalars.
  AffineMap vecMap;
  ArrayRef<unsigned> bcastCandidates;
  if (llvm::is_contained(dims->n, *d) && innermostDim(rhs) == d) {
    vecMap = rhs;
    bcastCandidates = dims->m;
  } else if (llvm::is_contained(dims->m, *d) && innermostDim(lhs) == d) {
    vecMap = lhs;
    bcastCandidates = dims->n;
  } else {
    return std::nullopt;
  }
  // m: the broadcast dimension nearest the output's innermost one; k: the reduction
  // dimension nearest the vector operand's innermost one (the shortest stride).
  std::optional<unsigned> m = lastIn(out, bcastCandidates), k = lastIn(vecMap, dims->k);
  if (!m || !k)
    return std::nullopt;
  return Structure{*d, *m, *k};
}

/// The elements of `op`'s output type in a vector register.
int64_t lanesFor(linalg::GenericOp op, int64_t vectorBits) {
  Type elem = cast<MemRefType>(op.getDpsInitOperand(0)->get().getType()).getElementType();
  return std::max<int64_t>(1, vectorBits / elem.getIntOrFloatBitWidth());
}

/// The largest divisor of `n` that is at most `cap`.
int64_t largestDivisor(int64_t n, int64_t cap) {
  for (int64_t t = std::min(n, cap); t > 1; --t)
    if (n % t == 0)
      return t;
  return 1;
}

/// Rebuilds `op` over only the loops `kept`, in that order (the others must have extent 1):
/// rank-reducing subviews of its operands and maps without the dropped dimensions.
FailureOr<linalg::GenericOp> keepOnly(RewriterBase &rewriter, linalg::GenericOp op,
                                      ArrayRef<unsigned> kept) {
  MLIRContext *ctx = op.getContext();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<AffineExpr> replacement;
  SmallVector<utils::IteratorType> iterators;
  for (unsigned d : kept)
    iterators.push_back(op.getIteratorTypesArray()[d]);
  for (unsigned i = 0; i < ranges.size(); ++i) {
    const unsigned *pos = llvm::find(kept, i);
    if (pos != kept.end())
      replacement.push_back(getAffineDimExpr(pos - kept.begin(), ctx));
    else if (ranges[i] == 1)
      replacement.push_back(getAffineConstantExpr(0, ctx));
    else
      return failure();
  }
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  SmallVector<Value> operands;
  SmallVector<AffineMap> maps;
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = cast<MemRefType>(operand.get().getType());
    AffineMap map = op.getMatchingIndexingMap(&operand).replaceDimsAndSymbols(replacement, {},
                                                                              iterators.size(), 0);
    SmallVector<AffineExpr> results;
    SmallVector<int64_t> shape;
    for (auto [j, e] : llvm::enumerate(map.getResults())) {
      auto c = dyn_cast<AffineConstantExpr>(e);
      if (c && c.getValue() == 0 && type.getDimSize(j) == 1)
        continue;
      if (isa<AffineConstantExpr>(e))
        return failure();
      results.push_back(e);
      shape.push_back(type.getDimSize(j));
    }
    maps.push_back(AffineMap::get(iterators.size(), 0, results, ctx));
    SmallVector<OpFoldResult> offsets(type.getRank(), rewriter.getIndexAttr(0));
    SmallVector<OpFoldResult> sizes, strides(type.getRank(), rewriter.getIndexAttr(1));
    for (int64_t d : type.getShape())
      sizes.push_back(rewriter.getIndexAttr(d));
    auto reducedType =
        memref::SubViewOp::inferRankReducedResultType(shape, type, offsets, sizes, strides);
    operands.push_back(memref::SubViewOp::create(rewriter, loc, cast<MemRefType>(reducedType),
                                                 operand.get(), offsets, sizes, strides));
  }
  unsigned numInputs = op.getNumDpsInputs();
  auto generic = linalg::GenericOp::create(
      rewriter, loc, TypeRange{}, ValueRange(operands).take_front(numInputs),
      ValueRange(operands).drop_front(numInputs), maps, iterators);
  rewriter.cloneRegionBefore(op.getRegion(), generic.getRegion(), generic.getRegion().end());
  return generic;
}

/// Moves the accumulator's read and write out of every loop whose induction variable they
/// do not use (the reduction loops), so that it lives in registers. Upstream's
/// hoistRedundantVectorTransfers gives up on any buffer that has a view anywhere (a reshape
/// of the output after the product, say); inside a register block's nest, though, only the
/// block's own read and write touch the output buffer, so the pair can move.
void hoistAccumulator(RewriterBase &rewriter, Operation *&nest) {
  for (bool changed = true; changed;) {
    changed = false;
    nest->walk([](LoopLikeOpInterface loop) { moveLoopInvariantCode(loop); });
    nest->walk([&](vector::TransferWriteOp write) {
      auto loop = dyn_cast<scf::ForOp>(write->getParentOp());
      if (!loop)
        return WalkResult::advance();
      vector::TransferReadOp read;
      for (Operation &op : loop.getBody()->without_terminator())
        if (auto r = dyn_cast<vector::TransferReadOp>(&op);
            r && r.getBase() == write.getBase() && r.getIndices() == write.getIndices() &&
            r.getVectorType() == write.getVectorType() &&
            r.getPermutationMap() == write.getPermutationMap())
          read = r;
      if (!read || !read->isBeforeInBlock(write) || llvm::any_of(read->getOperands(), [&](Value v) {
            return !loop.isDefinedOutsideOfLoop(v);
          }))
        return WalkResult::advance();
      loop.moveOutOfLoop(read);
      rewriter.moveOpAfter(write, loop);
      FailureOr<LoopLikeOpInterface> replaced = loop.replaceWithAdditionalYields(
          rewriter, read.getVector(), /*replaceInitOperandUsesInLoop=*/true,
          [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
            return SmallVector<Value>{write.getVector()};
          });
      if (failed(replaced))
        return WalkResult::interrupt();
      write.getValueToStoreMutable().assign(replaced->getOperation()->getResults().back());
      if (nest == loop.getOperation())
        nest = replaced->getOperation();
      changed = true;
      return WalkResult::interrupt();
    });
  }
}

/// A contraction whose output is contiguous in neither operand, but whose reduction `k` is
/// innermost in both (a product of rows: C[m, n] = Σ_k A[m, k] · B[n, k]).
struct DotStructure {
  unsigned mDim, nDim, kDim;
};

std::optional<DotStructure> analyzeDot(linalg::GenericOp op) {
  std::optional<linalg::ContractionDimensions> dims = contractionDims(op);
  if (!dims)
    return std::nullopt;
  for (OpOperand *in : op.getDpsInputOperands())
    if (!cast<MemRefType>(in->get().getType()).getLayout().isIdentity())
      return std::nullopt;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  std::optional<unsigned> k = innermostDim(maps[0]);
  if (!k || innermostDim(maps[1]) != k || !llvm::is_contained(dims->k, *k))
    return std::nullopt;
  std::optional<unsigned> m = lastIn(maps[2], dims->m), n = lastIn(maps[2], dims->n);
  if (!m || !n)
    return std::nullopt;
  return DotStructure{*m, *n, *k};
}

/// The loops around a dot block, outermost first, and the reduction of which a chunk runs
/// inside the block (with the chunk's length, 1 without one).
struct DotLoops {
  SmallVector<unsigned> order;
  std::optional<unsigned> chunked;
  int64_t chunk;
};

DotLoops dotLoopOrder(linalg::GenericOp op, const DotStructure &s, int64_t lanes) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  // Loop order: other reductions, other parallel dimensions, the m and n blocks; k inside.
  SmallVector<unsigned> order;
  for (utils::IteratorType kind : {utils::IteratorType::reduction, utils::IteratorType::parallel})
    for (unsigned d = 0; d < ranges.size(); ++d)
      if (d != s.kDim && d != s.mDim && d != s.nDim && iterators[d] == kind)
        order.push_back(d);
  order.push_back(s.mDim);
  order.push_back(s.nDim);
  // With one other reduction (a filter gradient's batch), a chunk of it runs inside the
  // block too, so that each accumulator sums at least ~64 vector steps before its lanes are
  // added up; the chunk's slices of both operands stay in cache across the blocks.
  int64_t kSteps = (ranges[s.kDim] + lanes - 1) / lanes;
  auto isReduction = [&](unsigned d) { return iterators[d] == utils::IteratorType::reduction; };
  if (llvm::count_if(order, isReduction) == 1 && isReduction(order.front())) {
    unsigned chunked = order.front();
    return {order, chunked,
            largestDivisor(ranges[chunked], std::max<int64_t>(1, (64 + kSteps - 1) / kSteps))};
  }
  return {order, std::nullopt, 1};
}

/// Replaces a dot-form contraction by loops around a TM × TN block of vector accumulators
/// along k: per step, TM + TN vector loads and TM · TN FMAs; each accumulator is summed
/// across its lanes once, after the k loop. A k that the vector does not divide ends with
/// a masked (zero-padded) step. Returns the outermost loop.
Operation *buildDotBlock(RewriterBase &rewriter, linalg::GenericOp op, const DotStructure &s,
                         int64_t lanes, int64_t registers) {
  Location loc = op.getLoc();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  Value a = op.getDpsInputOperand(0)->get(), b = op.getDpsInputOperand(1)->get();
  Value c = op.getDpsInitOperand(0)->get();
  Type elem = cast<MemRefType>(c.getType()).getElementType();
  // TM · TN accumulators and TM + TN operand vectors must fit in the registers.
  int64_t t = 1;
  while ((t + 1) * (t + 1) + 2 * (t + 1) <= registers - 1)
    ++t;
  int64_t tm = largestDivisor(ranges[s.mDim], t), tn = largestDivisor(ranges[s.nDim], t);

  rewriter.setInsertionPoint(op);
  auto cst = [&](int64_t v) { return arith::ConstantIndexOp::create(rewriter, loc, v); };
  auto [order, chunked, chunk] = dotLoopOrder(op, s, lanes);
  SmallVector<Value> ivs(ranges.size());
  Operation *outermost = nullptr;
  for (unsigned d : order) {
    int64_t step = d == s.mDim ? tm : d == s.nDim ? tn : d == chunked ? chunk : 1;
    Value lb = cst(0), ub = cst(ranges[d]), stepV = cst(step);
    auto loop = scf::ForOp::create(rewriter, loc, lb, ub, stepV);
    if (op.getIteratorTypesArray()[d] == utils::IteratorType::parallel)
      markParallel(loop);
    if (!outermost)
      outermost = loop;
    ivs[d] = loop.getInductionVar();
    rewriter.setInsertionPoint(loop.getBody()->getTerminator());
  }
  // The indices of an operand for the block's element (i, j), at k = kv.
  auto indices = [&](AffineMap map, int64_t i, int64_t j, Value kv) {
    SmallVector<Value> idx;
    for (AffineExpr e : map.getResults()) {
      unsigned d = cast<AffineDimExpr>(e).getPosition();
      Value v = d == s.kDim ? kv : ivs[d];
      int64_t off = d == s.mDim ? i : d == s.nDim ? j : 0;
      idx.push_back(off ? arith::AddIOp::create(rewriter, loc, v, cst(off)).getResult() : v);
    }
    return idx;
  };
  auto vecType = VectorType::get({lanes}, elem);
  Value zero = arith::ConstantOp::create(rewriter, loc, rewriter.getZeroAttr(vecType));
  Value pad = arith::ConstantOp::create(rewriter, loc, rewriter.getFloatAttr(elem, 0.0));
  int64_t kRange = ranges[s.kDim];
  bool inBounds = kRange % lanes == 0;
  SmallVector<Value> inits(tm * tn, zero);
  // The chunk's loop (one iteration without a chunked reduction) around the k loop.
  Value chunkStart = chunked ? ivs[*chunked] : Value();
  Value chunkLb = cst(0), chunkUb = cst(chunk), chunkStep = cst(1);
  auto chunkLoop = scf::ForOp::create(rewriter, loc, chunkLb, chunkUb, chunkStep, inits);
  rewriter.setInsertionPointToStart(chunkLoop.getBody());
  if (chunked)
    ivs[*chunked] = arith::AddIOp::create(rewriter, loc, chunkStart, chunkLoop.getInductionVar());
  Value kLb = cst(0), kUb = cst(kRange), kStep = cst(lanes);
  auto kLoop = scf::ForOp::create(
      rewriter, loc, kLb, kUb, kStep, chunkLoop.getRegionIterArgs(),
      [&](OpBuilder &nb, Location nl, Value kv, ValueRange acc) {
        OpBuilder::InsertionGuard guard(rewriter);
        rewriter.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        auto read = [&](Value buf, SmallVector<Value> idx) {
          auto r = vector::TransferReadOp::create(rewriter, nl, vecType, buf, idx, pad);
          r.setInBoundsAttr(rewriter.getBoolArrayAttr({inBounds}));
          return r.getResult();
        };
        SmallVector<Value> as, bs, next;
        for (int64_t i = 0; i < tm; ++i)
          as.push_back(read(a, indices(maps[0], i, 0, kv)));
        for (int64_t j = 0; j < tn; ++j)
          bs.push_back(read(b, indices(maps[1], 0, j, kv)));
        for (int64_t i = 0; i < tm; ++i)
          for (int64_t j = 0; j < tn; ++j)
            next.push_back(vector::FMAOp::create(rewriter, nl, as[i], bs[j], acc[i * tn + j]));
        scf::YieldOp::create(rewriter, nl, next);
      });
  scf::YieldOp::create(rewriter, loc, kLoop.getResults());
  rewriter.setInsertionPointAfter(chunkLoop);
  if (chunked)
    ivs[*chunked] = chunkStart; // The output does not depend on it (a reduction).
  for (int64_t i = 0; i < tm; ++i) {
    for (int64_t j = 0; j < tn; ++j) {
      Value sum = vector::ReductionOp::create(rewriter, loc, vector::CombiningKind::ADD,
                                              chunkLoop.getResult(i * tn + j));
      SmallVector<Value> idx = indices(maps[2], i, j, Value());
      Value old = memref::LoadOp::create(rewriter, loc, c, idx);
      memref::StoreOp::create(rewriter, loc, arith::AddFOp::create(rewriter, loc, old, sum), c,
                              idx);
    }
  }
  rewriter.eraseOp(op);
  return outermost;
}

/// The register block of a contraction: `tm` × `tn` along the broadcast and vector
/// dimensions.
struct BlockShape {
  int64_t tm, tn;
};

/// Splits `op` along the vector dimension where the vector width does not divide it: the
/// divisible part and the rest, each blocked (they go to `worklist`). Whether it split.
bool splitRemainder(RewriterBase &rewriter, linalg::GenericOp op, const Structure &s, int64_t lanes,
                    SmallVectorImpl<linalg::GenericOp> &worklist) {
  int64_t n = op.getStaticLoopRanges()[s.vecDim];
  if (n <= lanes || n % lanes == 0)
    return false;
  rewriter.setInsertionPoint(op);
  auto [head, tail] = linalg::splitOp(rewriter, cast<TilingInterface>(op.getOperation()), s.vecDim,
                                      rewriter.getIndexAttr(n - n % lanes));
  for (TilingInterface part : {head, tail})
    if (auto g = dyn_cast_or_null<linalg::GenericOp>(part.getOperation()))
      worklist.push_back(g);
  return true;
}

/// The block of `op`: `tn` one or two vectors (or the whole of a narrower `n`), `tm` as many
/// rows as the accumulators, the vector operand's registers and a broadcast leave room for.
BlockShape blockShape(linalg::GenericOp op, const Structure &s, int64_t lanes, int64_t registers) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t n = ranges[s.vecDim], m = ranges[s.bcastDim];
  int64_t tn = n % (2 * lanes) == 0 ? 2 * lanes : n % lanes == 0 ? lanes : n;
  int64_t vregs = (tn + lanes - 1) / lanes;
  // Accumulators, the vector operand's registers and a broadcast must fit; wider blocks
  // than 8 × 2 vectors spilled in the experiment.
  int64_t cap = std::max<int64_t>(1, (registers - vregs - 1) / vregs);
  cap = std::min<int64_t>(cap, vregs > 1 ? 8 : 16);
  return {largestDivisor(m, cap), tn};
}

/// Tiles `op` into blocks of `shape`, the block's own reduction innermost and other
/// reductions outermost, and marks the loops over parallel dimensions. The tiled op and
/// the loops, or failure (`op` then stays as it is).
FailureOr<scf::SCFTilingResult> tileIntoBlocks(RewriterBase &rewriter, linalg::GenericOp op,
                                               const Structure &s, const BlockShape &shape) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<OpFoldResult> sizes;
  SmallVector<int64_t> interchange;
  SmallVector<unsigned> reductions;
  for (unsigned i = 0; i < iterators.size(); ++i) {
    int64_t size = i == s.vecDim ? shape.tn : i == s.bcastDim ? shape.tm : 1;
    sizes.push_back(rewriter.getIndexAttr(size));
    if (iterators[i] == utils::IteratorType::reduction) {
      if (i != s.kDim)
        reductions.push_back(i);
    } else {
      interchange.push_back(i);
    }
  }
  // The block's own reduction runs innermost: the accumulator is loop-invariant there and
  // stays in registers. Other reductions (the batch of a filter gradient) run outermost,
  // so that the operands' slices the blocks share stay in cache between blocks; the
  // accumulator is then read and written once per outer iteration.
  interchange.insert(interchange.begin(), reductions.begin(), reductions.end());
  interchange.push_back(s.kDim);

  scf::SCFTilingOptions options;
  options.setTileSizes(sizes);
  options.setInterchange(interchange);
  options.setLoopType(scf::SCFTilingOptions::LoopType::ForOp);
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> tiled =
      scf::tileUsingSCF(rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(tiled) || tiled->tiledOps.size() != 1)
    return failure();
  // One loop per dimension tiled, in the interchanged order; those of parallel
  // dimensions may run on several threads (nn-parallelize).
  SmallVector<int64_t> tiledDims;
  for (int64_t d : interchange)
    if (getConstantIntValue(sizes[d]) != 0)
      tiledDims.push_back(d);
  if (tiledDims.size() == tiled->loops.size())
    for (auto [d, loop] : llvm::zip(tiledDims, tiled->loops))
      if (iterators[d] == utils::IteratorType::parallel)
        markParallel(loop);
  return tiled;
}

/// Register-blocks the contraction `op`: tiles it, keeps exactly the block's three
/// dimensions as the loops (m, k, n), the form whose vectorization the contraction patterns
/// recognize, and vectorizes the block. Should a step fail, the tiled op stays a (correct)
/// linalg op for the loop lowering: slower, never wrong. The loop nest goes to `nests`.
void blockContraction(RewriterBase &rewriter, linalg::GenericOp op, const Structure &s,
                      const BlockShape &shape, SmallVectorImpl<Operation *> &nests) {
  FailureOr<scf::SCFTilingResult> tiled = tileIntoBlocks(rewriter, op, s, shape);
  if (failed(tiled))
    return;
  rewriter.eraseOp(op);
  auto block = cast<linalg::GenericOp>(tiled->tiledOps.front());
  SmallVector<unsigned> kept = {s.bcastDim, s.kDim, s.vecDim};
  FailureOr<linalg::GenericOp> reduced = keepOnly(rewriter, block, kept);
  if (failed(reduced))
    return;
  rewriter.eraseOp(block);
  block = *reduced;
  rewriter.setInsertionPoint(block);
  FailureOr<linalg::VectorizationResult> vec =
      linalg::vectorize(rewriter, block, {}, {}, false, false, false,
                        /*createNamedContraction=*/true);
  if (failed(vec))
    return;
  rewriter.eraseOp(block);
  if (!tiled->loops.empty())
    nests.push_back(tiled->loops.front());
}

/// Applies the patterns of `populate` to each nest, with the transfers' canonicalizations.
void applyToNests(ArrayRef<Operation *> nests, MLIRContext *ctx,
                  function_ref<void(RewritePatternSet &)> populate) {
  for (Operation *nest : nests) {
    RewritePatternSet patterns(ctx);
    populate(patterns);
    vector::TransferReadOp::getCanonicalizationPatterns(patterns, ctx);
    vector::TransferWriteOp::getCanonicalizationPatterns(patterns, ctx);
    (void)applyPatternsGreedily(nest, std::move(patterns));
  }
}

/// Lowers the vectorized blocks of `nests` to outer products, with the accumulators
/// hoisted into registers, and then to plain vector loads and stores.
void lowerBlocks(func::FuncOp func, RewriterBase &rewriter, MutableArrayRef<Operation *> nests) {
  MLIRContext *ctx = func.getContext();
  // The vectorizer's broadcasting reads, multiply and multi_reduction become a
  // vector.contract (the transfers are known in bounds first, by folding).
  applyToNests(nests, ctx, [](RewritePatternSet &patterns) {
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    vector::populateVectorReductionToContractPatterns(patterns);
    vector::populateSinkVectorOpsPatterns(patterns);
  });
  // Subviews fold into the transfers' indices, so that the accumulator's reads and writes
  // address the whole buffer and are invariant in the reduction loops: they are hoisted.
  applyToNests(nests, ctx, [](RewritePatternSet &patterns) {
    memref::populateFoldMemRefAliasOpPatterns(patterns);
  });
  // The accumulator's read and write must see the same index values.
  DominanceInfo dominance(func);
  for (Operation *nest : nests)
    eliminateCommonSubExpressions(rewriter, dominance, nest);
  for (Operation *&nest : nests)
    hoistAccumulator(rewriter, nest);
  // The contraction becomes outer products (a broadcast and FMAs per element of A), then
  // the transfers become plain vector loads and stores.
  applyToNests(nests, ctx, [](RewritePatternSet &patterns) {
    vector::populateVectorContractLoweringPatterns(patterns,
                                                   vector::VectorContractLowering::OuterProduct);
    vector::populateVectorOuterProductLoweringPatterns(patterns);
  });
  applyToNests(nests, ctx, [](RewritePatternSet &patterns) {
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    vector::populateVectorTransferLoweringPatterns(patterns, /*maxTransferRank=*/1);
    vector::populateVectorBroadcastLoweringPatterns(patterns);
    vector::populateVectorShapeCastLoweringPatterns(patterns);
  });
}

struct VectorizeContractionsPass : nnc::impl::VectorizeContractionsBase<VectorizeContractionsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (vectorBits <= 0)
      return;
    func::FuncOp func = getOperation();
    IRRewriter rewriter(&getContext());

    SmallVector<linalg::GenericOp> worklist;
    SmallVector<std::pair<linalg::GenericOp, DotStructure>> dots;
    func.walk([&](linalg::GenericOp op) {
      if (analyze(op))
        worklist.push_back(op);
      else if (std::optional<DotStructure> s = analyzeDot(op))
        dots.emplace_back(op, *s);
    });

    SmallVector<Operation *> nests;
    for (auto [op, s] : dots)
      nests.push_back(buildDotBlock(rewriter, op, s, lanesFor(op, vectorBits), registers));
    while (!worklist.empty()) {
      linalg::GenericOp op = worklist.pop_back_val();
      std::optional<Structure> s = analyze(op);
      if (!s)
        continue;
      int64_t lanes = lanesFor(op, vectorBits);
      if (!splitRemainder(rewriter, op, *s, lanes, worklist))
        blockContraction(rewriter, op, *s, blockShape(op, *s, lanes, registers), nests);
    }
    if (!nests.empty())
      lowerBlocks(func, rewriter, nests);
  }
};

} // namespace
