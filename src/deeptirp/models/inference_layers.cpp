#include "deeptirp/models/inference_layers.h"

#include <map>
#include <mutex>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <ATen/autocast_mode.h>
#include <torch/autograd.h>

#include "deeptirp/error.h"
#include "deeptirp/models/layers.h"

#ifdef DEEPTIRP_WITH_ONEDNN
#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace deeptirp {
namespace {

// x [..., in] as rows [R, in], without copying when its last dimension is dense.
at::Tensor as_rows(const at::Tensor& x) { return x.reshape({-1, x.size(-1)}); }

// x [..., in] as dense rows [R, in], copied when they are not. On packed weights oneDNN's fast
// kernels read no other layout: rows spaced apart (ViT's class tokens) fell to its reference
// kernel, far slower than this copy and the product together.
at::Tensor dense_rows(const at::Tensor& x) { return as_rows(x).contiguous(); }

// t [..., M, K] with every matrix dense, row- or column-major as t's is (k^T stays a transposed
// view of a dense k), copied only when it is not. oneDNN's bf16 batched products read strided
// q, k and v slower than a copy followed by the product.
at::Tensor dense_matrices(const at::Tensor& t) {
  if (t.stride(-1) != 1 && t.stride(-2) == 1) {
    return t.transpose(-2, -1).contiguous().transpose(-2, -1);
  }
  return t.contiguous();
}

#ifdef DEEPTIRP_WITH_ONEDNN
using dnnl::memory;

// oneDNN primitives made on first use per key (the row count, mostly) and kept: batches of one
// size reuse theirs. A primitive is immutable once made, and each call brings its own stream and
// scratchpad, so concurrent calls share only the lookup, under the mutex.
template <class Key, class Desc>
class PrimitiveCache {
 public:
  struct Made {
    Desc desc;
    dnnl::primitive primitive;
  };

  const dnnl::engine& engine() const { return engine_; }

  // `make` returns the primitive's descriptor. `what` names the layer in the error when oneDNN
  // cannot make it (a CPU without AVX-512: prepare_for_inference does not choose bf16 there).
  template <class Make>
  const Made& get(const Key& key, const char* what, Make make) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = primitives_.find(key);
    if (it != primitives_.end()) return it->second;
    try {
      Desc desc = make();
      return primitives_.emplace(key, Made{desc, dnnl::primitive(desc)}).first->second;
    } catch (const dnnl::error& e) {
      throw Error(std::string("oneDNN cannot run the ") + what + " on this CPU: " + e.what());
    }
  }

  // Runs `made` on the tensors given per argument (DNNL_ARG_SRC, ...), each read as the memory
  // its descriptor expects there, plus a scratchpad of the size it asks for.
  void execute(const Made& made, const std::vector<std::pair<int, at::Tensor>>& tensors) const {
    std::unordered_map<int, memory> args;
    for (const auto& [arg, tensor] : tensors) {
      args.emplace(arg, memory(made.desc.query_md(dnnl::query::exec_arg_md, arg), engine_,
                               tensor.data_ptr()));
    }
    auto scratchpad = at::empty({static_cast<int64_t>(made.desc.scratchpad_desc().get_size())},
                                at::TensorOptions().dtype(at::kByte));
    args.emplace(DNNL_ARG_SCRATCHPAD,
                 memory(made.desc.scratchpad_desc(), engine_, scratchpad.data_ptr()));
    dnnl::stream stream(engine_);
    made.primitive.execute(stream, args);
    stream.wait();
  }

 private:
  dnnl::engine engine_{dnnl::engine::kind::cpu, 0};
  std::mutex mutex_;
  std::map<Key, Made> primitives_;
};

dnnl::primitive_attr user_scratchpad(const dnnl::post_ops& ops = {}) {
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

// A tensor as oneDNN sees it: its sizes and strides, no copy.
memory::desc tensor_desc(const at::Tensor& t) {
  return memory::desc(
      memory::dims(t.sizes().begin(), t.sizes().end()),
      t.scalar_type() == at::kBFloat16 ? memory::data_type::bf16 : memory::data_type::f32,
      memory::dims(t.strides().begin(), t.strides().end()));
}

#endif

}  // namespace

