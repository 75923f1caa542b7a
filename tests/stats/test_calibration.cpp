// Brier score and logistic recalibration against sklearn and scipy.
#include <cmath>
#include <random>

#include "deeptirp/error.h"
#include "deeptirp/stats/calibration.h"
#include "stats_test_util.h"

namespace deeptirp::stats {
namespace {

// Labels drawn from a distorted version of the predictions, so that slope != 1,
// intercept != 0.
void miscalibrated(std::size_t n, std::vector<double> *p, std::vector<int> *y) {
  std::mt19937_64 gen(17);
  for (std::size_t i = 0; i < n; ++i) {
    const double prob = (static_cast<double>(gen() % 9998) + 1.0) / 10000.0;
    const double logit = std::log(prob / (1 - prob));
    const double truth = 1.0 / (1.0 + std::exp(-(0.4 + 0.6 * logit)));
    p->push_back(prob);
    y->push_back(static_cast<double>(gen() >> 11) * 0x1.0p-53 < truth ? 1 : 0);
  }
}

TEST(Calibration, MatchesSklearnAndScipy) {
  DEEPTIRP_REQUIRE_PYTHON();
  std::vector<double> p;
  std::vector<int> y;
  miscalibrated(2000, &p, &y);
  const auto dir = testing::scratch_dir("calibration");
  testing::write_columns((dir / "c.csv").string(), {"p", "y"},
                         {p, std::vector<double>(y.begin(), y.end())});
  const auto ref = testing::python_json(
      "import json, numpy as np\nfrom scipy.optimize import brentq\n"
      "from sklearn.linear_model import LogisticRegression\n"
      "from sklearn.metrics import brier_score_loss\n"
      "d = np.loadtxt('" +
          (dir / "c.csv").string() +
          "', delimiter=',', skiprows=1)\n"
          "p, y = d[:, 0], d[:, 1]; x = np.log(p / (1 - p))\n"
          "fit = LogisticRegression(penalty=None, tol=1e-12, "
          "max_iter=10000).fit(x[:, None], y)\n"
          "a = brentq(lambda a: np.sum(y - 1 / (1 + np.exp(-(a + x)))), -10, "
          "10, xtol=1e-14)\n"
          "print(json.dumps({'brier': brier_score_loss(y, p), 'slope': "
          "fit.coef_[0][0],"
          " 'intercept': a}))\n",
      "calibration-py");
  ASSERT_FALSE(ref.is_null());
  const Calibration c = calibration(p, y, 10);
  EXPECT_NEAR(c.brier, ref["brier"].get<double>(), 1e-12);
  EXPECT_NEAR(c.slope, ref["slope"].get<double>(), 1e-5);
  EXPECT_NEAR(c.intercept, ref["intercept"].get<double>(), 1e-9);
  EXPECT_LT(c.slope, 0.8);  // the distortion is visible
  std::size_t total = 0;
  for (const auto &bin : c.bins) total += bin.n;
  EXPECT_EQ(total, p.size());
  EXPECT_EQ(c.bins.size(), 10u);
  EXPECT_GE(c.bins[3].mean_predicted, 0.3);
  EXPECT_LT(c.bins[3].mean_predicted, 0.4);
}

TEST(Calibration, BrierOfPerfectPredictionsIsZeroAndSeparationIsAnError) {
  EXPECT_THROW(calibration({0.0, 1.0, 0.0, 1.0}, {0, 1, 0, 1}), Error);
  EXPECT_THROW(calibration({0.5, 1.5}, {0, 1}), Error);
  const Calibration c = calibration({0.2, 0.8, 0.3, 0.7, 0.6}, {0, 1, 1, 0, 1});
  EXPECT_NEAR(c.brier, (0.04 + 0.04 + 0.49 + 0.49 + 0.16) / 5, 1e-15);
}

}  // namespace
}  // namespace deeptirp::stats
