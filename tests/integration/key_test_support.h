// Helpers shared by the key management tests: raw blobs straight from the SQLite file (to see what
// rotation did on disk), polling /v0/keys/status until the background re-wrap is done, and storing
// and checking many credentials in parallel.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "coffer_process.h"

namespace coffer::testing {

// version -> blob of one credential, read with a separate read-only connection (WAL lets it run
// beside the server).
inline std::map<int, std::string> ReadBlobs(const std::string& db_path, const std::string& name) {
  std::map<int, std::string> out;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return out;
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db,
                     "SELECT v.version, v.blob FROM credential_versions v JOIN credentials c "
                     "ON c.id = v.credential_id WHERE c.name = ? ORDER BY v.version",
                     -1, &stmt, nullptr);
  sqlite3_bind_text(stmt, 1, name.c_str(), -1, SQLITE_TRANSIENT);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    const char* bytes = static_cast<const char*>(sqlite3_column_blob(stmt, 1));
    out[sqlite3_column_int(stmt, 0)] = std::string(bytes, static_cast<size_t>(sqlite3_column_bytes(stmt, 1)));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

// Overwrites one stored version's blob, as a restored backup row would.
inline bool ReplaceBlob(const std::string& db_path, const std::string& name, int version, const std::string& blob) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return false;
  }
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db,
                     "UPDATE credential_versions SET blob = ?1 WHERE version = ?2 AND credential_id = "
                     "(SELECT id FROM credentials WHERE name = ?3)",
                     -1, &stmt, nullptr);
  sqlite3_bind_blob(stmt, 1, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int(stmt, 2, version);
  sqlite3_bind_text(stmt, 3, name.c_str(), -1, SQLITE_TRANSIENT);
  bool ok = sqlite3_step(stmt) == SQLITE_DONE && sqlite3_changes(db) == 1;
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return ok;
}

// Waits for the re-wrap to leave "running" (a generous deadline only guards against a hang) and
// returns the last status.
inline nlohmann::json WaitForRewrap(cli::ApiClient& client) {
  nlohmann::json status;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    auto reply = client.Send("GET", "/v0/keys/status");
    if (reply.ok() && reply->status == 200) {
      status = reply->body;
      if (status["rewrap"]["state"] != "running") return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return status;
}

inline std::string CredentialBody(const std::string& value) {
  return R"({"type":"API_KEY","data":{"key":")" + value + R"("}})";
}

// Stores name -> value for every entry, `threads` requests at a time; returns how many failed.
inline int StoreAll(const CofferServer& server, const std::map<std::string, std::string>& values, int threads = 4) {
  std::vector<std::pair<std::string, std::string>> items(values.begin(), values.end());
  std::atomic<size_t> next{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      auto client = server.OwnerClient();
      for (size_t i = next++; i < items.size(); i = next++) {
        auto reply = client.Send("PUT", "/v0/vault/" + items[i].first, CredentialBody(items[i].second));
        if (!reply.ok() || (reply->status != 200 && reply->status != 201)) ++failures;
      }
    });
  }
  for (auto& w : workers) w.join();
  return failures;
}

// Reads every credential back; returns the names that failed or held another value.
inline std::vector<std::string> CheckAll(const CofferServer& server, const std::map<std::string, std::string>& values,
                                         int threads = 4) {
  std::vector<std::pair<std::string, std::string>> items(values.begin(), values.end());
  std::atomic<size_t> next{0};
  std::mutex bad_mutex;
  std::vector<std::string> bad;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      auto client = server.OwnerClient();
      for (size_t i = next++; i < items.size(); i = next++) {
        auto reply = client.Send("GET", "/v0/vault/" + items[i].first);
        if (!reply.ok() || reply->status != 200 || reply->body["data"]["key"] != items[i].second) {
          std::lock_guard lock(bad_mutex);
          bad.push_back(items[i].first + (reply.ok() ? " (HTTP " + std::to_string(reply->status) + ")" : " (no reply)"));
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  return bad;
}

}  // namespace coffer::testing
