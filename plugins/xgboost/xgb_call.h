// Small RAII and error helpers over XGBoost's C API (xgboost/c_api.h) shared
// by inference and training. XGBoost reports errors through a thread-local
// last-error string; Check turns a failed call into an sf::sdk::Error whose
// message names what we were doing and quotes XGBoost.
#ifndef SF_PLUGINS_XGBOOST_XGB_CALL_H_
#define SF_PLUGINS_XGBOOST_XGB_CALL_H_

#include <xgboost/c_api.h>

#include <string>

#include "signalforge/signalforge.hpp"

namespace sf::xgb {

inline constexpr char kPluginId[] = "org.signalforge.xgboost";

// Throws sf::sdk::Error(code, "<what>: <xgboost message>") when rc != 0.
inline void Check(int rc, const std::string& what, sf_status code = SF_ERR_INTERNAL) {
  if (rc == 0) return;
  std::string detail = XGBGetLastError();
  // XGBoost messages start with a source location and may span lines; keep
  // them but trim the trailing stack-trace noise after the first blank line.
  if (auto cut = detail.find("\n\n"); cut != std::string::npos) detail.resize(cut);
  throw sf::sdk::Error(code, what + ": " + detail);
}

class DMatrix {
 public:
  DMatrix() = default;
  explicit DMatrix(DMatrixHandle h) : h_(h) {}
  ~DMatrix() {
    if (h_ != nullptr) XGDMatrixFree(h_);
  }
  DMatrix(DMatrix&& o) noexcept : h_(o.h_) { o.h_ = nullptr; }
  DMatrix& operator=(DMatrix&& o) noexcept {
    std::swap(h_, o.h_);
    return *this;
  }
  DMatrix(const DMatrix&) = delete;
  DMatrix& operator=(const DMatrix&) = delete;
  DMatrixHandle get() const { return h_; }
  DMatrixHandle* out() { return &h_; }

 private:
  DMatrixHandle h_ = nullptr;
};

class Booster {
 public:
  Booster() = default;
  ~Booster() {
    if (h_ != nullptr) XGBoosterFree(h_);
  }
  Booster(const Booster&) = delete;
  Booster& operator=(const Booster&) = delete;
  BoosterHandle get() const { return h_; }
  BoosterHandle* out() { return &h_; }

 private:
  BoosterHandle h_ = nullptr;
};

// The __array_interface__ JSON XGBoost expects for a row-major dense matrix
// of doubles ("<f8"), version 3.
std::string DenseInterface(const double* data, int64_t rows, int64_t cols);

// Routes XGBoost's console log to the host log (called once at plugin init).
void InstallLogCallback();

}  // namespace sf::xgb

#endif  // SF_PLUGINS_XGBOOST_XGB_CALL_H_
