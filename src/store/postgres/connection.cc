#include "store/postgres/connection.h"

#include <libpq-fe.h>

#include <charconv>

#include "store/postgres/postgres_url.h"

namespace coffer::store::postgres {
namespace {

// Type Oids of the parameters we send (pg_type.dat); binary format for all of them.
constexpr unsigned kBoolOid = 16;
constexpr unsigned kByteaOid = 17;
constexpr unsigned kInt8Oid = 20;
constexpr unsigned kTextOid = 25;

std::string Field(const PGresult* result, int field) {
  const char* value = result ? PQresultErrorField(result, field) : nullptr;
  return value ? value : "";
}

// libpq's messages end in a newline, and the connection ones span lines.
std::string OneLine(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (char& c : text) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  return text;
}

}  // namespace

// ---- Params ----

void Params::Add(unsigned type, std::optional<std::string> value) {
  types_.push_back(type);
  values_.push_back(std::move(value));
}

Params& Params::Text(std::string_view text) {
  Add(kTextOid, std::string(text));
  return *this;
}

Params& Params::Int(int64_t value) {
  std::string bytes(8, '\0');
  const auto u = static_cast<uint64_t>(value);
  for (int i = 0; i < 8; ++i) bytes[static_cast<size_t>(i)] = static_cast<char>((u >> (56 - 8 * i)) & 0xff);
  Add(kInt8Oid, std::move(bytes));
  return *this;
}

Params& Params::Bool(bool value) {
  Add(kBoolOid, std::string(1, value ? '\1' : '\0'));
  return *this;
}

Params& Params::Bytes(std::span<const uint8_t> bytes) {
  Add(kByteaOid, std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  return *this;
}

Params& Params::OptionalText(const std::optional<std::string>& text) {
  if (text) return Text(*text);
  Add(kTextOid, std::nullopt);
  return *this;
}

Params& Params::OptionalInt(std::optional<int64_t> value) {
  if (value) return Int(*value);
  Add(kInt8Oid, std::nullopt);
  return *this;
}

Params& Params::OptionalBytes(std::span<const uint8_t> bytes) {
  if (!bytes.empty()) return Bytes(bytes);
  Add(kByteaOid, std::nullopt);
  return *this;
}

// ---- Row, Rows ----

bool Row::IsNull(int column) const { return PQgetisnull(result_, row_, column) != 0; }

int64_t Row::Int(int column) const {
  if (IsNull(column)) return 0;
  const auto* p = reinterpret_cast<const unsigned char*>(PQgetvalue(result_, row_, column));
  const int n = PQgetlength(result_, row_, column);
  if (n <= 0 || n > 8) return 0;
  // Big-endian, sign-extended from whatever width the column has (bool 1, int2, int4, int8).
  uint64_t u = (p[0] & 0x80) ? ~uint64_t{0} : 0;
  for (int i = 0; i < n; ++i) u = (u << 8) | p[i];
  return static_cast<int64_t>(u);
}

std::optional<int64_t> Row::OptionalInt(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Int(column);
}

std::string Row::Text(int column) const {
  const char* p = PQgetvalue(result_, row_, column);
  return std::string(p, static_cast<size_t>(PQgetlength(result_, row_, column)));
}

std::optional<std::string> Row::OptionalText(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Text(column);
}

std::vector<uint8_t> Row::Blob(int column) const {
  const auto* p = reinterpret_cast<const uint8_t*>(PQgetvalue(result_, row_, column));
  return std::vector<uint8_t>(p, p + PQgetlength(result_, row_, column));
}

Rows::~Rows() { PQclear(result_); }

int Rows::size() const { return PQntuples(result_); }

int64_t Rows::affected() const {
  const char* text = PQcmdTuples(result_);
  int64_t n = 0;
  if (text != nullptr) std::from_chars(text, text + std::char_traits<char>::length(text), n);
  return n;
}

// ---- Connection ----

Result<std::unique_ptr<Connection>> Connection::Open(const ConnectionConfig& config) {
  std::vector<std::string> secrets = PasswordsInUrl(config.url);
  if (config.password) secrets.push_back(*config.password);
  std::unique_ptr<Connection> conn(new Connection(config, std::move(secrets)));
  COFFER_TRY(conn->Connect());
  return conn;
}

Connection::~Connection() { PQfinish(conn_); }

Status Connection::Connect() {
  PQfinish(conn_);
  conn_ = nullptr;
  prepared_.clear();
  lost_ = false;
  const std::string timeout = std::to_string(config_.connect_timeout_seconds);
  // Keywords are applied in order, and the URL (expanded from dbname) overrides what comes
  // before it: so a password in the URL wins over COFFER_STORE_PASSWORD, and what follows the
  // URL (our name, timeouts, keepalives) cannot be overridden by it. Keepalives notice a peer
  // that vanished without closing (a network partition) within about a minute.
  std::vector<const char*> keys, values;
  if (config_.password) {
    keys.push_back("password");
    values.push_back(config_.password->c_str());
  }
  for (auto [key, value] : std::initializer_list<std::pair<const char*, const char*>>{
           {"dbname", config_.url.c_str()},
           {"application_name", config_.application_name.c_str()},
           {"connect_timeout", timeout.c_str()},
           {"client_encoding", "UTF8"},
           {"keepalives", "1"},
           {"keepalives_idle", "30"},
           {"keepalives_interval", "10"},
           {"keepalives_count", "3"}}) {
    keys.push_back(key);
    values.push_back(value);
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  conn_ = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (conn_ == nullptr) return Unavailable("connect", "out of memory");
  if (PQstatus(conn_) != CONNECTION_OK) {
    Error failed = Unavailable("connect to " + RedactPostgresUrl(config_.url), PQerrorMessage(conn_));
    PQfinish(conn_);
    conn_ = nullptr;
    return failed;
  }
  // The server's notices ("relation ... already exists, skipping" from an idempotent migration
  // step) are informational: libpq would print them on stderr, beside the server's own log.
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  // Every session: commits wait for the WAL flush whatever the server's default, and no
  // statement (a lock wait on another node's transaction included) runs past the timeout. A
  // transaction left open that long (its node paused or hung between statements) is ended by the
  // server, so the rows it locked (an audit tip, a lease) go to the other nodes.
  auto set = Query("configure the session",
                   "SELECT set_config('synchronous_commit', 'on', false), "
                   "set_config('statement_timeout', $1, false), "
                   "set_config('idle_in_transaction_session_timeout', $1, false)",
                   Params().Text(std::to_string(config_.statement_timeout_ms)));
  if (!set.ok()) return set.error();
  return Status::Ok();
}

Status Connection::Reconnect() { return Connect(); }

bool Connection::broken() const { return lost_ || conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK; }

std::string Connection::Scrub(std::string message) const { return ScrubSecrets(std::move(message), secrets_); }

Error Connection::Unavailable(std::string_view operation, const std::string& why) {
  lost_ = true;
  return MakeError(ErrorCode::kUnavailable,
                   "the database is unavailable (" + std::string(operation) + "): " + Scrub(OneLine(why)));
}

Error Connection::ErrorFrom(std::string_view operation, const PGresult* result) {
  if (result == nullptr || conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
    return Unavailable(operation, conn_ ? PQerrorMessage(conn_) : "not connected");
  }
  const std::string state = Field(result, PG_DIAG_SQLSTATE);
  const std::string message = Scrub(OneLine(Field(result, PG_DIAG_MESSAGE_PRIMARY)));
  const std::string where = "storage error (" + std::string(operation) + "): ";
  if (state.starts_with("08") || state == "57P01" || state == "57P02" || state == "57P03") {
    return Unavailable(operation, message);
  }
  if (state.starts_with("23")) return MakeError(ErrorCode::kConflict, where + message);
  if (state == "40001" || state == "40P01") {
    return MakeError(ErrorCode::kConflict, where + message + ": another node wrote the same rows, retry");
  }
  if (state == "57014") {
    return MakeError(ErrorCode::kUnavailable, where + "the database did not answer in time: retry");
  }
  // Data exceptions quote the offending value: only the code is reported.
  if (state.starts_with("22")) {
    return MakeError(ErrorCode::kUnavailable, where + "the database refused a value (SQLSTATE " + state + ")");
  }
  if (state.starts_with("42")) return MakeError(ErrorCode::kInternal, where + message + " [" + state + "]");
  return MakeError(ErrorCode::kUnavailable, where + message + " [" + state + "]");
}

Result<Rows> Connection::Query(std::string_view operation, const std::string& sql, const Params& params) {
  if (broken()) return Unavailable(operation, "the connection was lost");
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = "coffer_" + std::to_string(prepared_.size() + 1);
    PGresult* prepared = PQprepare(conn_, name.c_str(), sql.c_str(), params.size(), params.types_.data());
    if (prepared == nullptr || PQresultStatus(prepared) != PGRES_COMMAND_OK) {
      Error failed = ErrorFrom(operation, prepared);
      PQclear(prepared);
      return failed;
    }
    PQclear(prepared);
    it = prepared_.emplace(sql, std::move(name)).first;
  }
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  values.reserve(params.values_.size());
  for (const auto& v : params.values_) {
    values.push_back(v ? v->data() : nullptr);
    lengths.push_back(v ? static_cast<int>(v->size()) : 0);
    formats.push_back(1);
  }
  PGresult* result = PQexecPrepared(conn_, it->second.c_str(), params.size(), values.data(), lengths.data(),
                                    formats.data(), /*resultFormat=*/1);
  const ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) return Rows(result);
  Error failed = ErrorFrom(operation, result);
  PQclear(result);
  return failed;
}

Result<int64_t> Connection::Exec(std::string_view operation, const std::string& sql, const Params& params) {
  auto rows = Query(operation, sql, params);
  if (!rows.ok()) return rows.error();
  return rows->affected();
}

Result<std::string> Connection::Command(std::string_view operation, const std::string& sql) {
  if (broken()) return Unavailable(operation, "the connection was lost");
  PGresult* result = PQexec(conn_, sql.c_str());
  const ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
    std::string tag = PQcmdStatus(result);
    PQclear(result);
    return tag;
  }
  Error failed = ErrorFrom(operation, result);
  PQclear(result);
  return failed;
}

}  // namespace coffer::store::postgres
