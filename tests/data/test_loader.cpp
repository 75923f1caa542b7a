// The batch loader and the image cache: worker count never changes the tensors, a bad image is
// an Error naming the file in the consumer, and the cache folder spares a second decode.
#include <torch/torch.h>

#include <algorithm>
#include <opencv2/imgcodecs.hpp>
#include <set>

#include "deeptirp/data/image_cache.h"
#include "deeptirp/data/loader.h"
#include "deeptirp/data/preprocess.h"
#include "deeptirp/error.h"
#include "test_support.h"

namespace deeptirp {
namespace {

namespace fs = std::filesystem;

// N random 16-bit PNGs of 40x30 with boxes on every other case, alternating labels, all "train".
Manifest make_study(const fs::path& dir, int n) {
  Manifest m;
  m.path = dir / "manifest.csv";
  m.target = "diagnosis";
  std::mt19937_64 g(17);
  for (int i = 0; i < n; ++i) {
    cv::Mat image(30, 40, CV_16UC1);
    for (int y = 0; y < 30; ++y)
      for (int x = 0; x < 40; ++x) image.at<std::uint16_t>(y, x) = static_cast<std::uint16_t>(g());
    const std::string name = "img" + std::to_string(i) + ".png";
    if (!cv::imwrite((dir / name).string(), image)) throw Error("cannot write test image");
    Case c;
    c.image = name;
    c.patient_id = "P" + std::to_string(i);
    c.label = i % 3 == 0 ? "tumour" : "infection";
    c.split = "train";
    if (i % 2) c.roi = RoiBox{3 + i, 2, 25 + i, 20};
    m.cases.push_back(c);
  }
  return m;
}

ImageOptions small_options() {
  ImageOptions o;
  o.size = 24;
  o.channels = 3;
  return o;
}

std::vector<Batch> run_epoch(BatchLoader& loader, int epoch) {
  loader.start_epoch(epoch);
  std::vector<Batch> batches;
  while (auto b = loader.next()) batches.push_back(std::move(*b));
  return batches;
}

TEST(BatchLoader, WorkerCountDoesNotChangeTheTensors) {
  const auto dir = testing::scratch_dir("loader_workers");
  const Manifest m = make_study(dir, 11);
  NormStats stats{0.4, 0.3, 0, 0};
  for (const char* level : {"flips", "strong"}) {
    LoaderOptions options;
    options.batch_size = 4;
    options.shuffle = true;
    options.augment = true;
    options.augment_level = level;
    options.seed = 9;
    ImageCache cache1(small_options()), cache3(small_options());
    options.workers = 1;
    BatchLoader one(m, cases_in_split(m, "train"), "tumour", stats, cache1, options);
    options.workers = 3;
    BatchLoader three(m, cases_in_split(m, "train"), "tumour", stats, cache3, options);
    EXPECT_EQ(three.workers(), 3);
    for (int epoch = 0; epoch < 2; ++epoch) {
      const auto a = run_epoch(one, epoch), b = run_epoch(three, epoch);
      ASSERT_EQ(a.size(), 3u);  // 4 + 4 + 3
      ASSERT_EQ(b.size(), a.size());
      for (std::size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].indices, b[i].indices);
        EXPECT_EQ(a[i].images.sizes(),
                  (std::vector<int64_t>{static_cast<int64_t>(a[i].indices.size()), 3, 24, 24}));
        EXPECT_TRUE(torch::equal(a[i].images, b[i].images))
            << level << " epoch " << epoch << " batch " << i;
        EXPECT_TRUE(torch::equal(a[i].labels, b[i].labels));
      }
    }
  }
}

// The trainer asks for pinned batches on CUDA only (a CPU-only LibTorch cannot pin memory).
TEST(BatchLoader, PinnedBatchesHoldTheSameTensors) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "pinned host memory needs CUDA";
  const auto dir = testing::scratch_dir("loader_pinned");
  const Manifest m = make_study(dir, 7);
  NormStats stats{0.4, 0.3, 0, 0};
  LoaderOptions options;
  options.batch_size = 4;
  ImageCache cache(small_options());
  BatchLoader plain(m, cases_in_split(m, "train"), "tumour", stats, cache, options);
  options.pin_memory = true;
  BatchLoader pinned(m, cases_in_split(m, "train"), "tumour", stats, cache, options);
  const auto a = run_epoch(plain, 0), b = run_epoch(pinned, 0);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_FALSE(a[i].images.is_pinned());
    EXPECT_TRUE(b[i].images.is_pinned() && b[i].labels.is_pinned());
    EXPECT_TRUE(torch::equal(a[i].images, b[i].images));
    EXPECT_TRUE(torch::equal(a[i].labels, b[i].labels));
  }
}

