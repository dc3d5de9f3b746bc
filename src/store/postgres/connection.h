// A thin RAII layer over one libpq connection. Every query is parameterised (prepared once per
// connection and cached, so the hot path never re-parses SQL); every parameter and every result
// travels in binary, so bytea needs no escaping and integers no formatting. A connection is used
// by one thread at a time.
//
// Errors: each names the operation that failed. A unique or other integrity violation (SQLSTATE
// class 23) is kConflict, as is a serialisation failure or deadlock (40001, 40P01: retry); a lost
// or refused connection (class 08, 57P01-57P03, no result at all) is kUnavailable "the database is
// unavailable: ..." and marks the connection broken, so its owner reconnects it before the next
// transaction (Reconnect); a statement timeout (57014) is kUnavailable; the rest kUnavailable as
// SQLite's storage errors are. No message carries the password or libpq's connection string.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

struct pg_conn;
struct pg_result;

namespace coffer::store::postgres {

// Where and how to connect. `url` is postgres://user[:password]@host:port/db (or postgresql://);
// `password`, when set, is used if the URL carries none (PGPASSFILE works as libpq documents).
struct ConnectionConfig {
  std::string url;
  std::optional<std::string> password;
  std::string application_name = "coffer";  // pg_stat_activity's name for the session
  int connect_timeout_seconds = 5;
  int statement_timeout_ms = 10000;  // no request waits on the database longer than this
};

// Positional parameters $1, $2, ... in the order they are added.
class Params {
 public:
  Params& Text(std::string_view text);
  Params& Int(int64_t value);
  Params& Bool(bool value);
  Params& Bytes(std::span<const uint8_t> bytes);
  Params& OptionalText(const std::optional<std::string>& text);
  Params& OptionalInt(std::optional<int64_t> value);
  Params& OptionalBytes(std::span<const uint8_t> bytes);  // NULL when empty

  int size() const { return static_cast<int>(values_.size()); }

 private:
  friend class Connection;
  void Add(unsigned type, std::optional<std::string> value);

  std::vector<std::optional<std::string>> values_;
  std::vector<unsigned> types_;  // Oids
};

// One row of a result; columns are 0-based.
class Row {
 public:
  Row(const pg_result* result, int row) : result_(result), row_(row) {}
  bool IsNull(int column) const;
  int64_t Int(int column) const;  // any integer or boolean column
  std::optional<int64_t> OptionalInt(int column) const;
  bool Bool(int column) const { return Int(column) != 0; }
  std::string Text(int column) const;
  std::optional<std::string> OptionalText(int column) const;
  std::vector<uint8_t> Blob(int column) const;  // NULL reads as empty

 private:
  const pg_result* result_;
  int row_;
};

class Rows {
 public:
  explicit Rows(pg_result* result) : result_(result) {}
  ~Rows();
  Rows(Rows&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
  Rows(const Rows&) = delete;
  Rows& operator=(const Rows&) = delete;
  Rows& operator=(Rows&&) = delete;

  int size() const;
  Row operator[](int row) const { return Row(result_, row); }
  int64_t affected() const;  // rows an INSERT/UPDATE/DELETE touched

 private:
  pg_result* result_;
};

class Connection {
 public:
  // Connects and prepares the session (synchronous_commit on, the statement timeout).
  static Result<std::unique_ptr<Connection>> Open(const ConnectionConfig& config);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // One parameterised statement, prepared on first use and cached; `operation` names it in errors.
  Result<Rows> Query(std::string_view operation, const std::string& sql, const Params& params = {});
  // The same, for statements without results: how many rows they touched.
  Result<int64_t> Exec(std::string_view operation, const std::string& sql, const Params& params = {});
  // SQL without parameters, possibly several statements: BEGIN, COMMIT, savepoints, migrations.
  // Returns the command tag of the last statement ("COMMIT", or "ROLLBACK" for a failed block).
  Result<std::string> Command(std::string_view operation, const std::string& sql);

  // True once the connection was lost: nothing more will work until Reconnect.
  bool broken() const;
  // Drops the connection and opens it again (and the session settings with it).
  Status Reconnect();

  // `message` without any secret this connection knows (its password).
  std::string Scrub(std::string message) const;

 private:
  Connection(ConnectionConfig config, std::vector<std::string> secrets)
      : config_(std::move(config)), secrets_(std::move(secrets)) {}
  Status Connect();
  Error ErrorFrom(std::string_view operation, const pg_result* result);
  Error Unavailable(std::string_view operation, const std::string& why);

  const ConnectionConfig config_;
  const std::vector<std::string> secrets_;
  pg_conn* conn_ = nullptr;
  bool lost_ = false;
  std::map<std::string, std::string, std::less<>> prepared_;  // sql -> statement name
};

}  // namespace coffer::store::postgres
