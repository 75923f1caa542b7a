// Gradient boosting through XGBoost's C API (binary:logistic). One thread and a fixed seed make a
// fit reproducible; the model is saved as XGBoost's own JSON, which round-trips exactly.
#include <xgboost/c_api.h>

#include <fstream>
#include <sstream>

#include "deeptirp/clinical/classifier.h"
#include "deeptirp/error.h"
#include "deeptirp/io/atomic_file.h"

namespace deeptirp::clinical {
namespace {

void check(int status, const std::string& what) {
  if (status != 0) throw Error("XGBoost: " + what + ": " + XGBGetLastError());
}

class Matrix {
 public:
  explicit Matrix(const cv::Mat& x) {
    cv::Mat dense = x.isContinuous() ? x : x.clone();
    check(XGDMatrixCreateFromMat(dense.ptr<float>(), dense.rows, dense.cols, NAN, &handle_),
          "cannot create the data matrix");
  }
  ~Matrix() { XGDMatrixFree(handle_); }
  Matrix(const Matrix&) = delete;
  Matrix& operator=(const Matrix&) = delete;
  DMatrixHandle get() const { return handle_; }

 private:
  DMatrixHandle handle_ = nullptr;
};

class XgboostClassifier : public Classifier {
 public:
  XgboostClassifier(Params params, std::uint64_t seed) : params_(std::move(params)), seed_(seed) {}
  ~XgboostClassifier() override {
    if (booster_) XGBoosterFree(booster_);
  }

  void fit(const cv::Mat& x, const std::vector<int>& y) override {
    Matrix data(x);
    std::vector<float> labels(y.begin(), y.end());
    check(XGDMatrixSetFloatInfo(data.get(), "label", labels.data(), labels.size()), "labels");
    reset();
    DMatrixHandle sets[] = {data.get()};
    check(XGBoosterCreate(sets, 1, &booster_), "cannot create the booster");
    const std::string seed = std::to_string(seed_ % 2147483647);
    const std::pair<std::string, std::string> settings[] = {
        {"objective", "binary:logistic"},
        {"max_depth", std::to_string(params_.at("max_depth").get<int>())},
        {"eta", std::to_string(params_.at("eta").get<double>())},
        {"tree_method", "exact"},
        {"nthread", "1"},
        {"seed", seed},
        {"verbosity", "0"}};
    for (const auto& [key, value] : settings)
      check(XGBoosterSetParam(booster_, key.c_str(), value.c_str()), "parameter " + key);
    const int rounds = params_.at("rounds").get<int>();
    for (int i = 0; i < rounds; ++i)
      check(XGBoosterUpdateOneIter(booster_, i, data.get()), "boosting round");
  }

  std::vector<double> predict(const cv::Mat& x) const override {
    if (!booster_) throw Error("clinical model 'xgb' is not fitted");
    Matrix data(x);
    bst_ulong n = 0;
    const float* out = nullptr;
    check(XGBoosterPredict(booster_, data.get(), 0, 0, 0, &n, &out), "prediction");
    return std::vector<double>(out, out + n);
  }

  nlohmann::json save(const std::filesystem::path& folder) const override {
    bst_ulong n = 0;
    const char* bytes = nullptr;
    check(XGBoosterSaveModelToBuffer(booster_, R"({"format": "json"})", &n, &bytes), "saving");
    write_file_atomically(folder / kFile, std::string_view(bytes, n));
    return {{"file", kFile}};
  }

  void load(const std::filesystem::path& folder, const nlohmann::json&) override {
    std::ifstream in(folder / kFile, std::ios::binary);
    if (!in) throw Error((folder / kFile).string() + ": cannot open the clinical model file");
    std::ostringstream text;
    text << in.rdbuf();
    const std::string bytes = text.str();
    reset();
    check(XGBoosterCreate(nullptr, 0, &booster_), "cannot create the booster");
    check(XGBoosterLoadModelFromBuffer(booster_, bytes.data(), bytes.size()),
          (folder / kFile).string());
    check(XGBoosterSetParam(booster_, "nthread", "1"), "parameter nthread");
  }

 private:
  static constexpr const char* kFile = "model_xgb.json";
  void reset() {
    if (booster_) XGBoosterFree(booster_);
    booster_ = nullptr;
  }
  Params params_;
  std::uint64_t seed_;
  BoosterHandle booster_ = nullptr;
};

}  // namespace

std::unique_ptr<Classifier> make_xgboost_classifier(const Params& params, std::uint64_t seed) {
  return std::make_unique<XgboostClassifier>(params, seed);
}

}  // namespace deeptirp::clinical
