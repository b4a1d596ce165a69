// Shared helpers of the model plugin tests and benchmark: the three model
// plugins loaded once through the real sf::plugins::Loader, real S&P 500
// daily bars, a scratch directory, and wrappers over the model vtable that
// return the plugin's error message with the status.
// Not thread-safe except where noted (tests set up on one thread).
#ifndef SF_TESTS_MODELS_MODEL_SUPPORT_H_
#define SF_TESTS_MODELS_MODEL_SUPPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "plugins/registry.h"
#include "signalforge/signalforge.hpp"

namespace sf::models::test {

// Daily bars of one symbol, ascending.
struct Bars {
  std::string symbol;
  std::vector<int64_t> ts;
  std::vector<double> open, high, low, close, volume;
};
bool HaveSp500();
bool LoadSp500(const std::string& symbol, Bars* out);

// Registry holding xgboost, sentiment and llm plugins (loaded once).
const sf::plugins::Registry& Plugins();
const sf::plugins::Model& FindModel(const std::string& id);

// A fresh directory under the system temp dir, removed at process exit.
std::string ScratchDir();

// The answer of a vtable call: status, error message (when < 0), text.
struct Answer {
  sf_status status = SF_OK;
  std::string error;
  std::string text;
};

// Owns a loaded model instance (unload on destruction).
class Instance {
 public:
  Instance() = default;
  Instance(const sf::plugins::Model* model, void* handle) : model_(model), handle_(handle) {}
  ~Instance();
  Instance(Instance&& o) noexcept;
  Instance& operator=(Instance&& o) noexcept;
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;
  void* get() const { return handle_; }
  explicit operator bool() const { return handle_ != nullptr; }

 private:
  const sf::plugins::Model* model_ = nullptr;
  void* handle_ = nullptr;
};

// load(config); on failure the Instance is empty and *answer has the error.
Instance Load(const sf::plugins::Model& model, const std::string& config, Answer* answer);
Answer Describe(const sf::plugins::Model& model, const Instance& inst);
Answer AnalyzeText(const sf::plugins::Model& model, const Instance& inst, const std::string& text);
// Predict into *out (resized); thread-safe when the component is.
Answer Predict(const sf::plugins::Model& model, const Instance& inst,
               const std::vector<double>& rows, int64_t cols, std::vector<double>* out,
               int64_t* out_cols);
Answer Train(const sf::plugins::Model& model, const std::string& params, const sf_dataset& data,
             const std::string& out_path);

}  // namespace sf::models::test

#endif  // SF_TESTS_MODELS_MODEL_SUPPORT_H_