TEST(BatchLoader, EachEpochIsAPermutationWithItsOwnOrderAndTrueLabels) {
  const auto dir = testing::scratch_dir("loader_order");
  const Manifest m = make_study(dir, 11);
  ImageCache cache(small_options());
  LoaderOptions options;
  options.batch_size = 5;
  options.shuffle = true;
  options.workers = 2;
  BatchLoader loader(m, cases_in_split(m, "train"), "tumour", NormStats{}, cache, options);
  std::vector<std::vector<std::size_t>> orders;
  for (int epoch = 0; epoch < 3; ++epoch) {
    std::vector<std::size_t> order;
    for (const auto& b : run_epoch(loader, epoch)) {
      for (std::size_t k = 0; k < b.indices.size(); ++k) {
        const float expected = m.cases[b.indices[k]].label == "tumour" ? 1.0f : 0.0f;
        EXPECT_EQ(b.labels[k].item<float>(), expected);
        order.push_back(b.indices[k]);
      }
    }
    std::vector<std::size_t> sorted = order;
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t i = 0; i < sorted.size(); ++i) EXPECT_EQ(sorted[i], i);
    orders.push_back(order);
  }
  EXPECT_NE(orders[0], orders[1]);
  EXPECT_NE(orders[1], orders[2]);
  // Rerunning an epoch gives its order again.
  std::vector<std::size_t> again;
  for (const auto& b : run_epoch(loader, 1))
    again.insert(again.end(), b.indices.begin(), b.indices.end());
  EXPECT_EQ(again, orders[1]);
}

// Data-parallel ranks: each step of 6 cut into 3 shares of 2; together, every step's cases in
// the order of one process, each case once; the images as one process gives them.
TEST(BatchLoader, RanksShareEachStepInTheOrderOfOneProcess) {
  const auto dir = testing::scratch_dir("loader_ranks");
  const Manifest m = make_study(dir, 11);
  ImageCache cache(small_options());
  LoaderOptions options;
  options.batch_size = 2;
  options.shuffle = true;
  options.augment = true;
  options.workers = 1;
  options.step_cases = 6;
  const auto cases = cases_in_split(m, "train");
  BatchLoader one(m, cases, "tumour", NormStats{}, cache, options);
  std::vector<at::Tensor> whole;
  std::vector<std::size_t> order;
  for (const auto& b : run_epoch(one, 4)) {
    order.insert(order.end(), b.indices.begin(), b.indices.end());
    for (std::int64_t k = 0; k < b.images.size(0); ++k) whole.push_back(b.images[k]);
  }
  std::vector<std::vector<std::size_t>> shares;
  std::vector<std::vector<at::Tensor>> images;
  for (int rank = 0; rank < 3; ++rank) {
    LoaderOptions o = options;
    o.rank = rank;
    o.ranks = 3;
    BatchLoader loader(m, cases, "tumour", NormStats{}, cache, o);
    shares.emplace_back();
    images.emplace_back();
    for (const auto& b : run_epoch(loader, 4)) {
      shares.back().insert(shares.back().end(), b.indices.begin(), b.indices.end());
      for (std::int64_t k = 0; k < b.images.size(0); ++k) images.back().push_back(b.images[k]);
    }
    EXPECT_EQ(loader.batches_per_epoch(), (shares.back().size() + 1) / 2) << rank;
    EXPECT_EQ(shares.back(), rank_share(order, 6, rank, 3)) << rank;
  }
  // 11 cases: steps of 6 and 5; in the second, ranks 0 and 1 take 2 each and rank 2 the last.
  EXPECT_EQ(shares[0].size(), 4u);
  EXPECT_EQ(shares[1].size(), 4u);
  EXPECT_EQ(shares[2].size(), 3u);
  std::vector<std::size_t> joined;
  std::vector<at::Tensor> joined_images;
  for (std::size_t step = 0; step < 2; ++step)
    for (int rank = 0; rank < 3; ++rank)
      for (std::size_t k = step * 2; k < std::min(step * 2 + 2, shares[rank].size()); ++k) {
        joined.push_back(shares[rank][k]);
        joined_images.push_back(images[rank][k]);
      }
  EXPECT_EQ(joined, order);
  ASSERT_EQ(joined_images.size(), whole.size());
  for (std::size_t k = 0; k < whole.size(); ++k)
    EXPECT_TRUE(torch::equal(joined_images[k], whole[k])) << "the augmentation moved with the rank";
  EXPECT_EQ(rank_share_size(5, 6, 2, 3), 1u);
  EXPECT_EQ(rank_share_size(3, 6, 2, 3), 0u);
  EXPECT_THROW(rank_share(order, 6, 0, 4), Error);
}

