//===- Parallelize.cpp - The loops that run on several threads ------------===//
//
// `nn-parallelize`: picks the outermost parallel loops worth a fork and join (see
// Passes.td) and makes them OpenMP parallel regions; every other parallel loop becomes
// sequential.
//
//===----------------------------------------------------------------------===//

#include "nnc/Transforms/Passes.h"

#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/IR/PatternMatch.h"

namespace nnc {
#define GEN_PASS_DEF_PARALLELIZE
#include "nnc/Transforms/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

constexpr int64_t kUnknown = -1;

int64_t saturatingMul(int64_t a, int64_t b) {
  if (a == 0 || b == 0)
    return 0;
  return a > std::numeric_limits<int64_t>::max() / b ? std::numeric_limits<int64_t>::max()
                                                     : a * b;
}

int64_t saturatingAdd(int64_t a, int64_t b) {
  return a > std::numeric_limits<int64_t>::max() - b ? std::numeric_limits<int64_t>::max()
                                                     : a + b;
}

/// The trip count of a loop dimension with constant bounds, else kUnknown.
int64_t tripCount(Value lb, Value ub, Value step) {
  std::optional<int64_t> l = getConstantIntValue(lb), u = getConstantIntValue(ub),
                         s = getConstantIntValue(step);
  if (!l || !u || !s || *s <= 0)
    return kUnknown;
  return *u <= *l ? 0 : (*u - *l + *s - 1) / *s;
}

/// The iterations of a loop (all dimensions), else kUnknown.
int64_t iterations(Operation *op) {
  if (auto f = dyn_cast<scf::ForOp>(op))
    return tripCount(f.getLowerBound(), f.getUpperBound(), f.getStep());
  auto p = cast<scf::ParallelOp>(op);
  int64_t n = 1;
  for (auto [l, u, s] : llvm::zip(p.getLowerBound(), p.getUpperBound(), p.getStep())) {
    int64_t t = tripCount(l, u, s);
    if (t == kUnknown)
      return kUnknown;
    n = saturatingMul(n, t);
  }
  return n;
}

/// Roughly the scalar operations `op` executes: an op on vectors counts its lanes, loops
/// multiply their bodies by their trip counts (an unknown count counts once).
int64_t work(Operation *op) {
  int64_t inner = 0;
  for (Region &r : op->getRegions())
    for (Block &b : r)
      for (Operation &nested : b)
        inner = saturatingAdd(inner, work(&nested));
  if (isa<scf::ForOp, scf::ParallelOp>(op)) {
    int64_t n = iterations(op);
    return saturatingMul(n == kUnknown ? 1 : n, inner);
  }
  int64_t lanes = 1;
  for (Type t : op->getResultTypes())
    if (auto v = dyn_cast<VectorType>(t))
      lanes = std::max(lanes, v.getNumElements());
  return saturatingAdd(lanes, inner);
}

/// A loop whose iterations are independent: a parallel loop without reductions, or a loop
/// the contraction blocking marked as iterating a parallel dimension.
bool isParallelLoop(Operation *op) {
  if (auto p = dyn_cast<scf::ParallelOp>(op))
    return p.getInitVals().empty();
  auto f = dyn_cast<scf::ForOp>(op);
  return f && f->hasAttr("nnc.parallel") && f.getInitArgs().empty();
}

/// Moves a loop's body, without its terminator, before `dst`'s terminator, `ivs` taking the
/// place of its induction variables.
void moveBody(RewriterBase &rewriter, Block *src, Block *dst, ValueRange ivs) {
  rewriter.eraseOp(src->getTerminator());
  rewriter.inlineBlockBefore(src, dst->getTerminator(), ivs);
}

/// `loop`'s dimensions from `first` on become nested sequential loops inside it (all of
/// them: the loop itself is replaced). Returns the replacement's outermost loop.
Operation *sequentialize(RewriterBase &rewriter, scf::ParallelOp loop, unsigned first) {
  Location loc = loop.getLoc();
  rewriter.setInsertionPoint(loop);
  SmallVector<Value> ivs;
  Operation *outer = nullptr;
  Block *body = nullptr;
  if (first > 0) {
    auto kept = scf::ParallelOp::create(rewriter, loc, loop.getLowerBound().take_front(first),
                                        loop.getUpperBound().take_front(first),
                                        loop.getStep().take_front(first));
    outer = kept;
    body = kept.getBody();
    llvm::append_range(ivs, kept.getInductionVars());
    rewriter.setInsertionPoint(body->getTerminator());
  }
  for (unsigned d = first; d < loop.getNumLoops(); ++d) {
    auto f = scf::ForOp::create(rewriter, loc, loop.getLowerBound()[d], loop.getUpperBound()[d],
                                loop.getStep()[d]);
    if (!outer)
      outer = f;
    body = f.getBody();
    ivs.push_back(f.getInductionVar());
    rewriter.setInsertionPoint(body->getTerminator());
  }
  moveBody(rewriter, loop.getBody(), body, ivs);
  rewriter.replaceOp(loop, outer->getResults());
  return outer;
}

/// Replaces the parallel loop `p` (constant bounds) by an OpenMP parallel region in which
/// each thread runs one contiguous chunk of its iterations, linearized:
///   omp.parallel { [lo, hi) = chunk(omp_get_thread_num(), omp_get_num_threads())
///                  scf.for l = lo to hi { ivs = delinearize(l); body } }
/// OpenMP's worksharing loop would do the same, but libomp's __kmpc_for_static_init
/// allocates on every call, and the steady state must not.
void toOpenMP(RewriterBase &rewriter, scf::ParallelOp p, func::FuncOp threadNum,
              func::FuncOp numThreads, func::FuncOp maxThreads) {
  Location loc = p.getLoc();
  rewriter.setInsertionPoint(p);
  // On one thread, the loop runs as it is: libomp's serialized parallel region allocates.
  if (maxThreads) {
    Value max = func::CallOp::create(rewriter, loc, maxThreads, ValueRange()).getResult(0);
    Value one = arith::ConstantIntOp::create(rewriter, loc, 1, 32);
    Value several = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::sgt, max, one);
    auto branch = scf::IfOp::create(rewriter, loc, several, /*withElseRegion=*/true);
    rewriter.setInsertionPointToStart(branch.elseBlock());
    sequentialize(rewriter, cast<scf::ParallelOp>(rewriter.clone(*p)), 0);
    rewriter.moveOpBefore(p, branch.thenBlock()->getTerminator());
    rewriter.setInsertionPoint(p);
  }
  SmallVector<int64_t> trips;
  int64_t total = 1;
  for (auto [l, u, s] : llvm::zip(p.getLowerBound(), p.getUpperBound(), p.getStep())) {
    trips.push_back(tripCount(l, u, s));
    total *= trips.back();
  }
  auto region = omp::ParallelOp::create(rewriter, loc);
  Block *entry = rewriter.createBlock(&region.getRegion());
  rewriter.setInsertionPointToStart(entry);
  auto cst = [&](int64_t v) { return arith::ConstantIndexOp::create(rewriter, loc, v); };
  auto asIndex = [&](func::FuncOp f) {
    Value v = func::CallOp::create(rewriter, loc, f, ValueRange()).getResult(0);
    return arith::IndexCastOp::create(rewriter, loc, rewriter.getIndexType(), v).getResult();
  };
  Value tid = asIndex(threadNum), threads = asIndex(numThreads);
  Value chunk = arith::CeilDivUIOp::create(rewriter, loc, cst(total), threads);
  // One op per statement: the order of function arguments is unspecified.
  Value start = arith::MulIOp::create(rewriter, loc, tid, chunk);
  Value lo = arith::MinUIOp::create(rewriter, loc, start, cst(total));
  Value end = arith::AddIOp::create(rewriter, loc, lo, chunk);
  Value hi = arith::MinUIOp::create(rewriter, loc, end, cst(total));
  auto loop = scf::ForOp::create(rewriter, loc, lo, hi, cst(1));
  omp::TerminatorOp::create(rewriter, loc);
  rewriter.setInsertionPoint(loop.getBody()->getTerminator());
  SmallVector<Value> ivs;
  int64_t stride = total;
  for (auto [d, trip] : llvm::enumerate(trips)) {
    stride /= trip;
    Value idx = arith::DivUIOp::create(rewriter, loc, loop.getInductionVar(), cst(stride));
    if (d > 0)
      idx = arith::RemUIOp::create(rewriter, loc, idx, cst(trip));
    Value iv = arith::AddIOp::create(
        rewriter, loc, p.getLowerBound()[d],
        arith::MulIOp::create(rewriter, loc, idx, p.getStep()[d]));
    ivs.push_back(iv);
  }
  moveBody(rewriter, p.getBody(), loop.getBody(), ivs);
  rewriter.eraseOp(p);
}

