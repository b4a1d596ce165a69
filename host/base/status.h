// Status and StatusOr<T>: how expected failures travel inside the host.
//
// The code space is the SDK's sf_status (signalforge/abi.h), so a plugin's
// answer, a host error and the HTTP mapping (host/api) all speak one language.
// Values are cheap to copy; an OK status carries no message.
#ifndef SF_BASE_STATUS_H_
#define SF_BASE_STATUS_H_

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "signalforge/abi.h"

namespace sf {

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(sf_status code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ >= 0; }
  sf_status code() const { return code_; }
  const std::string& message() const { return message_; }
  // "invalid_argument: period must be >= 1"
  std::string ToString() const {
    if (ok()) return "ok";
    return std::string(sf_status_name(code_)) + ": " + message_;
  }

 private:
  sf_status code_ = SF_OK;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {SF_ERR_INVALID_ARGUMENT, std::move(m)}; }
inline Status NotFound(std::string m) { return {SF_ERR_NOT_FOUND, std::move(m)}; }
inline Status Unavailable(std::string m) { return {SF_ERR_UNAVAILABLE, std::move(m)}; }
inline Status Internal(std::string m) { return {SF_ERR_INTERNAL, std::move(m)}; }
inline Status Conflict(std::string m) { return {SF_ERR_CONFLICT, std::move(m)}; }
inline Status IoError(std::string m) { return {SF_ERR_IO, std::move(m)}; }
inline Status BadData(std::string m) { return {SF_ERR_BAD_DATA, std::move(m)}; }
inline Status PermissionDenied(std::string m) { return {SF_ERR_PERMISSION, std::move(m)}; }

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : v_(std::move(value)) {}            // NOLINT: implicit
  StatusOr(Status status) : v_(std::move(status)) {}     // NOLINT: implicit

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace sf

#define SF_RETURN_IF_ERROR(expr)            \
  do {                                      \
    ::sf::Status sf_status_tmp_ = (expr);   \
    if (!sf_status_tmp_.ok()) return sf_status_tmp_; \
  } while (0)

#endif  // SF_BASE_STATUS_H_
