//===- Bindings.cpp - The `nnc` Python module -------------------------------===//
//
// pybind11 bindings of python::Model. This file alone is compiled with exceptions (pybind11
// needs them; LLVM's flags turn them off): runtime errors come back as values and become
// nnc.Error here, and a Python exception raised by a callback is caught inside the callback,
// ends the run, and is raised again once the run has returned, so that no exception crosses
// the runtime's frames. Training releases the GIL; callbacks take it back.
//
//===----------------------------------------------------------------------===//

#include "Model.h"

#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

namespace py = pybind11;
using nnc::python::Model;
using nnc::runtime::Error;

namespace {

py::object errorType;

[[noreturn]] void raise(const std::string &message) {
  PyErr_SetString(errorType.ptr(), message.c_str());
  throw py::error_already_set();
}

void check(const Error &e) {
  if (e)
    raise(e.message());
}

using Floats = py::array_t<float, py::array::c_style | py::array::forcecast>;
using Ints = py::array_t<int32_t, py::array::c_style | py::array::forcecast>;

std::vector<int64_t> shapeOf(const py::array &a) {
  return std::vector<int64_t>(a.shape(), a.shape() + a.ndim());
}

/// The samples `x` (uint8 images, or anything as float32) and labels or targets `y`.
nnc::runtime::Dataset dataset(const Model &m, const py::array &x, const py::array &y) {
  nnc::runtime::Dataset ds;
  bool u8 = x.dtype().is(py::dtype::of<uint8_t>());
  py::array xs = u8 ? py::array(x) : py::array(Floats::ensure(x));
  if (!xs)
    raise("the samples are not an array of numbers");
  xs = py::array::ensure(xs, py::array::c_style);
  py::array ys = m.classifier() ? py::array(Ints::ensure(y)) : py::array(Floats::ensure(y));
  if (!ys)
    raise(m.classifier() ? "the labels are not integers" : "the targets are not numbers");
  check(m.dataset(xs.data(), u8, shapeOf(xs), ys.data(), int64_t(ys.size()), ds));
  return ds;
}

py::dict metrics(const nnc::runtime::Metrics &m) {
  py::dict d;
  d["loss"] = m.loss ? py::cast(*m.loss) : py::none();
  d["accuracy"] = m.acc ? py::cast(*m.acc) : py::none();
  return d;
}

py::list fit(Model &m, py::object x, py::object y, int64_t epochs, py::object xTest,
             py::object yTest, py::object callback) {
  if (x.is_none() != y.is_none() || xTest.is_none() != yTest.is_none())
    raise("give the samples with their labels (x with y, x_test with y_test)");
  std::optional<nnc::runtime::Dataset> train, test;
  if (!x.is_none())
    train = dataset(m, x, y);
  if (!xTest.is_none())
    test = dataset(m, xTest, yTest);
  py::list history;
  std::optional<py::error_already_set> raised;
  auto onEpoch = [&](const nnc::runtime::EpochReport &r) {
    py::gil_scoped_acquire gil;
    try {
      py::dict d;
      d["epoch"] = r.epoch;
      d["step"] = r.step;
      d["train_loss"] = r.trainLoss;
      d["val"] = metrics(r.val);
      d["test"] = metrics(r.test);
      history.append(d);
      if (PyErr_CheckSignals() != 0) // Ctrl-C: KeyboardInterrupt after this epoch
        throw py::error_already_set();
      return callback.is_none() || !py::bool_(callback(d).equal(py::bool_(false)));
    } catch (py::error_already_set &e) {
      raised = std::move(e);
      return false;
    }
  };
  Error e;
  {
    py::gil_scoped_release release;
    e = m.fit(epochs, train ? &*train : nullptr, test ? &*test : nullptr, onEpoch);
  }
  if (raised)
    throw *raised;
  check(e);
  return history;
}

py::dict evaluate(Model &m, py::object x, py::object y) {
  if (x.is_none() != y.is_none())
    raise("give the samples with their labels");
  std::optional<nnc::runtime::Dataset> ds;
  if (!x.is_none())
    ds = dataset(m, x, y);
  nnc::runtime::Metrics out;
  Error e;
  {
    py::gil_scoped_release release;
    e = m.evaluate(ds ? &*ds : nullptr, out);
  }
  check(e);
  return metrics(out);
}

py::array predict(Model &m, const py::array &x) {
  nnc::runtime::NpyArray in;
  bool u8 = x.dtype().is(py::dtype::of<uint8_t>());
  py::array xs = u8 ? py::array::ensure(x, py::array::c_style) : py::array(Floats::ensure(x));
  if (!xs)
    raise("the samples are not an array of numbers");
  in.dtype = u8 ? "|u1" : "<f4";
  in.shape = shapeOf(xs);
  const auto *bytes = static_cast<const uint8_t *>(xs.data());
  in.bytes.assign(bytes, bytes + xs.nbytes());
  std::vector<double> out;
  int64_t cols = 0;
  Error e;
  {
    py::gil_scoped_release release;
    e = m.predict(std::move(in), out, cols);
  }
  check(e);
  Floats result({int64_t(out.size()) / cols, cols});
  std::copy(out.begin(), out.end(), result.mutable_data());
  return std::move(result);
}

py::dict parameters(const Model &m) {
  py::dict d;
  for (const nnc::runtime::SlotDesc *s : m.weights()) {
    Floats a(s->shape);
    std::copy_n(m.data(*s), s->numElements(), a.mutable_data());
    d[py::str(nnc::runtime::checkpointName(*s))] = a;
  }
  return d;
}

std::unique_ptr<Model> compile(const std::string &path, int64_t batch, double lr, int threads,
                               int64_t seed) {
  nnc::runtime::TrainerFlags flags;
  flags.modelFile = path;
  flags.batch = batch;
  flags.lr = lr;
  flags.threads = threads;
  flags.seed = seed;
  if (threads < 1)
    raise("threads must be at least 1");
  std::string error;
  std::unique_ptr<Model> m;
  {
    py::gil_scoped_release release;
    m = Model::compile(flags, error);
  }
  if (!m)
    raise(error.empty() ? "cannot compile " + path : error);
  return m;
}

} // namespace

