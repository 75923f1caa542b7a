#pragma once
// ROC analysis as in pROC (Robin et al., BMC Bioinformatics 2011): the AUC is
// the probability that a case scores above a control, ties counting one half;
// DeLong's variance (DeLong, DeLong & Clarke-Pearson, Biometrics 1988) comes
// from the placements, computed in O(n log n).
#include <cstddef>
#include <vector>

namespace deeptirp::stats {

// Scores of the positive cases and of the controls. For paired comparisons the
// i-th case (control) of two Classes is the same subject.
struct Classes {
  std::vector<double> cases;
  std::vector<double> controls;
};
// labels: 1 = case, 0 = control. Throws when one class is empty.
Classes split_by_label(const std::vector<double> &scores, const std::vector<int> &labels);

// A case is called positive when its score is >= threshold. Thresholds run from
// -inf (everyone positive) through the midpoints between distinct scores (as
// pROC) to +inf.
struct RocPoint {
  double threshold;
  double sensitivity;
  double specificity;
};
std::vector<RocPoint> roc_curve(const Classes &classes);

double auc(const Classes &classes);

// V10: for each case, the share of controls it outscores; V01: for each
// control, the share of cases that outscore it (ties one half). Their means are
// the AUC.
struct DelongPlacements {
  std::vector<double> cases;
  std::vector<double> controls;
  double auc;
};
DelongPlacements delong_placements(const Classes &classes);

struct AucEstimate {
  double auc;
  double variance;
  double se;
  double ci_low;  // Wald interval, clipped to [0, 1] as pROC does
  double ci_high;
  std::size_t n_pos;
  std::size_t n_neg;
};
AucEstimate delong_auc(const Classes &classes, double level = 0.95);

struct AucComparison {
  double auc_a;
  double auc_b;
  double diff;  // auc_a - auc_b
  double se;
  double z;
  double df;      // degrees of freedom of the t reference; infinite (normal) when
                  // paired
  double p;       // two-sided
  double ci_low;  // of the difference
  double ci_high;
};
// Paired: the same subjects scored twice (pROC roc.test, method "delong",
// paired).
AucComparison delong_paired(const Classes &a, const Classes &b, double level = 0.95);
// Unpaired: independent sets; the variances add and, as in pROC roc.test
// (paired = FALSE), z is referred to Student's t with Welch-Satterthwaite
// degrees of freedom (V1 + V2)^2 / (V1^2 / (N1 - 1) + V2^2 / (N2 - 1)), N the
// subjects of each curve.
AucComparison delong_unpaired(const Classes &a, const Classes &b, double level = 0.95);

}  // namespace deeptirp::stats