TEST(BatchLoader, AugmentationOnlyFlipsTheImages) {
  const auto dir = testing::scratch_dir("loader_flips");
  const Manifest m = make_study(dir, 11);
  ImageCache cache(small_options());
  LoaderOptions plain;
  plain.batch_size = 11;
  LoaderOptions augmented = plain;
  augmented.augment = true;
  BatchLoader a(m, cases_in_split(m, "train"), "tumour", NormStats{}, cache, plain);
  BatchLoader b(m, cases_in_split(m, "train"), "tumour", NormStats{}, cache, augmented);
  const at::Tensor x = run_epoch(a, 0).at(0).images, y = run_epoch(b, 0).at(0).images;
  int flipped = 0;
  for (int64_t i = 0; i < 11; ++i) {
    const at::Tensor xi = x[i], yi = y[i];
    const bool match = torch::equal(xi, yi) || torch::equal(xi.flip({2}), yi) ||
                       torch::equal(xi.flip({1}), yi) || torch::equal(xi.flip({1, 2}), yi);
    EXPECT_TRUE(match) << "case " << i;
    flipped += !torch::equal(xi, yi);
  }
  EXPECT_GT(flipped, 0);
  EXPECT_LT(flipped, 11);
}

TEST(BatchLoader, AnImageThatFailsToLoadIsAnErrorNamingItsFile) {
  const auto dir = testing::scratch_dir("loader_missing");
  Manifest m = make_study(dir, 6);
  m.cases[4].image = "no_such_radiograph.dcm";
  ImageCache cache(small_options());
  LoaderOptions options;
  options.batch_size = 2;
  options.workers = 3;
  BatchLoader loader(m, cases_in_split(m, "train"), "tumour", NormStats{}, cache, options);
  loader.start_epoch(0);
  ASSERT_TRUE(loader.next().has_value());
  ASSERT_TRUE(loader.next().has_value());
  try {
    loader.next();
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_radiograph.dcm"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(loader.next().has_value());
}

TEST(ImageCache, ASecondRunReadsTheCacheFolderAndAChangedFileIsDecodedAgain) {
  const auto dir = testing::scratch_dir("cache");
  const Manifest m = make_study(dir, 5);
  const auto folder = dir / "cache";
  std::vector<cv::Mat> first;
  {
    ImageCache cache(small_options(), folder);
    for (const auto& c : m.cases) first.push_back(cache.get(m.image_path(c), c.roi).clone());
    for (const auto& c : m.cases) cache.get(m.image_path(c), c.roi);
    const CacheStats s = cache.stats();
    EXPECT_EQ(s.decodes, 5u);
    EXPECT_EQ(s.disk_hits, 0u);
    EXPECT_EQ(s.memory_hits, 5u);
  }
  {
    ImageCache cache(small_options(), folder);  // a rerun: memory empty, folder full
    for (std::size_t i = 0; i < m.cases.size(); ++i) {
      const cv::Mat again = cache.get(m.image_path(m.cases[i]), m.cases[i].roi);
      EXPECT_EQ(cv::countNonZero(again != first[i]), 0) << i;
    }
    EXPECT_EQ(cache.stats().decodes, 0u);
    EXPECT_EQ(cache.stats().disk_hits, 5u);
  }
  {
    // Another size, or a rewritten file, is another key.
    ImageOptions other = small_options();
    other.size = 20;
    ImageCache cache(other, folder);
    cache.get(m.image_path(m.cases[0]), m.cases[0].roi);
    EXPECT_EQ(cache.stats().decodes, 1u);
  }
  cv::Mat white(30, 40, CV_16UC1, cv::Scalar(65535));
  ASSERT_TRUE(cv::imwrite(m.image_path(m.cases[0]).string(), white));
  fs::last_write_time(m.image_path(m.cases[0]),
                      fs::last_write_time(m.image_path(m.cases[0])) + std::chrono::seconds(5));
  ImageCache cache(small_options(), folder);
  const cv::Mat fresh = cache.get(m.image_path(m.cases[0]), m.cases[0].roi);
  EXPECT_EQ(cache.stats().decodes, 1u);
  EXPECT_EQ(cv::countNonZero(fresh != 65535), 0);
}

TEST(ImageCache, ConcurrentRequestsDecodeOnce) {
  const auto dir = testing::scratch_dir("cache_threads");
  const Manifest m = make_study(dir, 3);
  ImageCache cache(small_options());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int r = 0; r < 5; ++r)
        for (const auto& c : m.cases) cache.get(m.image_path(c), c.roi);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(cache.stats().decodes, 3u);
  EXPECT_EQ(cache.stats().memory_hits, 4u * 5u * 3u - 3u);
}

}  // namespace
}  // namespace deeptirp