PYBIND11_MODULE(nnc, mod) {
  mod.doc() = "nnc: compile a model written in the nnc language and train it from Python";
  errorType = py::reinterpret_borrow<py::object>(
      PyErr_NewException("nnc.Error", PyExc_RuntimeError, nullptr));
  mod.attr("Error") = errorType;

  py::class_<Model>(mod, "Model", "A model file compiled with its train block (the JIT)")
      .def(py::init(&compile), py::arg("path"), py::arg("batch") = 0, py::arg("lr") = 0.0,
           py::arg("threads") = 1, py::arg("seed") = -1,
           "Compiles the model and train block of `path` (batch and lr as the train block's "
           "unless given); the weights are initialized from the seed")
      .def("fit", &fit, py::arg("x") = py::none(), py::arg("y") = py::none(),
           py::arg("epochs") = 0, py::arg("x_test") = py::none(),
           py::arg("y_test") = py::none(), py::arg("callback") = py::none(),
           "Trains `epochs` more epochs (default: the train block's) on the arrays x, y (uint8 "
           "images or floats; class indices or targets), or on the train block's data. "
           "callback(epoch_dict) is called after each epoch; returning False stops. Returns "
           "the list of epoch dicts")
      .def("evaluate", &evaluate, py::arg("x") = py::none(), py::arg("y") = py::none(),
           "{'loss', 'accuracy'} on x, y, or on the train block's test set")
      .def("predict", &predict, py::arg("x"),
           "The outputs for the samples x: a classifier's probabilities")
      .def("parameters", &parameters, "The parameters and state as numpy arrays (copies)")
      .def(
          "set_parameter",
          [](Model &m, const std::string &name, const py::array &value) {
            Floats a = Floats::ensure(value);
            if (!a)
              raise("the value of '" + name + "' is not an array of numbers");
            check(m.set(name, shapeOf(a), a.data()));
          },
          py::arg("name"), py::arg("value"), "Sets a parameter (or state) from an array")
      .def(
          "save", [](Model &m, const std::string &path) { check(m.save(path)); },
          py::arg("path"), "Saves a checkpoint (safetensors), as nnc-train --save does")
      .def(
          "load", [](Model &m, const std::string &path) { check(m.load(path)); },
          py::arg("path"), "Loads a checkpoint of this model (weights, optimizer state, step)")
      .def_property_readonly("step", [](const Model &m) { return m.position().step; })
      .def_property_readonly("epochs_done",
                             [](const Model &m) { return m.position().epochsDone; })
      .def_property_readonly("name", [](const Model &m) { return m.description().model; });
}
