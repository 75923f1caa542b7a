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
// kernel, 30x slower than this copy and the product together.
at::Tensor dense_rows(const at::Tensor& x) { return as_rows(x).contiguous(); }

// t [..., M, K] with every matrix dense, row- or column-major as t's is (k^T stays a transposed
// view of a dense k), copied only when it is not. oneDNN's bf16 batched products read strided
// q, k and v 25-45% slower than a copy followed by the product.
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
template <class Key, class Primitive>
class PrimitiveCache {
 public:
  // `what` names the layer in the error when oneDNN cannot make it (a CPU without AVX-512:
  // prepare_for_inference does not choose bf16 there).
  template <class Make>
  const Primitive& get(const Key& key, const char* what, Make make) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = primitives_.find(key);
    if (it != primitives_.end()) return it->second;
    try {
      return primitives_.emplace(key, make()).first->second;
    } catch (const dnnl::error& e) {
      throw Error(std::string("oneDNN cannot run the ") + what + " on this CPU: " + e.what());
    }
  }

 private:
  std::mutex mutex_;
  std::map<Key, Primitive> primitives_;
};

dnnl::primitive_attr user_scratchpad(const dnnl::post_ops& ops = {}) {
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

// Runs `primitive` with `args` plus a scratchpad of the size its descriptor asks for.
template <class Desc>
void execute(const dnnl::engine& engine, const dnnl::primitive& primitive, const Desc& desc,
             std::unordered_map<int, memory> args) {
  auto scratchpad = at::empty({static_cast<int64_t>(desc.scratchpad_desc().get_size())},
                              at::TensorOptions().dtype(at::kByte));
  args.emplace(DNNL_ARG_SCRATCHPAD, memory(desc.scratchpad_desc(), engine, scratchpad.data_ptr()));
  dnnl::stream stream(engine);
  primitive.execute(stream, args);
  stream.wait();
}

// A tensor as oneDNN sees it: its sizes and strides, no copy.
memory::desc tensor_desc(const at::Tensor& t) {
  return memory::desc(memory::dims(t.sizes().begin(), t.sizes().end()),
                      t.scalar_type() == at::kBFloat16 ? memory::data_type::bf16
                                                       : memory::data_type::f32,
                      memory::dims(t.strides().begin(), t.strides().end()));
}

#endif

}  // namespace

#ifdef DEEPTIRP_WITH_ONEDNN
struct InferenceLinear::OneDnn {
  struct Primitive {
    dnnl::matmul::primitive_desc desc;
    dnnl::matmul matmul;
  };
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  at::Tensor bias;  // fp32: added before the output is rounded to bf16
  // The weight [out, in] as the [in, out] matrix it multiplies by. bf16: in the blocked layout
  // oneDNN's AMX kernels read (the same for every row count), made once. Read in place, each call
  // first copied it into that layout: ViT-S/16 at batch 1, 75 against 88 images/s. The copy
  // costs a bf16 copy of the weights, which with the model's own is the size of its fp32 weights.
  // fp32: read in place, its own weights, since packing gained only 5% there and would grow peak
  // memory by the model's whole size (ViT-B/16: 526 to 933 MiB at batch 1).
  memory::desc weights_desc;
  at::Tensor weights;
  PrimitiveCache<std::tuple<int64_t, at::ScalarType, bool>, Primitive> cache;

  explicit OneDnn(const at::Tensor& weight) {
    const auto plain = tensor_desc(weight.t());
    if (weight.scalar_type() != at::kBFloat16) {
      weights_desc = plain;
      weights = weight;
      return;
    }
    const memory::dim in = weight.size(1), out = weight.size(0);
    const auto dtype = plain.data_type();
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
    const auto& p = cache.get({rows.size(0), out.scalar_type(), accumulate}, "linear layer", [&] {
      dnnl::post_ops ops;
      if (then == Then::kGelu) ops.append_eltwise(1.f, dnnl::algorithm::eltwise_gelu_erf, 0.f, 0.f);
      if (accumulate) ops.append_sum(1.f);
      const memory::dim features = out.size(1);
      const memory::desc bias_desc =
          bias.defined()
              ? memory::desc({1, features}, memory::data_type::f32, memory::format_tag::ab)
              : memory::desc();
      dnnl::matmul::primitive_desc desc(
          dnnl::matmul::desc(tensor_desc(rows), weights_desc, bias_desc, tensor_desc(out)),
          user_scratchpad(ops), engine);
      return Primitive{desc, dnnl::matmul(desc)};
    });
    std::unordered_map<int, memory> args = {
        {DNNL_ARG_SRC, memory(p.desc.src_desc(), engine, rows.data_ptr())},
        {DNNL_ARG_WEIGHTS, memory(weights_desc, engine, weights.data_ptr())},
        {DNNL_ARG_DST, memory(p.desc.dst_desc(), engine, out.data_ptr())}};
    if (bias.defined()) {
      args.emplace(DNNL_ARG_BIAS, memory(p.desc.bias_desc(), engine, bias.data_ptr()));
    }
    execute(engine, p.matmul, p.desc, std::move(args));
  }
};

