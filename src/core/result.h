// Result<T>: a value or an Error. Every fallible call in Coffer returns one, so a failure always
// carries a code the adapters can map (HTTP status, CLI exit code) and a message that says what to fix.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace coffer {

enum class ErrorCode {
  kInvalidArgument,    // malformed request: bad JSON, wrong field type, bad name
  kValidation,         // well-formed but semantically wrong (schema violation)
  kUnauthenticated,    // missing, unknown, expired or revoked credentials
  kPermissionDenied,   // authenticated but not allowed
  kNotFound,
  kConflict,
  kPayloadTooLarge,
  kRateLimited,
  kUnavailable,        // a dependency (disk, audit) cannot take the write: fail closed
  kDataCorrupted,      // a stored blob failed authentication
  kInternal,
};

struct Error {
  ErrorCode code;
  std::string message;  // safe to show a user: never contains a secret
};

inline Error MakeError(ErrorCode code, std::string message) { return Error{code, std::move(message)}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Error error) : error_(std::move(error)) {}      // NOLINT: implicit by design

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return *value_; }
  const T& value() const& { assert(ok()); return *value_; }
  T&& value() && { assert(ok()); return std::move(*value_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { assert(!ok()); return *error_; }

 private:
  std::optional<T> value_;
  std::optional<Error> error_;
};

// Status: a Result with no value.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design
  static Status Ok() { return Status(); }

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { assert(!ok()); return *error_; }

 private:
  std::optional<Error> error_;
};

}  // namespace coffer

// Propagate a failed Result/Status from the enclosing function.
#define COFFER_TRY(expr)                                  \
  do {                                                    \
    auto&& coffer_try_result_ = (expr);                   \
    if (!coffer_try_result_.ok()) return coffer_try_result_.error(); \
  } while (0)
