//===- PlanMemory.cpp - No heap allocation in the steady state ------------===//
//
// `nn-plan-memory` (buffers): the temporaries of a function live in one static arena,
// bytes shared between buffers whose lifetimes do not overlap. See Passes.td.
//
//===----------------------------------------------------------------------===//

#include "nnc/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/Support/FormatVariadic.h"

namespace nnc {
#define GEN_PASS_DEF_PLANMEMORY
#include "nnc/Transforms/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

struct Buffer {
  memref::AllocOp alloc;
  memref::DeallocOp dealloc;
  int64_t begin, end; // Pre-order numbers of the alloc and of its last use.
  int64_t bytes;
  unsigned slot = 0;
};

/// Pre-order numbers of the ops of a function, and the last number inside each op.
struct Numbering {
  DenseMap<Operation *, int64_t> first, last;
  explicit Numbering(func::FuncOp f) {
    int64_t n = 0;
    f.walk<WalkOrder::PreOrder>([&](Operation *op) { first[op] = n++; });
    f.walk<WalkOrder::PostOrder>([&](Operation *op) {
      int64_t end = first[op];
      for (Region &r : op->getRegions())
        for (Block &b : r)
          if (!b.empty())
            end = std::max(end, last[&b.back()]);
      last[op] = end;
    });
  }
};

/// The last number at which `alloc` or a view of it is used, or the dealloc's when an
/// alias leaves through a terminator (a loop's or a branch's result).
int64_t lastUse(memref::AllocOp alloc, memref::DeallocOp dealloc, const Numbering &numbers) {
  Block *block = alloc->getBlock();
  int64_t end = numbers.first.lookup(alloc);
  SmallVector<Value> worklist = {alloc.getResult()};
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    for (Operation *user : v.getUsers()) {
      if (user == dealloc.getOperation())
        continue;
      if (user->hasTrait<OpTrait::IsTerminator>())
        return numbers.first.lookup(dealloc);
      for (Value r : user->getResults())
        if (isa<BaseMemRefType>(r.getType()))
          worklist.push_back(r);
      end = std::max(end, numbers.last.lookup(block->findAncestorOpInBlock(*user)));
    }
  }
  return end;
}

/// The buffers of `f` the arena can hold, each live from its alloc to its last use.
SmallVector<Buffer> plannableBuffers(func::FuncOp f) {
  Numbering numbers(f);
  SmallVector<Buffer> buffers;
  f.walk([&](memref::AllocOp alloc) {
    MemRefType type = alloc.getType();
    if (!type.hasStaticShape() || !type.getLayout().isIdentity() || type.getMemorySpace() ||
        !type.getElementType().isIntOrFloat())
      return;
    // One buffer per thread is not one buffer.
    if (alloc->getParentOfType<scf::ParallelOp>() || alloc->getParentOfType<scf::ForallOp>())
      return;
    memref::DeallocOp dealloc;
    for (Operation *user : alloc->getUsers()) {
      auto d = dyn_cast<memref::DeallocOp>(user);
      if (!d)
        continue;
      if (dealloc || d->getBlock() != alloc->getBlock())
        return;
      dealloc = d;
    }
    int64_t bytes = type.getNumElements() * ((type.getElementTypeBitWidth() + 7) / 8);
    if (!dealloc || bytes == 0)
      return;
    buffers.push_back(
        {alloc, dealloc, numbers.first.lookup(alloc), lastUse(alloc, dealloc, numbers), bytes});
  });
  return buffers;
}

/// Largest first, each buffer into the first slot whose buffers are all dead while it lives,
/// else into a new slot. Buffers live at the same time get distinct slots, i.e. distinct
/// globals, which LLVM knows do not alias (views of one arena at different offsets it could
/// not tell apart, and it stopped keeping accumulators in registers). Returns each slot's size.
SmallVector<int64_t> assignSlots(MutableArrayRef<Buffer> buffers) {
  SmallVector<Buffer *> order;
  for (Buffer &b : buffers)
    order.push_back(&b);
  // Largest first; equal sizes in program order (each alloc has its own number).
  llvm::sort(order, [](Buffer *a, Buffer *b) {
    return std::make_pair(-a->bytes, a->begin) < std::make_pair(-b->bytes, b->begin);
  });
  SmallVector<SmallVector<Buffer *>> slots;
  SmallVector<int64_t> sizes;
  for (Buffer *b : order) {
    auto disjoint = [&](ArrayRef<Buffer *> slot) {
      return llvm::none_of(slot,
                           [&](Buffer *p) { return p->begin <= b->end && b->begin <= p->end; });
    };
    auto *it = llvm::find_if(slots, disjoint);
    b->slot = it - slots.begin();
    if (it == slots.end()) {
      slots.emplace_back();
      sizes.push_back(b->bytes);
    }
    slots[b->slot].push_back(b);
  }
  return sizes;
}

struct PlanMemoryPass : nnc::impl::PlanMemoryBase<PlanMemoryPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    for (auto f : llvm::to_vector(module.getOps<func::FuncOp>())) {
      if (f.isExternal())
        continue;
      SmallVector<Buffer> buffers = plannableBuffers(f);
      SmallVector<int64_t> sizes = assignSlots(buffers);
      OpBuilder b(module.getBodyRegion());
      auto globals = OpBuilder::atBlockBegin(module.getBody());
      SmallVector<Value> slots;
      for (auto [i, size] : llvm::enumerate(sizes)) {
        auto type = MemRefType::get({size}, b.getI8Type());
        auto global = memref::GlobalOp::create(
            globals, f.getLoc(), llvm::formatv("__nnc_{0}_buffer{1}", f.getName(), i).str(),
            b.getStringAttr("private"), type, /*initial_value=*/b.getUnitAttr(),
            /*constant=*/false, b.getI64IntegerAttr(64));
        symbols.insert(global);
        globals.setInsertionPointAfter(global);
        b.setInsertionPointToStart(&f.getBody().front());
        slots.push_back(memref::GetGlobalOp::create(b, f.getLoc(), type, global.getSymName()));
      }
      for (Buffer &buf : buffers) {
        b.setInsertionPoint(buf.alloc);
        Value zero = arith::ConstantIndexOp::create(b, buf.alloc.getLoc(), 0);
        Value view = memref::ViewOp::create(b, buf.alloc.getLoc(), buf.alloc.getType(),
                                            slots[buf.slot], zero, ValueRange());
        buf.dealloc.erase();
        buf.alloc.replaceAllUsesWith(view);
        buf.alloc.erase();
      }
    }
    sortGlobals(module);
  }

  /// Puts the module's memref.globals first, in the order of their names. One-shot
  /// bufferization creates the globals of constants in an order that differs from run to run
  /// (it orders the functions by pointers); sorted, the module is the same every time.
  static void sortGlobals(ModuleOp module) {
    SmallVector<memref::GlobalOp> globals(module.getOps<memref::GlobalOp>());
    llvm::sort(globals, [](memref::GlobalOp a, memref::GlobalOp b) {
      return a.getSymName() < b.getSymName();
    });
    Block *body = module.getBody();
    for (memref::GlobalOp g : llvm::reverse(globals))
      g->moveBefore(body, body->begin());
  }
};

} // namespace
