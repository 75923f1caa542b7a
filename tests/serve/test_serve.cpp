// `deeptirp serve` in the test process, on a free loopback port, answering httplib clients: its
// predictions are the bundle's own, concurrent requests share forward passes, and no request can
// take it down. The batcher alone is checked with a forward pass the test holds back.
#include <gtest/gtest.h>
#include <httplib.h>

#include <boost/archive/iterators/binary_from_base64.hpp>
#include <boost/archive/iterators/transform_width.hpp>

#include <atomic>
#include <future>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "deeptirp/explain/overlay.h"
#include "deeptirp/io/byte_source.h"
#include "deeptirp/io/radiograph.h"
#include "deeptirp/serve/batcher.h"
#include "deeptirp/serve/server.h"
#include "test_support.h"
#include "tiny_bundle.h"

namespace deeptirp::serve {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const testing::TinyBundle& tiny() {
  static const testing::TinyBundle t = testing::make_tiny_bundle("serve-study");
  return t;
}

// A server running on its own thread for the scope of a test.
class Running {
 public:
  explicit Running(ServeOptions o) {
    o.bundle = tiny().bundle;
    o.port = 0;
    o.log = &log_;
    server_ = std::make_unique<Server>(o);
    port_ = server_->bind();
    thread_ = std::thread([this] { server_->run(); });
    httplib::Client c = client();
    for (int i = 0; i < 600; ++i) {  // loading takes a moment
      if (auto r = c.Get("/v1/health"); r && r->status == 200) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "the server never became ready";
  }
  ~Running() {
    server_->stop();
    thread_.join();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(60, 0);
    return c;
  }
  std::string log() const { return log_.str(); }
  Server& server() { return *server_; }

 private:
  std::ostringstream log_;  // written by the server's logger only while it runs
  std::unique_ptr<Server> server_;
  int port_ = 0;
  std::thread thread_;
};

std::string image_bytes(std::size_t i) {
  const Manifest& m = tiny().study.manifest;
  return read_file_bytes(m.image_path(m.cases.at(i)));
}

bundle::BundlePrediction direct(const std::string& bytes, std::optional<RoiBox> roi = {},
                                std::map<std::string, std::string> clinical = {}) {
  bundle::BundleInput in;
  in.radiograph = decode_radiograph(bytes, "test");
  in.roi = roi;
  in.clinical = std::move(clinical);
  in.name = "the request's image";  // as the service names every request's image
  static const auto bundle = bundle::Bundle::load(tiny().bundle);
  return bundle->predict(in);
}

json post_image(httplib::Client& c, const std::string& body, int* status = nullptr) {
  auto r = c.Post("/v1/predict", body, "application/dicom");
  EXPECT_TRUE(r) << "no answer";
  if (!r) return {};
  if (status) *status = r->status;
  return json::parse(r->body);
}

TEST(Serve, AnswersWhatTheBundlePredicts) {
  Running s({});
  httplib::Client c = s.client();
  const auto bundle = bundle::Bundle::load(tiny().bundle);
  for (std::size_t i = 0; i < 3; ++i) {
    const std::string bytes = image_bytes(i);
    int status = 0;
    const json answer = post_image(c, bytes, &status);
    ASSERT_EQ(status, 200) << answer.dump();
    const bundle::BundlePrediction p = direct(bytes);
    EXPECT_DOUBLE_EQ(answer["parts"]["vit"].get<double>(), p.image_probabilities[0]);
    EXPECT_DOUBLE_EQ(answer["parts"]["clinical"].get<double>(), p.clinical);
    EXPECT_DOUBLE_EQ(answer["ensemble"].get<double>(), p.ensemble);
    EXPECT_EQ(answer["predicted"], p.predicted_class);
    EXPECT_EQ(answer["bundle"]["id"], bundle->id());
    EXPECT_EQ(answer["threshold"], bundle->metadata()["thresholds"]["ensemble"]);
  }

  // Multipart: the image, its clinical values and ROI box, as a PACS client would send them.
  const std::string bytes = image_bytes(4);
  const RoiBox box{8, 10, 40, 52};
  httplib::MultipartFormDataItems parts = {
      {"image", bytes, "img.dcm", "application/dicom"},
      {"case",
       json{{"clinical", {{"age", 41}, {"sex", "F"}, {"site", nullptr}}},
            {"roi", {{"x0", 8}, {"y0", 10}, {"x1", 40}, {"y1", 52}}}}
           .dump(),
       "", "application/json"}};
  auto r = c.Post("/v1/predict", parts);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const bundle::BundlePrediction p = direct(bytes, box, {{"age", "41"}, {"sex", "F"}});
  const json answer = json::parse(r->body);
  EXPECT_DOUBLE_EQ(answer["parts"]["vit"].get<double>(), p.image_probabilities[0]);
  EXPECT_DOUBLE_EQ(answer["parts"]["clinical"].get<double>(), p.clinical);
  EXPECT_NE(answer["parts"]["vit"].get<double>(), direct(bytes).image_probabilities[0])
      << "the ROI box should change the crop";

  auto model = c.Get("/v1/model");
  ASSERT_TRUE(model);
  EXPECT_EQ(model->status, 200);
  EXPECT_EQ(json::parse(model->body)["parts"]["image_models"], json{"vit"});
}

// Base64 back to bytes (Boost's iterators, the '=' padding dropped first).
std::string unbase64(std::string text) {
  using namespace boost::archive::iterators;
  using Decode = transform_width<binary_from_base64<std::string::const_iterator>, 8, 6>;
  const std::size_t pad = text.size() - text.find_last_not_of('=') - 1;
  text.erase(text.size() - pad);
  return std::string(Decode(text.cbegin()), Decode(text.cend()));
}

TEST(Serve, AHeatMapOnRequestIsTheBundlesMapAsPng) {
  Running s({});
  httplib::Client c = s.client();
  const std::string bytes = image_bytes(2);
  auto r = c.Post("/v1/predict?heat_map=gradcam", bytes, "application/dicom");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const json heat = json::parse(r->body)["heat_map"];
  EXPECT_EQ(heat["model"], "vit");
  EXPECT_EQ(heat["method"], "gradcam");
  const std::string png = unbase64(heat["png_base64"].get<std::string>());
  const cv::Mat got =
      cv::imdecode(std::vector<unsigned char>(png.begin(), png.end()), cv::IMREAD_COLOR);
  bundle::BundleInput in;
  in.radiograph = decode_radiograph(bytes, "test");
  in.name = "test";
  const auto bundle = bundle::Bundle::load(tiny().bundle);
  const bundle::BundleHeatMap expected = bundle->heat_map(in);
  ASSERT_EQ(expected.map.size(), in.radiograph.size());
  double low = 0, high = 0;
  cv::minMaxLoc(expected.map, &low, &high);
  EXPECT_GE(low, 0);
  EXPECT_LE(high, 1);
  const cv::Mat want = overlay_side_by_side(in.radiograph, expected.map);
  ASSERT_EQ(got.size(), want.size());
  EXPECT_EQ(cv::norm(got, want, cv::NORM_INF), 0) << "PNG is lossless";
  // Without the parameter the answer carries none; an unknown method or model is named.
  EXPECT_FALSE(post_image(c, bytes).contains("heat_map"));
  r = c.Post("/v1/predict?heat_map=lime", bytes, "application/dicom");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("gradcam, gradcampp, scorecam"), std::string::npos) << r->body;
  try {
    bundle->heat_map(in, "gradcam", "b3");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("it has: vit"), std::string::npos) << e.what();
  }
}