#ifdef DEEPTIRP_WITH_ONEDNN
struct InferenceLinear::OneDnn {
  PrimitiveCache<std::tuple<int64_t, at::ScalarType, bool>, dnnl::matmul::primitive_desc> cache;
  at::Tensor bias;  // fp32: added before the output is rounded to bf16
  // The weight [out, in] as the [in, out] matrix it multiplies by. bf16: in the blocked layout
  // oneDNN's AMX kernels read (the same for every row count), made once: read in place, each call
  // first copied it into that layout. The copy costs a bf16 copy of the weights, which with the
  // model's own is the size of its fp32 weights. fp32: read in place, its own weights, since
  // packing gained little there and would grow peak memory by the model's whole size.
  memory::desc weights_desc;
  at::Tensor weights;

  explicit OneDnn(const at::Tensor& weight) {
    const auto plain = tensor_desc(weight.t());
    if (weight.scalar_type() != at::kBFloat16) {
      weights_desc = plain;
      weights = weight;
      return;
    }
    const memory::dim in = weight.size(1), out = weight.size(0);
    const auto dtype = plain.data_type();
    const auto& engine = cache.engine();
    dnnl::matmul::primitive_desc any(
        dnnl::matmul::desc(memory::desc({1, in}, dtype, memory::format_tag::ab),
                           memory::desc({in, out}, dtype, memory::format_tag::any),
                           memory::desc({1, out}, dtype, memory::format_tag::ab)),
        engine);
    weights_desc = any.weights_desc();
    weights = at::empty({static_cast<int64_t>(weights_desc.get_size())},
                        at::TensorOptions().dtype(at::kByte));
    memory from(plain, engine, weight.data_ptr()), to(weights_desc, engine, weights.data_ptr());
    dnnl::stream stream(engine);
    dnnl::reorder(from, to).execute(stream, from, to);
    stream.wait();
  }

  // out [R, out] = (or +=, accumulate) rows [R, in] x weight^T + bias, then `then`.
  void run(const at::Tensor& rows, const at::Tensor& out, Then then, bool accumulate) {
    const auto& made =
        cache.get({rows.size(0), out.scalar_type(), accumulate}, "linear layer", [&] {
          dnnl::post_ops ops;
          if (then == Then::kGelu) {
            ops.append_eltwise(1.f, dnnl::algorithm::eltwise_gelu_erf, 0.f, 0.f);
          }
          if (accumulate) ops.append_sum(1.f);
          const memory::desc bias_desc =
              bias.defined()
                  ? memory::desc({1, out.size(1)}, memory::data_type::f32, memory::format_tag::ab)
                  : memory::desc();
          return dnnl::matmul::primitive_desc(
              dnnl::matmul::desc(tensor_desc(rows), weights_desc, bias_desc, tensor_desc(out)),
              user_scratchpad(ops), cache.engine());
        });
    std::vector<std::pair<int, at::Tensor>> tensors = {
        {DNNL_ARG_SRC, rows}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, out}};
    if (bias.defined()) tensors.emplace_back(DNNL_ARG_BIAS, bias);
    cache.execute(made, tensors);
  }
};

struct InferenceLayerNorm::OneDnn {
  PrimitiveCache<int64_t, dnnl::layer_normalization_forward::primitive_desc> cache;
  at::Tensor scale, shift;  // fp32, as oneDNN's bf16 kernel takes them
  float eps;

  // rows and out: [R, C], dense (one descriptor serves both).
  void run(const at::Tensor& rows, const at::Tensor& out) {
    const auto& made = cache.get(rows.size(0), "layer norm", [&] {
      return dnnl::layer_normalization_forward::primitive_desc(
          dnnl::layer_normalization_forward::desc(
              dnnl::prop_kind::forward_inference, tensor_desc(rows), eps,
              dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift),
          user_scratchpad(), cache.engine());
    });
    cache.execute(made, {{DNNL_ARG_SRC, rows},
                         {DNNL_ARG_DST, out},
                         {DNNL_ARG_SCALE, scale},
                         {DNNL_ARG_SHIFT, shift}});
  }
};

struct AttentionProduct::OneDnn {
  // Keyed by the sizes and strides of a, b and out.
  PrimitiveCache<std::vector<int64_t>, dnnl::matmul::primitive_desc> cache;

