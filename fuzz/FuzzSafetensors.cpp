//===- FuzzSafetensors.cpp - Fuzzing the checkpoint reader ------------------===//
//
// The input is a safetensors file. loadSafetensors must refuse it with a reason or accept it;
// an accepted file must save (saveSafetensors) and load back to the same tensors and metadata,
// so the reader and the writer agree on everything the reader lets through.
//
//===----------------------------------------------------------------------===//

#include "FuzzUtil.h"

#include "nnc/Runtime/Safetensors.h"

using namespace nnc::runtime;
using namespace nnc::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string path = scratchPath("in.safetensors");
  writeFile(path, data, size);
  std::vector<LoadedTensor> tensors;
  std::map<std::string, std::string> metadata;
  if (!loadSafetensors(path, tensors, metadata).empty())
    return 0;

  std::vector<TensorView> views;
  for (const LoadedTensor &t : tensors) {
    if (t.numel() < 0 || t.bytes.size() != size_t(t.numel()) * dtypeSize(t.dtype))
      bug("loadSafetensors accepted a tensor whose bytes do not match its shape");
    views.push_back({t.name, t.dtype, t.shape, t.bytes.data()});
  }
  std::string out = scratchPath("out.safetensors");
  std::string err = saveSafetensors(out, views, metadata);
  if (!err.empty())
    bug("saveSafetensors refused what loadSafetensors accepted: " + err);
  std::vector<LoadedTensor> again;
  std::map<std::string, std::string> metadataAgain;
  err = loadSafetensors(out, again, metadataAgain);
  if (!err.empty())
    bug("loadSafetensors refused what saveSafetensors wrote: " + err);
  if (metadataAgain != metadata || again.size() != tensors.size())
    bug("save + load changed the metadata or the tensor count");
  for (size_t i = 0; i < again.size(); ++i)
    if (again[i].name != tensors[i].name || again[i].dtype != tensors[i].dtype ||
        again[i].shape != tensors[i].shape || again[i].bytes != tensors[i].bytes)
      bug("save + load changed tensor '" + tensors[i].name + "'");
  return 0;
}
