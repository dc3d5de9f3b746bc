// A thin RAII layer over one sqlite3 connection: prepared statements are cached per connection,
// so the hot path never re-parses SQL. A connection is used by one thread at a time.
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

struct sqlite3;
struct sqlite3_stmt;

namespace coffer::store::sqlite {

class Statement {
 public:
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Statement();  // resets the statement so the cached handle is ready for reuse
  Statement(Statement&& other) noexcept : stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;

  // Parameters are 1-based, as in SQLite.
  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, std::span<const uint8_t> blob);
  Statement& Bind(int index, std::optional<int64_t> value);
  Statement& BindNull(int index);

  // True while there is a row; Status on error.
  Result<bool> Step();
  Status Run();  // steps until done

  // Columns are 0-based.
  bool IsNull(int column) const;
  int64_t Int(int column) const;
  std::optional<int64_t> OptionalInt(int column) const;
  std::string Text(int column) const;
  std::optional<std::string> OptionalText(int column) const;
  std::vector<uint8_t> Blob(int column) const;

 private:
  sqlite3_stmt* stmt_;
};

class Connection {
 public:
  // Opens (creating if needed) the database at `path` in WAL mode with full durability.
  static Result<std::unique_ptr<Connection>> Open(const std::string& path);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Status Exec(const std::string& sql);  // statements without results, parsed on every call
  // One statement without results, prepared once and cached: BEGIN, COMMIT and savepoints run
  // for every request, and parsing them each time cost more than the queries they wrap.
  Status ExecCached(const std::string& sql);
  Result<Statement> Prepare(const std::string& sql);  // cached
  int64_t Changes() const;

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  Error ErrorFromDb(const std::string& context) const;

  sqlite3* db_;
  std::map<std::string, sqlite3_stmt*, std::less<>> cache_;
};

}  // namespace coffer::store::sqlite
