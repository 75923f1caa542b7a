#pragma once
// Agreement between raters: Fleiss' kappa for many raters (Fleiss, Psychol Bull
// 1971, with the standard error of Fleiss, Nee & Landis 1979, as R's
// irr::kappam.fleiss), and Cohen's kappa for two, unweighted or weighted, with
// the asymptotic standard errors of Fleiss, Cohen & Everitt (Psychol Bull 1969)
// as SAS PROC FREQ reports them.
#include <cstddef>
#include <string>
#include <vector>

namespace deeptirp::stats {

// The distinct ratings in order: by value when all are numbers, else
// alphabetically. `scores` are the numbers themselves, or 1, 2, ... for text
// (used by the weights).
struct Categories {
  std::vector<std::string> names;
  std::vector<double> scores;
  std::size_t index_of(const std::string &rating) const;
};
Categories ordered_categories(const std::vector<std::string> &ratings);

struct FleissKappa {
  double kappa;
  double se;  // under the null hypothesis kappa = 0, as irr
  double z;
  double p;       // two-sided
  double ci_low;  // kappa ± z·se
  double ci_high;
  Categories categories;
  std::vector<std::size_t> category_totals;
  std::vector<double> category_kappa;
  std::size_t subjects;
  std::size_t raters;
};
// ratings[subject][rater]; every subject rated by the same number (>= 2) of
// raters.
FleissKappa fleiss_kappa(const std::vector<std::vector<std::string>> &ratings, double level = 0.95);

enum class KappaWeights { kNone, kLinear, kQuadratic };
// "none", "linear" (Cicchetti-Allison, SAS's default) or "quadratic"
// (Fleiss-Cohen).
KappaWeights parse_kappa_weights(const std::string &name);

struct CohenKappa {
  double kappa;
  double ase;     // asymptotic standard error
  double ci_low;  // kappa ± z·ase
  double ci_high;
  double ase_h0;       // under the null hypothesis kappa = 0
  double z;            // kappa / ase_h0
  double p;            // two-sided
  double p_one_sided;  // P(Z > z)
  Categories categories;
  std::vector<std::vector<std::size_t>> table;  // [rater1 category][rater2 category]
};
CohenKappa cohen_kappa(const std::vector<std::string> &rater1,
                       const std::vector<std::string> &rater2, KappaWeights weights,
                       double level = 0.95);

}  // namespace deeptirp::stats
