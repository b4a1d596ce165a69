#include "model_support.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "plugins/loader.h"

namespace sf::models::test {

namespace {

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct Scratch {
  std::string path;
  Scratch() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sf_models_XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path = tmpl;
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

}  // namespace

bool HaveSp500() { return std::filesystem::is_directory(SF_SP500_DIR); }

bool LoadSp500(const std::string& symbol, Bars* out) {
  std::ifstream in(std::string(SF_SP500_DIR) + "/" + symbol + ".csv");
  if (!in) return false;
  std::string line;
  if (!std::getline(in, line) || line.rfind("timestamp,open,high,low,close", 0) != 0) return false;
  struct Row {
    int64_t ts;
    double o, h, l, c, v;
  };
  std::vector<Row> rows;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) f.push_back(cell);
    if (f.size() < 7) return false;
    int y = 0, m = 0, d = 0;
    if (std::sscanf(f[0].c_str(), "%d-%d-%d", &y, &m, &d) != 3) return false;
    rows.push_back({DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d)) *
                        86400LL * 1000000LL,
                    std::strtod(f[1].c_str(), nullptr), std::strtod(f[2].c_str(), nullptr),
                    std::strtod(f[3].c_str(), nullptr), std::strtod(f[4].c_str(), nullptr),
                    std::strtod(f[6].c_str(), nullptr)});
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.ts < b.ts; });
  Bars b;
  b.symbol = symbol;
  for (const Row& r : rows) {
    b.ts.push_back(r.ts);
    b.open.push_back(r.o);
    b.high.push_back(r.h);
    b.low.push_back(r.l);
    b.close.push_back(r.c);
    b.volume.push_back(r.v);
  }
  *out = std::move(b);
  return !out->close.empty();
}

const sf::plugins::Registry& Plugins() {
  static std::unique_ptr<sf::plugins::Registry> registry = [] {
    auto reg = std::make_unique<sf::plugins::Registry>();
    sf::plugins::LoaderOptions options;
    options.log = false;
    sf::plugins::Loader loader(*reg, options);
    for (const char* path : {SF_XGBOOST_PLUGIN, SF_SENTIMENT_PLUGIN, SF_LLM_PLUGIN}) {
      sf::plugins::LoadResult r = loader.LoadFile(path);
      if (!r.loaded) throw std::runtime_error(r.Message());
    }
    return reg;
  }();
  return *registry;
}

const sf::plugins::Model& FindModel(const std::string& id) {
  const sf::plugins::Model* m = Plugins().FindModel(id);
  if (m == nullptr) throw std::runtime_error("no model component " + id);
  return *m;
}

std::string ScratchDir() {
  static Scratch scratch;
  return scratch.path;
}

Instance::~Instance() {
  if (handle_ != nullptr) model_->vt.unload(handle_);
}
Instance::Instance(Instance&& o) noexcept : model_(o.model_), handle_(o.handle_) {
  o.handle_ = nullptr;
}
Instance& Instance::operator=(Instance&& o) noexcept {
  std::swap(model_, o.model_);
  std::swap(handle_, o.handle_);
  return *this;
}

namespace {

// Calls a caller-buffer function, growing the buffer on SF_INCOMPLETE.
template <typename F>
Answer Buffered(F&& call, size_t initial = 64) {
  Answer a;
  std::string buf(initial, '\0');
  size_t needed = 0;
  sf::plugins::ClearPluginError();
  a.status = call(buf.data(), buf.size(), &needed);
  if (a.status == SF_INCOMPLETE) {
    buf.assign(needed, '\0');
    a.status = call(buf.data(), buf.size(), &needed);
  }
  if (a.status < 0) {
    a.error = sf::plugins::TakePluginError("(no message)");
  } else if (a.status == SF_OK) {
    a.text.assign(buf.c_str());
  }
  return a;
}

}  // namespace

Instance Load(const sf::plugins::Model& model, const std::string& config, Answer* answer) {
  void* handle = nullptr;
  sf::plugins::ClearPluginError();
  answer->status = model.vt.load(config.c_str(), &handle);
  answer->error = answer->status < 0 ? sf::plugins::TakePluginError("(no message)") : "";
  if (answer->status < 0) return Instance();
  return Instance(&model, handle);
}

Answer Describe(const sf::plugins::Model& model, const Instance& inst) {
  return Buffered([&](char* b, size_t c, size_t* n) { return model.vt.describe(inst.get(), b, c, n); });
}

Answer AnalyzeText(const sf::plugins::Model& model, const Instance& inst, const std::string& text) {
  return Buffered([&](char* b, size_t c, size_t* n) {
    return model.vt.analyze_text(inst.get(), text.c_str(), b, c, n);
  });
}

Answer Predict(const sf::plugins::Model& model, const Instance& inst,
               const std::vector<double>& rows, int64_t cols, std::vector<double>* out,
               int64_t* out_cols) {
  Answer a;
  const int64_t n = cols > 0 ? static_cast<int64_t>(rows.size()) / cols : 0;
  out->assign(static_cast<size_t>(n), 0.0);
  sf::plugins::ClearPluginError();
  a.status = model.vt.predict(inst.get(), rows.data(), n, cols, out->data(),
                              static_cast<int64_t>(out->size()), out_cols);
  if (a.status == SF_INCOMPLETE) {
    out->assign(static_cast<size_t>(n * *out_cols), 0.0);
    a.status = model.vt.predict(inst.get(), rows.data(), n, cols, out->data(),
                                static_cast<int64_t>(out->size()), out_cols);
  }
  if (a.status < 0) a.error = sf::plugins::TakePluginError("(no message)");
  return a;
}

Answer Train(const sf::plugins::Model& model, const std::string& params, const sf_dataset& data,
             const std::string& out_path) {
  return Buffered([&](char* b, size_t c, size_t* n) {
    return model.vt.train(params.c_str(), &data, out_path.c_str(), b, c, n);
  }, size_t{1} << 22);  // one call: a retry would train again
}

}  // namespace sf::models::test