  void run(const at::Tensor& a, const at::Tensor& b, const at::Tensor& out) {
    std::vector<int64_t> key;
    for (const auto* t : {&a, &b, &out}) {
      key.insert(key.end(), t->sizes().begin(), t->sizes().end());
      key.insert(key.end(), t->strides().begin(), t->strides().end());
    }
    const auto& made = cache.get(key, "attention product", [&] {
      return dnnl::matmul::primitive_desc(
          dnnl::matmul::desc(tensor_desc(a), tensor_desc(b), tensor_desc(out)), user_scratchpad(),
          cache.engine());
    });
    cache.execute(made, {{DNNL_ARG_SRC, a}, {DNNL_ARG_WEIGHTS, b}, {DNNL_ARG_DST, out}});
  }
};

struct InferenceSoftmax::OneDnn {
  PrimitiveCache<std::pair<int64_t, int64_t>, dnnl::softmax_v2_forward::primitive_desc> cache;

  // rows [R, C], dense, overwritten by their softmax.
  void run(const at::Tensor& rows) {
    const auto& made = cache.get({rows.size(0), rows.size(1)}, "softmax", [&] {
      const auto desc_of_rows = tensor_desc(rows);
      return dnnl::softmax_v2_forward::primitive_desc(
          dnnl::softmax_v2_forward::desc(dnnl::prop_kind::forward_inference,
                                         dnnl::algorithm::softmax_accurate, desc_of_rows,
                                         desc_of_rows, 1),
          user_scratchpad(), cache.engine());
    });
    cache.execute(made, {{DNNL_ARG_SRC, rows}, {DNNL_ARG_DST, rows}});
  }
};
#else
struct InferenceLinear::OneDnn {
  void run(const at::Tensor&, const at::Tensor&, Then, bool) {}
};
struct InferenceLayerNorm::OneDnn {
  void run(const at::Tensor&, const at::Tensor&) {}
};
struct AttentionProduct::OneDnn {
  void run(const at::Tensor&, const at::Tensor&, const at::Tensor&) {}
};
struct InferenceSoftmax::OneDnn {
  void run(const at::Tensor&) {}
};
#endif

bool inference_layers_use_onednn() {
#ifdef DEEPTIRP_WITH_ONEDNN
  return true;
#else
  return false;
#endif
}

InferenceLinear::InferenceLinear(const at::Tensor& weight, const at::Tensor& bias, Then then)
    : weight_(weight), bias_(bias), then_(then) {
#ifdef DEEPTIRP_WITH_ONEDNN
  const auto dtype = weight.scalar_type();
  if ((dtype == at::kBFloat16 || dtype == at::kFloat) && weight.stride(1) == 1) {
    onednn_ = std::make_shared<OneDnn>(weight);
    if (bias.defined()) onednn_->bias = bias.to(at::kFloat).contiguous();
  }
#endif
}

at::Tensor InferenceLinear::operator()(const at::Tensor& x) const {
  auto sizes = x.sizes().vec();
  sizes.back() = weight_.size(0);
  if (onednn_ && x.scalar_type() == weight_.scalar_type()) {
    const auto rows = dense_rows(x);
    auto out = at::empty({rows.size(0), weight_.size(0)}, x.options());
    onednn_->run(rows, out, then_, false);
    return out.view(sizes);
  }
  const auto rows = as_rows(x);
  auto out = bias_.defined() ? at::addmm(bias_, rows, weight_.t()) : at::mm(rows, weight_.t());
  if (then_ == Then::kGelu) at::gelu_(out);
  return out.view(sizes);
}

void InferenceLinear::add_to(const at::Tensor& residual, const at::Tensor& x) const {
  if (onednn_ && x.scalar_type() == weight_.scalar_type() && residual.is_contiguous() &&
      then_ == Then::kNothing) {
    onednn_->run(dense_rows(x), residual.view({-1, weight_.size(0)}), then_, true);
    return;
  }
  residual.add_((*this)(x));
}

