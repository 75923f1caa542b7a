#pragma once
// The clinical model families behind one interface. Every kind outputs the probability of the
// positive class:
//   rf   random forest (cv::ml::RTrees)      \ grown as regression trees on the 0/1 label: the
//   dt   decision tree (cv::ml::DTrees)      / squared-error split on 0/1 is the Gini split, and a
//        leaf's mean is its share of positives, as scikit-learn's predict_proba (a forest averages
//        its trees' shares, as scikit-learn does);
//   lr   logistic regression (cv::ml::LogisticRegression): sigmoid of its learnt thetas (its own
//        predict gives classes only);
//   knn  k-nearest neighbours (cv::ml::KNearest): share of positive neighbours;
//   ada  Real AdaBoost (cv::ml::Boost): P = 1 / (1 + exp(-2 F)), F the summed weak outputs
//        (Friedman, Hastie & Tibshirani, Ann. Stat. 2000);
//   xgb  gradient boosting (XGBoost C API, binary:logistic, one thread);
//   svm  RBF SVM (cv::ml::SVM, C-SVC): Platt scaling fitted on 3-fold out-of-fold decision values
//        of the training rows (as libsvm's -b 1 does with 5 folds).
// lr, knn and svm get standardised numeric features.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

namespace deeptirp::clinical {

using Params = nlohmann::json;  // an object of hyper-parameters

class Classifier {
 public:
  virtual ~Classifier() = default;
  // x: CV_32F, one row per case; y: 1 = positive, 0 = negative.
  virtual void fit(const cv::Mat& x, const std::vector<int>& y) = 0;
  virtual std::vector<double> predict(const cv::Mat& x) const = 0;
  // Writes the fitted model into `folder` (atomically) and returns its extra state for the JSON.
  virtual nlohmann::json save(const std::filesystem::path& folder) const = 0;
  virtual void load(const std::filesystem::path& folder, const nlohmann::json& state) = 0;
};

const std::vector<std::string>& classifier_kinds();  // rf, lr, dt, knn, ada, xgb, svm
std::string known_kinds();                           // "rf, lr, ..." for messages
// Throws Error "<where>: unknown model kind 'X' (known: ...)".
void check_kind(const std::string& kind, const std::string& where);
bool needs_standardising(const std::string& kind);
// The small hyper-parameter grid that cross-validation searches.
std::vector<Params> parameter_grid(const std::string& kind);
std::unique_ptr<Classifier> make_classifier(const std::string& kind, const Params& params,
                                            std::uint64_t seed);

// The members (one file per family).
std::unique_ptr<Classifier> make_opencv_classifier(const std::string& kind, const Params& params,
                                                   std::uint64_t seed);
std::unique_ptr<Classifier> make_xgboost_classifier(const Params& params, std::uint64_t seed);

}  // namespace deeptirp::clinical