TEST(Serve, ConcurrentRequestsShareForwardPasses) {
  ServeOptions o;
  o.workers = 8;
  o.batching.max_batch = 8;
  o.batching.max_wait = std::chrono::milliseconds(300);
  Running s(o);
  std::vector<std::future<json>> answers;
  for (std::size_t i = 0; i < 8; ++i)
    answers.push_back(std::async(std::launch::async, [&s, i] {
      httplib::Client c = s.client();
      return post_image(c, image_bytes(i));
    }));
  for (std::size_t i = 0; i < 8; ++i) {
    const json a = answers[i].get();
    EXPECT_NEAR(a["ensemble"].get<double>(), direct(image_bytes(i)).ensemble, 2e-6) << i;
  }
  httplib::Client c = s.client();
  const std::string metrics = c.Get("/metrics")->body;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(metrics, m, std::regex("deeptirp_batch_size_count (\\d+)")))
      << metrics;
  EXPECT_LT(std::stoi(m[1]), 8) << "8 concurrent requests should have shared a forward pass";
  EXPECT_NE(metrics.find("deeptirp_requests_total{path=\"/v1/predict\",status=\"200\"} 8"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("deeptirp_request_seconds_bucket{le=\"+Inf\"}"), std::string::npos);
  EXPECT_NE(metrics.find("deeptirp_queue_depth 0"), std::string::npos);
}