/// `private func.func @name() -> i32`, declared once.
func::FuncOp declareRuntimeFunction(ModuleOp module, StringRef name) {
  if (auto f = module.lookupSymbol<func::FuncOp>(name))
    return f;
  auto b = OpBuilder::atBlockBegin(module.getBody());
  auto f = func::FuncOp::create(b, module.getLoc(), name,
                                b.getFunctionType({}, {b.getI32Type()}));
  f.setPrivate();
  return f;
}

struct ParallelizePass : nnc::impl::ParallelizeBase<ParallelizePass> {
  using Base::Base;

  void runOnOperation() override {
    for (auto f : llvm::to_vector(getOperation().getOps<func::FuncOp>()))
      if (!f.isExternal())
        parallelize(f);
  }

  void parallelize(func::FuncOp func) {
    IRRewriter rewriter(&getContext());
    SmallVector<Operation *> chosen;
    std::function<void(Region &)> visit = [&](Region &region) {
      for (Block &block : region)
        for (Operation &op : block) {
          int64_t n = isParallelLoop(&op) ? iterations(&op) : kUnknown;
          if (n >= 2 && work(&op) >= minWork) {
            chosen.push_back(&op);
            continue;
          }
          for (Region &inner : op.getRegions())
            visit(inner);
        }
    };
    visit(func.getBody());

    // Every other parallel loop runs sequentially.
    SmallVector<scf::ParallelOp> others;
    func.walk([&](scf::ParallelOp p) {
      if (!llvm::is_contained(chosen, p.getOperation()))
        others.push_back(p);
    });
    for (scf::ParallelOp p : others)
      sequentialize(rewriter, p, 0);
    if (chosen.empty())
      return;

    func::FuncOp threadNum = declareRuntimeFunction(getOperation(), "omp_get_thread_num");
    func::FuncOp numThreads = declareRuntimeFunction(getOperation(), "omp_get_num_threads");
    func::FuncOp maxThreads =
        oneThreadFallback ? declareRuntimeFunction(getOperation(), "omp_get_max_threads")
                          : func::FuncOp();
    for (Operation *op : chosen) {
      scf::ParallelOp p;
      if (auto f = dyn_cast<scf::ForOp>(op)) {
        rewriter.setInsertionPoint(f);
        p = scf::ParallelOp::create(rewriter, f.getLoc(), ValueRange{f.getLowerBound()},
                                    ValueRange{f.getUpperBound()}, ValueRange{f.getStep()});
        moveBody(rewriter, f.getBody(), p.getBody(), p.getInductionVars());
        rewriter.eraseOp(f);
      } else {
        p = cast<scf::ParallelOp>(op);
        // The threads share the leading dimensions, enough of them for 64 chunks; the
        // rest stays an inner loop that LLVM can vectorize (a collapsed nest it cannot).
        auto trip = [&](unsigned d) {
          return tripCount(p.getLowerBound()[d], p.getUpperBound()[d], p.getStep()[d]);
        };
        unsigned keep = 1;
        for (int64_t shared = trip(0); keep + 1 < p.getNumLoops() && shared < 64; ++keep)
          shared = saturatingMul(shared, trip(keep));
        if (keep < p.getNumLoops())
          p = cast<scf::ParallelOp>(sequentialize(rewriter, p, keep));
      }
      toOpenMP(rewriter, p, threadNum, numThreads, maxThreads);
    }
  }
};

} // namespace