struct InferenceLayerNorm::OneDnn {
  struct Primitive {
    dnnl::layer_normalization_forward::primitive_desc desc;
    dnnl::layer_normalization_forward norm;
  };
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  at::Tensor scale, shift;  // fp32, as oneDNN's bf16 kernel takes them
  float eps;
  PrimitiveCache<int64_t, Primitive> cache;

  // rows and out: [R, C], dense (one descriptor serves both).
  void run(const at::Tensor& rows, const at::Tensor& out) {
    const auto& p = cache.get(rows.size(0), "layer norm", [&] {
      dnnl::layer_normalization_forward::primitive_desc desc(
          dnnl::layer_normalization_forward::desc(
              dnnl::prop_kind::forward_inference, tensor_desc(rows), eps,
              dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift),
          user_scratchpad(), engine);
      return Primitive{desc, dnnl::layer_normalization_forward(desc)};
    });
    execute(engine, p.norm, p.desc,
            {{DNNL_ARG_SRC, memory(p.desc.src_desc(), engine, rows.data_ptr())},
             {DNNL_ARG_DST, memory(p.desc.dst_desc(), engine, out.data_ptr())},
             {DNNL_ARG_SCALE, memory(p.desc.weights_desc(), engine, scale.data_ptr())},
             {DNNL_ARG_SHIFT, memory(p.desc.weights_desc(), engine, shift.data_ptr())}});
  }
};

struct AttentionProduct::OneDnn {
  struct Primitive {
    dnnl::matmul::primitive_desc desc;
    dnnl::matmul matmul;
  };
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  PrimitiveCache<std::vector<int64_t>, Primitive> cache;  // sizes and strides of a, b and out

  void run(const at::Tensor& a, const at::Tensor& b, const at::Tensor& out) {
    std::vector<int64_t> key;
    for (const auto* t : {&a, &b, &out}) {
      key.insert(key.end(), t->sizes().begin(), t->sizes().end());
      key.insert(key.end(), t->strides().begin(), t->strides().end());
    }
    const auto& p = cache.get(key, "attention product", [&] {
      dnnl::matmul::primitive_desc desc(
          dnnl::matmul::desc(tensor_desc(a), tensor_desc(b), tensor_desc(out)),
          user_scratchpad(), engine);
      return Primitive{desc, dnnl::matmul(desc)};
    });
    execute(engine, p.matmul, p.desc,
            {{DNNL_ARG_SRC, memory(p.desc.src_desc(), engine, a.data_ptr())},
             {DNNL_ARG_WEIGHTS, memory(p.desc.weights_desc(), engine, b.data_ptr())},
             {DNNL_ARG_DST, memory(p.desc.dst_desc(), engine, out.data_ptr())}});
  }
};

struct InferenceSoftmax::OneDnn {
  struct Primitive {
    dnnl::softmax_v2_forward::primitive_desc desc;
    dnnl::softmax_v2_forward softmax;
  };
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  PrimitiveCache<std::pair<int64_t, int64_t>, Primitive> cache;

  // rows [R, C], dense, overwritten by their softmax.
  void run(const at::Tensor& rows) {
    const auto& p = cache.get({rows.size(0), rows.size(1)}, "softmax", [&] {
      const auto desc_of_rows = tensor_desc(rows);
      dnnl::softmax_v2_forward::primitive_desc desc(
          dnnl::softmax_v2_forward::desc(dnnl::prop_kind::forward_inference,
                                         dnnl::algorithm::softmax_accurate, desc_of_rows,
                                         desc_of_rows, 1),
          user_scratchpad(), engine);
      return Primitive{desc, dnnl::softmax_v2_forward(desc)};
    });
    execute(engine, p.softmax, p.desc,
            {{DNNL_ARG_SRC, memory(p.desc.src_desc(), engine, rows.data_ptr())},
             {DNNL_ARG_DST, memory(p.desc.dst_desc(), engine, rows.data_ptr())}});
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