// Every bad request gets a 4xx with a JSON error; the service stays up and answers the next one,
// and nothing of the DICOM headers' patient names or ids reaches its log.
TEST(Serve, BadRequestsGetAClearErrorAndTheServiceStaysUp) {
  ServeOptions o;
  o.max_body_bytes = 200000;
  Running s(o);
  httplib::Client c = s.client();
  const std::string good = image_bytes(0);
  struct Bad {
    std::string body, expected;
  };
  const std::vector<Bad> bad = {
      {good.substr(0, 300), "the request's image"},  // cut at byte 300
      {good.substr(0, good.size() / 2), "the request's image"},
      {"not an image at all", "the request's image"},
      {"", "no image"},
  };
  for (const auto& b : bad) {
    int status = 0;
    const json answer = post_image(c, b.body, &status);
    EXPECT_EQ(status, 400) << answer.dump();
    EXPECT_NE(answer.value("error", "").find(b.expected), std::string::npos) << answer.dump();
  }
  auto multipart = [&](const std::string& case_json) {
    auto r = c.Post("/v1/predict",
                    httplib::MultipartFormDataItems{{"image", good, "img.dcm", "application/dicom"},
                                                    {"case", case_json, "", "application/json"}});
    EXPECT_TRUE(r);
    EXPECT_EQ(r->status, 400) << r->body;
    return json::parse(r->body).value("error", "");
  };
  EXPECT_NE(multipart("{").find("not a JSON object"), std::string::npos);
  EXPECT_NE(multipart(R"({"clinical": {"weight": 70}})").find("clinical.weight"),
            std::string::npos);
  EXPECT_NE(multipart(R"({"clinical": {"age": "old"}})").find("'age': 'old'"), std::string::npos);
  EXPECT_NE(multipart(R"({"roi": {"x0": 1, "y0": 2, "x1": 1, "y1": 9}})").find("x0 < x1"),
            std::string::npos);
  EXPECT_NE(multipart(R"({"roi": {"x0": 500, "y0": 500, "x1": 900, "y1": 900}})").find("outside"),
            std::string::npos);
  EXPECT_NE(multipart(R"({"box": {}})").find("unknown field `box`"), std::string::npos);

  auto large = c.Post("/v1/predict", std::string(300000, 'x'), "application/dicom");
  ASSERT_TRUE(large);
  EXPECT_EQ(large->status, 413);
  EXPECT_NE(json::parse(large->body).value("error", "").find("larger"), std::string::npos);
  auto form = c.Post("/v1/predict", good, "application/x-www-form-urlencoded");  // curl's default
  ASSERT_TRUE(form);
  EXPECT_EQ(form->status, 413);
  EXPECT_NE(json::parse(form->body).value("error", "").find("Content-Type: application/dicom"),
            std::string::npos);
  auto missing = c.Get("/v2/nothing");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_TRUE(json::parse(missing->body).contains("error"));

  int status = 0;
  post_image(c, good, &status);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(c.Get("/v1/health")->status, 200);
  const std::string log = s.log();
  EXPECT_NE(log.find("POST /v1/predict 400"), std::string::npos) << log;
  EXPECT_EQ(log.find("SYNTHETIC^PATIENT"), std::string::npos) << log;
  EXPECT_EQ(log.find("SYN-"), std::string::npos) << log;
}

