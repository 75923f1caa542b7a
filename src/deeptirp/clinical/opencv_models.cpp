// The clinical model families that OpenCV's ml module provides (see classifier.h).
#include <opencv2/ml.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

#include "deeptirp/clinical/classifier.h"
#include "deeptirp/clinical/logistic.h"
#include "deeptirp/error.h"
#include "deeptirp/io/atomic_file.h"

namespace deeptirp::clinical {
namespace {

using cv::ml::StatModel;

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open the clinical model file");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// YAML through cv::FileStorage in memory, then an atomic write: floats are written with 9 and
// doubles with 17 significant digits, so a reloaded model predicts exactly the same.
void save_model(const cv::Ptr<StatModel>& model, const std::filesystem::path& path) {
  cv::FileStorage fs(".yml", cv::FileStorage::WRITE | cv::FileStorage::MEMORY);
  fs << "model"
     << "{";
  model->write(fs);
  fs << "}";
  write_file_atomically(path, fs.releaseAndGetString());
}

template <typename T>
cv::Ptr<T> load_model(const std::filesystem::path& path) {
  const std::string text = read_text(path);
  cv::Ptr<T> model;
  try {
    cv::FileStorage fs(text, cv::FileStorage::READ | cv::FileStorage::MEMORY);
    model = T::create();
    model->read(fs["model"]);
  } catch (const cv::Exception& e) {
    throw Error(path.string() + ": cannot read the model: " + e.what());
  }
  if (!model->isTrained()) throw Error(path.string() + ": holds no trained model");
  return model;
}

cv::Mat as_float(const std::vector<int>& y) {
  cv::Mat m(static_cast<int>(y.size()), 1, CV_32F);
  for (std::size_t i = 0; i < y.size(); ++i)
    m.at<float>(static_cast<int>(i)) = static_cast<float>(y[i]);
  return m;
}

cv::Mat as_int(const std::vector<int>& y) {
  cv::Mat m(static_cast<int>(y.size()), 1, CV_32S);
  for (std::size_t i = 0; i < y.size(); ++i) m.at<int>(static_cast<int>(i)) = y[i];
  return m;
}

std::vector<double> column(const cv::Mat& m) {
  std::vector<double> out(m.rows);
  for (int i = 0; i < m.rows; ++i) out[i] = m.at<float>(i);
  return out;
}

// Base of the families whose whole state is one cv::ml model.
class OpenCvClassifier : public Classifier {
 public:
  OpenCvClassifier(std::string kind, Params params, std::uint64_t seed)
      : kind_(std::move(kind)), params_(std::move(params)), seed_(seed) {}
  nlohmann::json save(const std::filesystem::path& folder) const override {
    save_model(model_, folder / file());
    return {{"file", file()}};
  }