InferenceLayerNorm::InferenceLayerNorm(const torch::nn::LayerNorm& layer) : layer_(layer) {
#ifdef DEEPTIRP_WITH_ONEDNN
  const auto& shape = layer->options.normalized_shape();
  if (shape.size() == 1 && layer->weight.defined() && layer->bias.defined()) {
    onednn_ = std::make_shared<OneDnn>();
    onednn_->scale = layer->weight.to(at::kFloat).contiguous();
    onednn_->shift = layer->bias.to(at::kFloat).contiguous();
    onednn_->eps = static_cast<float>(layer->options.eps());
  }
#endif
}

at::Tensor InferenceLayerNorm::operator()(const at::Tensor& x) const {
  if (onednn_ && (x.scalar_type() == at::kBFloat16 || x.scalar_type() == at::kFloat)) {
    const auto input = x.contiguous();
    auto out = at::empty_like(input);
    onednn_->run(as_rows(input), as_rows(out));
    return out;
  }
  return layer_norm(layer_, x);
}

AttentionProduct::AttentionProduct() {
#ifdef DEEPTIRP_WITH_ONEDNN
  onednn_ = std::make_shared<OneDnn>();
#endif
}

namespace {
// Autograd of AttentionProduct: C = A B gives dA = dC B^T and dB = A^T dC, the same product.
// The model that owns the product outlives its backward pass; the context keeps its address.
struct AttentionProductFunction : torch::autograd::Function<AttentionProductFunction> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& a,
                            const at::Tensor& b, int64_t product) {
    ctx->save_for_backward({a, b});
    ctx->saved_data["product"] = product;
    return reinterpret_cast<const AttentionProduct*>(product)->no_grad(a, b);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto* product =
        reinterpret_cast<const AttentionProduct*>(ctx->saved_data["product"].toInt());
    const auto& grad = grads[0];
    return {product->no_grad(grad, saved[1].transpose(-2, -1)),
            product->no_grad(saved[0].transpose(-2, -1), grad), at::Tensor()};
  }
};
}  // namespace

bool AttentionProduct::runs_onednn(const at::Tensor& a, const at::Tensor& b) const {
  // oneDNN reads any strides except in the matrices' own two dimensions, where one must be 1.
  const auto readable = [](const at::Tensor& t) {
    return (t.scalar_type() == at::kFloat || t.scalar_type() == at::kBFloat16) &&
           (t.stride(-1) == 1 || t.stride(-2) == 1);
  };
  // Under autocast, at::matmul runs (and records for the backward pass) in bf16.
  return onednn_ && !at::autocast::is_cpu_enabled() && readable(a) && readable(b) &&
         a.scalar_type() == b.scalar_type() && a.dim() == b.dim() &&
         a.sizes().slice(0, a.dim() - 2) == b.sizes().slice(0, b.dim() - 2);
}

at::Tensor AttentionProduct::operator()(const at::Tensor& a, const at::Tensor& b) const {
  if (!runs_onednn(a, b)) return at::matmul(a, b);
  if (at::GradMode::is_enabled() && (a.requires_grad() || b.requires_grad())) {
    return AttentionProductFunction::apply(a, b, reinterpret_cast<int64_t>(this));
  }
  return no_grad(a, b);
}

at::Tensor AttentionProduct::no_grad(const at::Tensor& a, const at::Tensor& b) const {
  if (!runs_onednn(a, b)) return at::matmul(a, b);
  auto sizes = a.sizes().vec();
  sizes.back() = b.size(-1);
  auto out = at::empty(sizes, a.options());
  if (a.scalar_type() == at::kBFloat16) {
    onednn_->run(dense_matrices(a), dense_matrices(b), out);
  } else {
    onednn_->run(a, b, out);
  }
  return out;
}

InferenceSoftmax::InferenceSoftmax() {
#ifdef DEEPTIRP_WITH_ONEDNN
  onednn_ = std::make_shared<OneDnn>();
#endif
}

at::Tensor InferenceSoftmax::operator()(const at::Tensor& scores) const {
  if (onednn_ && (scores.scalar_type() == at::kBFloat16 || scores.scalar_type() == at::kFloat) &&
      scores.is_contiguous()) {
    onednn_->run(as_rows(scores));
    return scores;
  }
  return at::softmax(scores, -1);
}

}  // namespace deeptirp