TEST(Serve, ATokenFileMakesEveryRequestAuthenticate) {
  const fs::path token = testing::scratch_dir("serve-token") / "token";
  std::ofstream(token) << "s3cret-token\n";
  ServeOptions o;
  o.token_file = token;
  o.bundle = tiny().bundle;
  o.port = 0;
  Server server(o);
  const int port = server.bind();
  std::thread thread([&] { server.run(); });
  httplib::Client c("127.0.0.1", port);
  EXPECT_EQ(c.Get("/v1/health")->status, 401);
  EXPECT_EQ(c.Post("/v1/predict", image_bytes(0), "application/dicom")->status, 401);
  c.set_bearer_token_auth("wrong-token");
  EXPECT_EQ(c.Get("/metrics")->status, 401);
  c.set_bearer_token_auth("s3cret-token");
  int ready = 0;
  for (int i = 0; i < 600 && ready != 200; ++i) {
    ready = c.Get("/v1/health")->status;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(ready, 200);
  EXPECT_EQ(c.Post("/v1/predict", image_bytes(0), "application/dicom")->status, 200);
  server.stop();
  thread.join();

  std::ofstream(token, std::ios::trunc) << "\n";
  o.token_file = token;
  EXPECT_NE(testing::error_of([&] { Server{o}; }).find("the token file is empty"),
            std::string::npos);
}

// The batcher with a forward pass the test releases: a full queue refuses at once, a case whose
// deadline passes while it waits is answered with DeadlinePassed, and stop() finishes the rest.
TEST(Batcher, RefusesWhenFullAndDropsCasesPastTheirDeadline) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> passes{0};
  std::vector<std::size_t> sizes;
  Batcher batcher(
      [&](const std::vector<CasePtr>& cases) {
        released.wait();
        ++passes;
        sizes.push_back(cases.size());
        return std::vector<bundle::BatchPrediction>(cases.size());
      },
      {2, std::chrono::milliseconds(0), 3});
  const auto later = Clock::now() + std::chrono::hours(1);
  auto first = batcher.submit(nullptr, later);  // taken at once; its pass waits for release
  while (batcher.queue_depth() != 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto late = batcher.submit(nullptr, Clock::now() + std::chrono::milliseconds(1));
  auto second = batcher.submit(nullptr, later);
  auto third = batcher.submit(nullptr, later);
  EXPECT_THROW(batcher.submit(nullptr, later), QueueFull);
  EXPECT_EQ(batcher.queue_depth(), 3u);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  release.set_value();
  first.get();
  EXPECT_THROW(late.get(), DeadlinePassed);
  second.get();
  third.get();
  batcher.stop();
  EXPECT_EQ(passes, 2);
  EXPECT_EQ(sizes, (std::vector<std::size_t>{1, 2}));  // the queued two shared a pass
  EXPECT_THROW(batcher.submit(nullptr, later), Error);
}

// A forming batch waits only for cases on their way: a lone case goes at once, whatever
// max_wait; one announced by an Arrival is waited for and joins the batch.
TEST(Batcher, WaitsOnlyForCasesOnTheirWay) {
  std::mutex mutex;
  std::vector<std::size_t> sizes;
  Batcher batcher(
      [&](const std::vector<CasePtr>& cases) {
        std::lock_guard<std::mutex> lock(mutex);
        sizes.push_back(cases.size());
        return std::vector<bundle::BatchPrediction>(cases.size());
      },
      {4, std::chrono::milliseconds(3000), 8});
  const auto later = Clock::now() + std::chrono::hours(1);
  const auto start = Clock::now();
  batcher.submit(nullptr, later).get();
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(1000)) << "a lone case waited";

  std::future<bundle::BatchPrediction> first, second;
  {
    Batcher::Arrival on_its_way(batcher);
    first = batcher.submit(nullptr, later);
    EXPECT_EQ(first.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
    second = batcher.submit(nullptr, later);
  }
  first.get();
  second.get();
  std::lock_guard<std::mutex> lock(mutex);
  EXPECT_EQ(sizes, (std::vector<std::size_t>{1, 2}));
}

}  // namespace
}  // namespace deeptirp::serve