 protected:
  std::string file() const { return "model_" + kind_ + ".yml"; }
  void seed_rng() const { cv::theRNG() = cv::RNG(seed_ | 1); }
  void check_trained() const {
    if (!model_ || !model_->isTrained())
      throw Error("clinical model '" + kind_ + "' is not fitted");
  }
  std::string kind_;
  Params params_;
  std::uint64_t seed_;
  cv::Ptr<StatModel> model_;
};

// Random forest and decision tree as regression trees on the 0/1 label (see classifier.h).
class TreeClassifier : public OpenCvClassifier {
 public:
  using OpenCvClassifier::OpenCvClassifier;
  void fit(const cv::Mat& x, const std::vector<int>& y) override {
    seed_rng();
    cv::Ptr<cv::ml::DTrees> tree;
    if (kind_ == "rf") {
      auto forest = cv::ml::RTrees::create();
      forest->setTermCriteria({cv::TermCriteria::MAX_ITER, params_.at("trees").get<int>(), 0.0});
      forest->setActiveVarCount(0);  // sqrt of the number of features, as scikit-learn
      tree = forest;
    } else {
      tree = cv::ml::DTrees::create();
    }
    tree->setMaxDepth(params_.at("max_depth").get<int>());
    tree->setMinSampleCount(params_.at("min_samples").get<int>());
    tree->setCVFolds(0);  // no pruning by internal CV: it would draw on the RNG
    tree->setUseSurrogates(false);
    tree->setRegressionAccuracy(0);
    tree->train(x, cv::ml::ROW_SAMPLE, as_float(y));
    model_ = tree;
  }
  std::vector<double> predict(const cv::Mat& x) const override {
    check_trained();
    cv::Mat out;
    model_->predict(x, out);
    std::vector<double> p = column(out);
    for (double& v : p) v = std::clamp(v, 0.0, 1.0);
    return p;
  }
  void load(const std::filesystem::path& folder, const nlohmann::json&) override {
    if (kind_ == "rf")
      model_ = load_model<cv::ml::RTrees>(folder / file());
    else
      model_ = load_model<cv::ml::DTrees>(folder / file());
  }
};

class LogisticClassifier : public OpenCvClassifier {
 public:
  using OpenCvClassifier::OpenCvClassifier;
  void fit(const cv::Mat& x, const std::vector<int>& y) override {
    seed_rng();
    auto lr = cv::ml::LogisticRegression::create();
    lr->setLearningRate(params_.at("learning_rate").get<double>());
    lr->setIterations(params_.at("iterations").get<int>());
    lr->setRegularization(params_.at("regularization") == "l2"
                              ? cv::ml::LogisticRegression::REG_L2
                              : cv::ml::LogisticRegression::REG_DISABLE);
    lr->setTrainMethod(cv::ml::LogisticRegression::BATCH);
    lr->train(x, cv::ml::ROW_SAMPLE, as_float(y));
    model_ = lr;
  }
  // OpenCV's predict gives the class only; its thetas are [bias, weights] of the larger label (1).
  std::vector<double> predict(const cv::Mat& x) const override {
    check_trained();
    const cv::Mat theta = model_.dynamicCast<cv::ml::LogisticRegression>()->get_learnt_thetas();
    std::vector<double> p(x.rows);
    for (int i = 0; i < x.rows; ++i) {
      double z = theta.at<float>(0, 0);
      for (int j = 0; j < x.cols; ++j) z += theta.at<float>(0, j + 1) * x.at<float>(i, j);
      p[i] = sigmoid(z);
    }
    return p;
  }
  void load(const std::filesystem::path& folder, const nlohmann::json&) override {
    model_ = load_model<cv::ml::LogisticRegression>(folder / file());
  }
};

class NeighboursClassifier : public OpenCvClassifier {
 public:
  using OpenCvClassifier::OpenCvClassifier;
  void fit(const cv::Mat& x, const std::vector<int>& y) override {
    auto knn = cv::ml::KNearest::create();
    knn->setDefaultK(std::min(params_.at("k").get<int>(), x.rows));
    knn->setIsClassifier(true);
    knn->setAlgorithmType(cv::ml::KNearest::BRUTE_FORCE);
    knn->train(x, cv::ml::ROW_SAMPLE, as_float(y));
    model_ = knn;
  }
  std::vector<double> predict(const cv::Mat& x) const override {
    check_trained();
    auto knn = model_.dynamicCast<cv::ml::KNearest>();
    cv::Mat results, neighbours;
    knn->findNearest(x, knn->getDefaultK(), results, neighbours);
    std::vector<double> p(x.rows);
    for (int i = 0; i < x.rows; ++i) p[i] = cv::mean(neighbours.row(i))[0];
    return p;
  }
  void load(const std::filesystem::path& folder, const nlohmann::json&) override {
    model_ = load_model<cv::ml::KNearest>(folder / file());
  }
};

class BoostClassifier : public OpenCvClassifier {
 public:
  using OpenCvClassifier::OpenCvClassifier;
  void fit(const cv::Mat& x, const std::vector<int>& y) override {
    seed_rng();
    auto boost = cv::ml::Boost::create();
    boost->setBoostType(cv::ml::Boost::REAL);
    boost->setWeakCount(params_.at("rounds").get<int>());
    boost->setMaxDepth(params_.at("max_depth").get<int>());
    boost->setWeightTrimRate(0);
    boost->setUseSurrogates(false);
    boost->setCVFolds(0);
    boost->train(x, cv::ml::ROW_SAMPLE, as_int(y));
    model_ = boost;
  }
  // PREDICT_SUM | RAW_OUTPUT gives F, the sum of the weak outputs; F > 0 means label 1.
  std::vector<double> predict(const cv::Mat& x) const override {
    check_trained();
    cv::Mat out;
    model_->predict(x, out, cv::ml::DTrees::PREDICT_SUM | StatModel::RAW_OUTPUT);
    std::vector<double> p = column(out);
    for (double& v : p) v = sigmoid(2 * v);
    return p;
  }
  void load(const std::filesystem::path& folder, const nlohmann::json&) override {
    model_ = load_model<cv::ml::Boost>(folder / file());
  }
};

class SvmClassifier : public OpenCvClassifier {
 public:
  using OpenCvClassifier::OpenCvClassifier;
  void fit(const cv::Mat& x, const std::vector<int>& y) override {
    // Platt's sigmoid on out-of-fold decision values (3 folds, stratified by row order).
    std::vector<int> fold(y.size());
    int seen[2] = {0, 0};
    for (std::size_t i = 0; i < y.size(); ++i) fold[i] = seen[y[i] ? 1 : 0]++ % 3;
    std::vector<double> decision(y.size());
    for (int f = 0; f < 3; ++f) {
      cv::Mat fit_x, held_x;
      std::vector<int> fit_y, held;
      for (std::size_t i = 0; i < y.size(); ++i) {
        if (fold[i] == f)
          held_x.push_back(x.row(static_cast<int>(i))), held.push_back(static_cast<int>(i));
        else
          fit_x.push_back(x.row(static_cast<int>(i))), fit_y.push_back(y[i]);
      }
      if (held.empty()) continue;
      const auto inner = train_svm(fit_x, fit_y);
      const std::vector<double> d = raw(inner, held_x);
      for (std::size_t k = 0; k < held.size(); ++k) decision[held[k]] = d[k];
    }
    platt_ = fit_platt(decision, y);
    model_ = train_svm(x, y);
  }
  std::vector<double> predict(const cv::Mat& x) const override {
    check_trained();
    std::vector<double> p = raw(model_, x);
    for (double& v : p) v = apply_platt(platt_, v);
    return p;
  }
  nlohmann::json save(const std::filesystem::path& folder) const override {
    nlohmann::json state = OpenCvClassifier::save(folder);
    state["platt"] = platt_;
    return state;
  }
  void load(const std::filesystem::path& folder, const nlohmann::json& state) override {
    model_ = load_model<cv::ml::SVM>(folder / file());
    platt_ = state.at("platt").get<std::vector<double>>();
    if (platt_.size() != 2) throw Error((folder / file()).string() + ": bad Platt coefficients");
  }

 private:
  cv::Ptr<StatModel> train_svm(const cv::Mat& x, const std::vector<int>& y) const {
    seed_rng();
    auto svm = cv::ml::SVM::create();
    svm->setType(cv::ml::SVM::C_SVC);
    svm->setKernel(cv::ml::SVM::RBF);
    svm->setC(params_.at("C").get<double>());
    svm->setGamma(params_.at("gamma").get<double>());
    svm->setTermCriteria({cv::TermCriteria::MAX_ITER + cv::TermCriteria::EPS, 100000, 1e-6});
    svm->train(x, cv::ml::ROW_SAMPLE, as_int(y));
    return svm;
  }
  static std::vector<double> raw(const cv::Ptr<StatModel>& svm, const cv::Mat& x) {
    cv::Mat out;
    svm->predict(x, out, StatModel::RAW_OUTPUT);
    return column(out);
  }
  std::vector<double> platt_;
};

}  // namespace

std::unique_ptr<Classifier> make_opencv_classifier(const std::string& kind, const Params& params,
                                                   std::uint64_t seed) {
  try {
    if (kind == "rf" || kind == "dt") return std::make_unique<TreeClassifier>(kind, params, seed);
    if (kind == "lr") return std::make_unique<LogisticClassifier>(kind, params, seed);
    if (kind == "knn") return std::make_unique<NeighboursClassifier>(kind, params, seed);
    if (kind == "ada") return std::make_unique<BoostClassifier>(kind, params, seed);
    if (kind == "svm") return std::make_unique<SvmClassifier>(kind, params, seed);
  } catch (const nlohmann::json::exception& e) {
    throw Error("clinical model '" + kind + "': bad hyper-parameters: " + e.what());
  }
  throw Error("unknown OpenCV model kind '" + kind + "'");
}

}  // namespace deeptirp::clinical
